"""A fake Entra ID for unit tests of the portal: ``responses`` serves discovery, JWKS and the token endpoint.

The fake issues really signed ID tokens (tests.support.signed_tokens) echoing the nonce of the sign-in
the test started, and counts every call the portal makes, so tests can assert "one call per sign-in".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import responses

from tests.support.signed_tokens import (
    AUTHORITY,
    JWKS_URI,
    TokenFactory,
    discovery_document,
)

DISCOVERY_URL = f"{AUTHORITY}/v2.0/.well-known/openid-configuration"
TOKEN_URL = f"{AUTHORITY}/oauth2/v2.0/token"
# MSAL asks this (when its cache has no account under the authority's host, and after a refused refresh) for the
# host's aliases; Entra answers it, so the fake does too.
INSTANCE_DISCOVERY_URL = "https://login.microsoftonline.com/common/discovery/instance"
INSTANCE_METADATA = {"metadata": [{"preferred_network": "login.microsoftonline.com",
                                   "aliases": ["login.microsoftonline.com", "login.windows.net", "sts.windows.net"]}]}
# base64url of {"uid": examiner oid, "utid": appointee tenant}, as Entra sends with client_info=1
CLIENT_INFO = ("eyJ1aWQiOiIxMTExMTExMS0xMTExLTQxMTEtODExMS0xMTExMTExMTExMTEiLCJ1dGlkIjoiM2Q4ZjVhMmUtN2IxYy00Yz"
               "llLTlhNmYtMmU1YjhjMWQ0ZjcwIn0")


class FakeEntra:
    """Serves the authority's endpoints; ``id_token_for`` decides what the token endpoint returns."""

    def __init__(self, mock: responses.RequestsMock, factory: TokenFactory | None = None) -> None:
        self.mock = mock
        self.factory = factory or TokenFactory()
        self.nonce: str | None = None
        self.token_overrides: dict = {}
        self.token_response: Callable[[dict], tuple[int, dict]] | None = None
        mock.add(responses.GET, DISCOVERY_URL, json=discovery_document(AUTHORITY))
        mock.add(responses.GET, INSTANCE_DISCOVERY_URL, json=INSTANCE_METADATA)
        mock.add(responses.GET, JWKS_URI, json=self.factory.jwks())
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)

    def remember_authorize(self, auth_uri: str) -> dict[str, str]:
        """Read the authorize URL the portal produced; the next token response echoes its nonce."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(auth_uri).query).items()}
        self.nonce = query.get("nonce")
        return query

    def _token(self, request) -> tuple[int, dict, str]:
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        if self.token_response is not None:
            status, body = self.token_response(form)
            return status, {}, json.dumps(body)
        claims = {"nonce": self.nonce, **self.token_overrides}
        headers = claims.pop("_headers", None)
        body = {
            "token_type": "Bearer", "scope": "openid profile offline_access", "expires_in": 3600,
            "access_token": "fake-access-token", "refresh_token": "fake-refresh-token",
            "id_token": self.factory.mint(headers=headers, **claims),
            "client_info": CLIENT_INFO,
        }
        return 200, {}, json.dumps(body)

    def calls_to(self, url: str) -> int:
        return sum(1 for call in self.mock.calls if call.request.url.split("?")[0] == url)
