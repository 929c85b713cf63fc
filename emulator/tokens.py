"""ID tokens, access tokens and token responses shaped like Entra's v2.0 endpoint."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid

from .claims import identity_claims
from .clock import Clock
from .directory import AppRegistration, User
from .keys import KeyRing, b64url

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
OIDC_SCOPES = {"openid", "profile", "email", "offline_access"}
GRAPH_DEFAULT_SCOPES = ("User.Read",)
ID_TOKEN_LIFETIME = 3600
ACCESS_TOKEN_LIFETIME = 3600


def issuer_for(base_url: str, tenant_id: str) -> str:
    """Entra v2.0 issuer of a tenant: ``https://HOST/{tid}/v2.0``."""
    return f"{base_url}/{tenant_id}/v2.0"


def pairwise_sub(client_id: str, user: User) -> str:
    """A subject unique per (app, user), stable across restarts, like Entra's pairwise ``sub``."""
    key = f"emulator-pairwise:{user.tenant_id}".encode()
    return b64url(hmac.new(key, f"{client_id}|{user.oid}".encode(), hashlib.sha256).digest())


def client_info(user: User) -> str:
    """MSAL's ``client_info``: base64url of ``{"uid": oid, "utid": tid}``."""
    return b64url(json.dumps({"uid": user.oid, "utid": user.tenant_id}).encode())


def _opaque() -> str:
    """An Entra-looking opaque value (for aio, rh, uti)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")


class TokenIssuer:
    """Builds signed tokens for the emulator."""

    def __init__(self, keys: KeyRing, clock: Clock, base_url: str) -> None:
        self.keys = keys
        self.clock = clock
        self.base_url = base_url

    def id_token(self, *, user: User, app: AppRegistration, nonce: str | None, sid: str,
                 acrs: tuple[str, ...]) -> str:
        """A v2.0 ID token for ``user`` signing in to ``app``."""
        now = int(self.clock.now())
        claims = {
            **identity_claims(user, app), "iss": issuer_for(self.base_url, user.tenant_id),
            "iat": now, "nbf": now, "exp": now + ID_TOKEN_LIFETIME, "aio": _opaque(), "rh": _opaque() + ".",
            "sid": sid, "sub": pairwise_sub(app.client_id, user), "uti": _opaque()[:22], "ver": "2.0",
            "login_hint": self.login_hint(user),
        }
        if nonce:
            claims["nonce"] = nonce
        if acrs:
            claims["acrs"] = list(acrs)
        return self.keys.sign(claims)

    def login_hint(self, user: User) -> str:
        """Entra's opaque ``login_hint`` claim, usable as ``logout_hint``."""
        return b64url(json.dumps({"oid": user.oid, "tid": user.tenant_id}).encode())

    def access_token(self, *, user: User, app: AppRegistration, scopes: tuple[str, ...]) -> tuple[str, str]:
        """An access token and the granted scope string (Graph unless an app resource was asked for)."""
        resource_scopes = [s for s in scopes if s not in OIDC_SCOPES] or list(GRAPH_DEFAULT_SCOPES)
        audience, granted = _audience(resource_scopes)
        now = int(self.clock.now())
        claims = {
            "aud": audience, "iss": issuer_for(self.base_url, user.tenant_id), "iat": now, "nbf": now,
            "exp": now + ACCESS_TOKEN_LIFETIME, "appid": app.client_id, "azp": app.client_id,
            "name": user.name, "oid": user.oid, "tid": user.tenant_id, "scp": " ".join(granted),
            "sub": pairwise_sub(audience, user), "upn": user.email, "uti": _opaque()[:22],
            "ver": "2.0", "xms_tcdt": 1600000000, "jti": str(uuid.uuid4()),
        }
        requested_oidc = [s for s in scopes if s in OIDC_SCOPES and s != "offline_access"]
        return self.keys.sign(claims), " ".join(granted + requested_oidc)

    def app_access_token(self, *, app: AppRegistration, audience: str, tenant_id: str,
                         roles: tuple[str, ...]) -> str:
        """An app-only v2.0 access token, as the client credentials grant issues: no user, ``idtyp`` app."""
        now = int(self.clock.now())
        principal = app.service_principal_oid(tenant_id)
        claims = {
            "aud": audience, "iss": issuer_for(self.base_url, tenant_id), "iat": now, "nbf": now,
            "exp": now + ACCESS_TOKEN_LIFETIME, "aio": _opaque(), "azp": app.client_id, "azpacr": "1",
            "idtyp": "app", "oid": principal, "rh": _opaque() + ".", "sub": principal, "tid": tenant_id,
            "uti": _opaque()[:22], "ver": "2.0",
        }
        if roles:
            claims["roles"] = list(roles)
        return self.keys.sign(claims)

    def token_response(self, *, user: User, app: AppRegistration, scopes: tuple[str, ...], nonce: str | None,
                       sid: str, acrs: tuple[str, ...], refresh_token: str | None) -> dict:
        """The JSON body of a successful token response."""
        access_token, scope = self.access_token(user=user, app=app, scopes=scopes)
        body = {
            "token_type": "Bearer", "scope": scope, "expires_in": ACCESS_TOKEN_LIFETIME,
            "ext_expires_in": ACCESS_TOKEN_LIFETIME, "access_token": access_token,
            "client_info": client_info(user),
        }
        if refresh_token:
            body["refresh_token"] = refresh_token
        if "openid" in scopes:
            body["id_token"] = self.id_token(user=user, app=app, nonce=nonce, sid=sid, acrs=acrs)
        return body


def _audience(resource_scopes: list[str]) -> tuple[str, list[str]]:
    """Audience and bare scope names: ``api://x/read`` -> (api://x, [read]); ``User.Read`` -> Graph."""
    first = resource_scopes[0]
    graph_prefix = "https://graph.microsoft.com/"
    if "://" in first and not first.startswith(graph_prefix):
        resource = first.rsplit("/", 1)[0]
        return resource, [s.rsplit("/", 1)[-1] for s in resource_scopes if s.startswith(resource + "/")]
    return GRAPH_APP_ID, [s.removeprefix(graph_prefix) for s in resource_scopes if "://" not in s
                          or s.startswith(graph_prefix)]
