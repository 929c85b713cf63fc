"""A strict, non-Microsoft OpenID Provider for unit tests, faked with ``responses`` (issue 13).

Shaped like an independently written, OpenID Certified provider set up to issue Entra-shaped claims: its
issuer is ``https://idp.example/oidc``, its discovery document lives where OpenID Connect Discovery puts it
(``<issuer>/.well-known/openid-configuration``), its ID tokens carry ``tid`` and ``oid`` but no ``nbf``
(optional in OpenID Connect), and its token endpoint refuses a refresh that asks for scopes the sign-in was not
granted (RFC 6749 section 6: ``invalid_scope``).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import responses

from tests.support.signed_tokens import TokenFactory

ISSUER = "https://idp.example/oidc"
DISCOVERY_URL = f"{ISSUER}/.well-known/openid-configuration"
JWKS_URL = f"{ISSUER}/jwks"
TOKEN_URL = f"{ISSUER}/token"
AUTHORIZE_URL = f"{ISSUER}/authorize"
END_SESSION_URL = f"{ISSUER}/logout"
GRANTED = {"openid", "profile", "offline_access"}


def provider_metadata(issuer: str = ISSUER, **overrides) -> dict:
    return {
        "issuer": issuer, "jwks_uri": JWKS_URL, "authorization_endpoint": AUTHORIZE_URL,
        "token_endpoint": TOKEN_URL, "end_session_endpoint": END_SESSION_URL,
        "response_types_supported": ["code"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"], "response_modes_supported": ["query", "form_post"],
        **overrides,
    }


class StrictOidcProvider:
    """Discovery, JWKS and a token endpoint that keeps to the letter of the specifications."""

    def __init__(self, mock: responses.RequestsMock, factory: TokenFactory | None = None) -> None:
        self.mock = mock
        self.factory = factory or TokenFactory()
        self.nonce: str | None = None
        self.claims: dict = {}
        self.token_requests: list[dict] = []
        self.refusal: str | None = None  # an OAuth error code to answer every refresh with
        mock.add(responses.GET, DISCOVERY_URL, json=provider_metadata())
        mock.add(responses.GET, JWKS_URL, json=self.factory.jwks())
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)

    def remember_authorize(self, auth_uri: str) -> dict[str, str]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(auth_uri).query).items()}
        self.nonce = query.get("nonce")
        return query

    def id_token(self, **claims) -> str:
        # An Entra-shaped token from this issuer, without nbf.
        return self.factory.mint(iss=ISSUER, nonce=self.nonce, omit=("nbf",), **{**self.claims, **claims})

    def _token(self, request) -> tuple[int, dict, str]:
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        self.token_requests.append(form)
        if form.get("grant_type") == "refresh_token":
            if self.refusal:
                return 400, {}, json.dumps({"error": self.refusal, "error_description": "refused by the test"})
            asked = set(form.get("scope", "").split())
            if asked - GRANTED:  # RFC 6749 section 6: no scope the original grant did not include
                return 400, {}, json.dumps({"error": "invalid_scope",
                                            "error_description": f"not granted: {sorted(asked - GRANTED)}"})
        body = {"token_type": "Bearer", "scope": " ".join(sorted(GRANTED)), "expires_in": 3600,
                "access_token": "idp-access-token", "refresh_token": "idp-refresh-token",
                "id_token": self.id_token()}
        return 200, {}, json.dumps(body)
