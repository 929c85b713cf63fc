"""Really signed app-only access tokens (client credentials) for the marks API, as Entra v2.0 issues them."""

from __future__ import annotations

import time

from tests.support.signed_tokens import APPOINTEE_TENANT_ID, ISSUER_TEMPLATE, PORTAL_CLIENT_ID, TokenFactory, sign_rs

RESULTS_CLIENT_ID = "5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f"
SERVICE_PRINCIPAL = "8e0f5f4c-0000-4000-8000-000000000001"
MARKS_ROLE = "Marks.Read.All"


def app_claims(now: float | None = None, **overrides) -> dict:
    """Claims of a v2.0 app-only token for the portal's API, issued at ``now``."""
    issued = int(time.time() if now is None else now)
    claims = {"aud": PORTAL_CLIENT_ID, "iss": ISSUER_TEMPLATE.replace("{tenantid}", APPOINTEE_TENANT_ID),
              "iat": issued, "nbf": issued, "exp": issued + 3600, "azp": RESULTS_CLIENT_ID, "azpacr": "1",
              "idtyp": "app", "oid": SERVICE_PRINCIPAL, "sub": SERVICE_PRINCIPAL, "tid": APPOINTEE_TENANT_ID,
              "roles": [MARKS_ROLE], "ver": "2.0", "uti": "u"}
    claims.update(overrides)
    return claims


def app_token(factory: TokenFactory | None = None, *, now: float | None = None, omit=(), headers=None,
              **overrides) -> str:
    """A token with these claims signed by ``factory``'s key; ``headers`` adds or (None) removes header fields."""
    factory = factory or TokenFactory()
    claims = app_claims(now, **overrides)
    for name in omit:
        claims.pop(name, None)
    header = {"typ": "JWT", "alg": "RS256", "kid": factory.kid, **(headers or {})}
    return sign_rs(claims, {k: v for k, v in header.items() if v is not None}, factory.key)
