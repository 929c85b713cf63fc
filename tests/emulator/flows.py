"""Helpers for tests that drive raw authorize requests (no MSAL) against the emulator."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

from emulator.testing import PORTAL_CLIENT_ID, PORTAL_CLIENT_SECRET

REDIRECT_URI = "http://localhost:5000/auth/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(authority: str, challenge: str, **extra: str) -> str:
    params = {"client_id": PORTAL_CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT_URI,
              "scope": "openid profile offline_access User.Read", "state": "st-123", "nonce": "n-1",
              "code_challenge": challenge, "code_challenge_method": "S256", "response_mode": "query"}
    params.update(extra)
    return f"{authority}/oauth2/v2.0/authorize?{urlencode({k: v for k, v in params.items() if v is not None})}"


def redeem(http, authority: str, auth_code: str | None, pkce_verifier: str | None, **overrides: str | None):
    """POST the token request the portal would send; ``overrides`` replace (or, with None, drop) fields."""
    data = {"client_id": PORTAL_CLIENT_ID, "client_secret": PORTAL_CLIENT_SECRET, "grant_type": "authorization_code",
            "code": auth_code, "redirect_uri": REDIRECT_URI, "code_verifier": pkce_verifier,
            "scope": "openid profile offline_access User.Read"}
    data.update(overrides)
    return http.post(f"{authority}/oauth2/v2.0/token", data={k: v for k, v in data.items() if v is not None})
