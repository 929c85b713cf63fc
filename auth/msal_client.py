"""One MSAL ConfidentialClientApplication per process, with a token cache per user session.

MSAL keeps its token cache on the application object. Sharing one application between users would mix
their tokens, and building one per request repeats discovery; so the application's cache is a proxy that
forwards to the cache of the session being served (a context variable), and refuses to work without one.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from auth.client_certificate import ClientCertificate
from auth.discovery import MICROSOFT_AUTHORITY_HOSTS, entra_shaped, issuer_of

# Instance discovery only on Microsoft's hosts; any other authority (the emulator, a test provider) needs
# instance_discovery=False, or MSAL would ask Microsoft about it. MICROSOFT_AUTHORITY_HOSTS is re-exported.
__all__ = ["MICROSOFT_AUTHORITY_HOSTS", "MsalClient", "SessionTokenCacheProxy", "bound_token_cache", "id_token_in"]

_current_cache: ContextVar[msal.SerializableTokenCache | None] = ContextVar("portal_token_cache", default=None)


class SessionTokenCacheProxy:
    """Looks like an MSAL token cache; every call goes to the cache bound by ``bound_token_cache``."""

    CredentialType = msal.TokenCache.CredentialType

    def __getattr__(self, name: str) -> Any:
        if callable(getattr(msal.SerializableTokenCache, name, None)):
            # MSAL keeps bound methods (e.g. remove_rt) from construction time, so resolve at call time.
            def forward(*args: Any, **kwargs: Any) -> Any:
                return getattr(_bound_cache(), name)(*args, **kwargs)

            return forward
        return getattr(_bound_cache(), name)


def _bound_cache() -> msal.SerializableTokenCache:
    cache = _current_cache.get()
    if cache is None:
        # Fail closed: a call outside bound_token_cache() would otherwise share tokens between users.
        raise RuntimeError("MSAL token cache used outside bound_token_cache()")
    return cache


@contextlib.contextmanager
def bound_token_cache(serialized: str | None = None) -> Iterator[msal.SerializableTokenCache]:
    """Bind a per-session token cache (optionally restored from ``serialized``) for the block."""
    cache = msal.SerializableTokenCache()
    if serialized:
        cache.deserialize(serialized)
    token = _current_cache.set(cache)
    try:
        yield cache
    finally:
        _current_cache.reset(token)


def id_token_in(serialized: str) -> str | None:
    """The raw ID token kept in a serialized MSAL token cache (the latest one MSAL stored), or None."""
    try:
        entries = json.loads(serialized).get("IdToken") or {}
    except (ValueError, AttributeError):
        return None
    tokens = [entry.get("secret") for entry in entries.values() if isinstance(entry, dict)] if isinstance(
        entries, dict) else []
    tokens = [token for token in tokens if isinstance(token, str) and token]
    return tokens[-1] if tokens else None


class MsalClient:
    """Builds the process's ConfidentialClientApplication lazily (first use, not import or app creation)."""

    def __init__(self, *, authority: str, client_id: str, client_secret: str, http_client: requests.Session,
                 timeout: float, client_certificate: ClientCertificate | None = None) -> None:
        self._kwargs: dict[str, Any] = dict(
            client_id=client_id,
            # A certificate (a fresh signed assertion per token request) when configured, else the secret.
            client_credential=client_certificate.msal_credential() if client_certificate else client_secret,
            authority=authority,
            http_client=http_client,
            timeout=timeout,
            # Shared across requests so tenant discovery is fetched once per process.
            http_cache={},
            token_cache=SessionTokenCacheProxy(),
            instance_discovery=urlsplit(authority).hostname in MICROSOFT_AUTHORITY_HOSTS,
        )
        if not entra_shaped(authority):
            # Any other OpenID Provider: MSAL reads <issuer>/.well-known/openid-configuration (``authority=``
            # would derive Entra's /v2.0 path) and checks the document's issuer against it.
            del self._kwargs["authority"], self._kwargs["instance_discovery"]
            self._kwargs["oidc_authority"] = issuer_of(authority)
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    @property
    def app(self) -> msal.ConfidentialClientApplication:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = msal.ConfidentialClientApplication(**self._kwargs)
        return self._app
