"""In-memory protocol state: sign-in flows, codes, refresh tokens, SSO sessions and lockouts."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from .assertions import JtiLedger
from .clock import Clock

FLOW_TTL = 30 * 60            # an unfinished sign-in page expires after 30 minutes
CODE_TTL = 10 * 60            # Entra's authorization codes live about 10 minutes
REFRESH_TTL = 90 * 24 * 3600  # refresh tokens: 90 days of inactivity
SMS_TTL = 10 * 60
LOCKOUT_THRESHOLD = 5         # failures in a row before smart lockout
LOCKOUT_SECONDS = 15 * 60


@dataclass
class AuthRequest:
    """A validated authorize request and how far the user got through the sign-in pages."""

    id: str
    csrf: str
    browser: str
    created: float
    client_id: str
    redirect_uri: str
    response_mode: str
    state: str | None
    nonce: str | None
    scopes: tuple[str, ...]
    code_challenge: str
    tenant_segment: str
    tenant_id: str | None           # None for organizations/common
    acrs: tuple[str, ...] = ()
    login_hint: str = ""
    language: str = "en"            # of every page of this sign-in: ui_locales, else the browser's
    email: str = ""                 # the account typed (kept across wrong passwords)
    password_ok: bool = False
    sms_code: str = ""
    sms_sent_at: float = 0.0
    mfa_done: bool = False


@dataclass
class CodeGrant:
    """An issued authorization code."""

    client_id: str
    redirect_uri: str
    email: str
    tenant_id: str
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str
    sid: str
    acrs: tuple[str, ...]
    issued: float
    redeemed: bool = False
    refresh_tokens: list[str] = field(default_factory=list)


@dataclass
class RefreshGrant:
    """A live refresh token (single use: rotated on every redemption)."""

    client_id: str
    email: str
    tenant_id: str
    scopes: tuple[str, ...]
    sid: str
    acrs: tuple[str, ...]
    issued: float


@dataclass
class SsoSession:
    """The emulator's own session: who signed in, whether MFA was done and which apps rode on it."""

    sid: str
    cookie: str
    email: str
    tenant_id: str
    created: float
    mfa_done: bool
    persistent: bool
    apps: dict[str, str] = field(default_factory=dict)   # client_id -> front-channel logout URL
    ended: bool = False

    def as_dict(self) -> dict:
        return {"sid": self.sid, "email": self.email, "tenant_id": self.tenant_id, "created": self.created,
                "mfa": self.mfa_done, "persistent": self.persistent, "apps": sorted(self.apps),
                "ended": self.ended}


class Store:
    """Thread-safe in-memory state; the emulator is a dev/test tool, so nothing survives a restart."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.flows: dict[str, AuthRequest] = {}
        self.codes: dict[str, CodeGrant] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.sessions: dict[str, SsoSession] = {}
        self.failures: dict[str, int] = {}
        self.locked_until: dict[str, float] = {}
        self.last_sms: dict[str, tuple[str, float]] = {}
        self.assertion_jtis = JtiLedger()   # client assertions already accepted (single use)

    # Sign-in flows
    def add_flow(self, flow: AuthRequest) -> None:
        with self.lock:
            self.flows[flow.id] = flow

    def flow(self, flow_id: str) -> AuthRequest | None:
        """A live flow, or None when unknown or older than FLOW_TTL."""
        with self.lock:
            flow = self.flows.get(flow_id)
            if flow and self.clock.now() - flow.created > FLOW_TTL:
                del self.flows[flow_id]
                return None
            return flow

    def finish_flow(self, flow_id: str) -> None:
        with self.lock:
            self.flows.pop(flow_id, None)

    # Codes and refresh tokens
    def add_code(self, grant: CodeGrant) -> str:
        code = "1.emu." + secrets.token_urlsafe(48)
        with self.lock:
            self.codes[code] = grant
        return code

    def add_refresh_token(self, grant: RefreshGrant) -> str:
        token = "1.emu.rt." + secrets.token_urlsafe(64)
        with self.lock:
            self.refresh_tokens[token] = grant
        return token

    def take_refresh_token(self, token: str) -> RefreshGrant | None:
        """Remove and return a refresh token's grant: each one is good for one redemption."""
        with self.lock:
            return self.refresh_tokens.pop(token, None)

    def revoke_refresh_tokens(self, tokens) -> None:
        with self.lock:
            for token in tokens:
                self.refresh_tokens.pop(token, None)

    # SSO sessions
    def add_session(self, email: str, tenant_id: str, mfa_done: bool, persistent: bool) -> SsoSession:
        session = SsoSession(sid=secrets.token_hex(16), cookie=secrets.token_urlsafe(32), email=email,
                             tenant_id=tenant_id, created=self.clock.now(), mfa_done=mfa_done,
                             persistent=persistent)
        with self.lock:
            self.sessions[session.sid] = session
        return session

    def session_by_cookie(self, cookie: str | None) -> SsoSession | None:
        """The live session whose secret cookie value is ``cookie`` (the sid itself is public)."""
        if not cookie:
            return None
        with self.lock:
            match = next((s for s in self.sessions.values() if secrets.compare_digest(s.cookie, cookie)), None)
        return match if match and not match.ended else None

    def end_session(self, sid: str) -> SsoSession | None:
        """End a session and revoke the refresh tokens issued through it."""
        with self.lock:
            session = self.sessions.get(sid)
            if session is None:
                return None
            session.ended = True
            for token in [t for t, g in self.refresh_tokens.items() if g.sid == sid]:
                del self.refresh_tokens[token]
            return session

    # Smart lockout
    def locked(self, email: str) -> bool:
        with self.lock:
            return self.locked_until.get(email, 0) > self.clock.now()

    def record_failure(self, email: str) -> bool:
        """Count a wrong password or code; True when this failure locks the account."""
        with self.lock:
            self.failures[email] = self.failures.get(email, 0) + 1
            if self.failures[email] >= LOCKOUT_THRESHOLD:
                self.failures[email] = 0
                self.locked_until[email] = self.clock.now() + LOCKOUT_SECONDS
                return True
            return False

    def record_success(self, email: str) -> None:
        with self.lock:
            self.failures.pop(email, None)
