"""Sign-in flow state: server-side, single use, expiring, and bound to the browser that started it.

The MSAL flow (state, nonce, PKCE verifier) is stored under its ``state``. The browser holds only a random
binding secret in a short-lived cookie; the store keeps its SHA-256. A callback is accepted once, within the
flow's lifetime, and only from a browser that presents the secret: a replayed callback finds nothing, and a
callback pushed into another browser (login CSRF) lacks the secret.

The flow also remembers the portal session the browser had when it started (``/login`` is same-site, so the
Lax session cookie reaches it; the callback is Entra's cross-site form_post, which it does not): the callback
ends that session when the new one starts (ASVS 7.2.4).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from auth.errors import InvalidState
from auth.stores import ExpiringStore

BROWSER_SECRET_BYTES = 32
MAX_SESSION_ID_CHARS = 64


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in that came back: the MSAL flow and where the user was going."""

    flow: dict
    next_path: str
    silent: bool
    previous_session: str | None = None


def new_browser_secret() -> str:
    return secrets.token_urlsafe(BROWSER_SECRET_BYTES)


def _digest(browser_secret: str) -> str:
    return hashlib.sha256(browser_secret.encode()).hexdigest()


class SignInFlows:
    """Start and finish sign-in flows against an expiring store."""

    def __init__(self, store: ExpiringStore, lifetime_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._lifetime = lifetime_seconds
        self._clock = clock

    def start(self, flow: dict, *, browser_secret: str, next_path: str, silent: bool = False,
              previous_session: str | None = None) -> None:
        record = {
            "flow": flow,
            "next": next_path,
            "silent": silent,
            "browser": _digest(browser_secret),
            "expires_at": self._clock() + self._lifetime,
            "previous_session": previous_session if _usable_session_id(previous_session) else None,
        }
        self._store.put(flow["state"], record, self._lifetime)

    def finish(self, state: str | None, browser_secret: str | None) -> PendingSignIn:
        """Take the flow for ``state`` (single use, success or not) and check it belongs to this browser."""
        if not state or len(state) > 200:
            raise InvalidState("callback without a usable state parameter")
        # RFC 9700 4.7: state is single use, so the record is deleted before anything else is checked.
        record = self._store.take(state)
        if record is None:
            raise InvalidState("unknown, expired or already used state")
        if float(record.get("expires_at", 0)) < self._clock():
            raise InvalidState("the sign-in flow expired")
        if not browser_secret or not hmac.compare_digest(record.get("browser", ""), _digest(browser_secret)):
            # A silent attempt from a browser that refuses cookies lands here: it should see the sign-in page.
            raise InvalidState("callback from a browser that did not start this sign-in (login CSRF?)",
                               silent=bool(record.get("silent")))
        previous = record.get("previous_session")
        return PendingSignIn(flow=record["flow"], next_path=record.get("next", "/services"),
                             silent=bool(record.get("silent")),
                             previous_session=previous if _usable_session_id(previous) else None)


def _usable_session_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_SESSION_ID_CHARS
