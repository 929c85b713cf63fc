"""The client credentials grant: app-only v2.0 access tokens for the marks API, shaped like Entra's."""

from __future__ import annotations

import jwt
import pytest

from emulator.testing import APPOINTEE_TENANT_ID, CONTOSO_TENANT_ID, PORTAL_CLIENT_ID

RESULTS = ("5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f", "results-dev-secret-not-for-production")
SANDBOX = ("6d5e4f3a-2b1c-4dae-9f80-7b6c5d4e3f2a", "sandbox-dev-secret-not-for-production")
CONTOSO = ("7e6f5a4b-3c2d-4ebf-8091-8c7d6e5f4a3b", "contoso-dev-secret-not-for-production")
API_SCOPE = f"api://{PORTAL_CLIENT_ID}/.default"


def request_token(emu, http, client, *, tenant=APPOINTEE_TENANT_ID, scope=API_SCOPE, **extra):
    client_id, secret = client
    return http.post(f"{emu.base_url}/{tenant}/oauth2/v2.0/token",
                     data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
                           "scope": scope, **extra})


def claims_of(emu, token: str) -> dict:
    return emu.state.keys.verify(token, audience=None, now=emu.state.clock.now())


@pytest.mark.parametrize("scope", [API_SCOPE, f"{PORTAL_CLIENT_ID}/.default"])
def test_an_app_with_the_marks_permission_gets_a_v2_app_only_token_with_the_role(emu, http, scope):
    response = request_token(emu, http, RESULTS, scope=scope)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert "refresh_token" not in body and "id_token" not in body
    claims = claims_of(emu, body["access_token"])
    assert claims["aud"] == PORTAL_CLIENT_ID and claims["ver"] == "2.0" and claims["idtyp"] == "app"
    assert claims["iss"] == f"{emu.base_url}/{APPOINTEE_TENANT_ID}/v2.0" and claims["tid"] == APPOINTEE_TENANT_ID
    assert claims["azp"] == RESULTS[0] and claims["roles"] == ["Marks.Read.All"]
    assert claims["oid"] == claims["sub"] and "scp" not in claims
    assert jwt.get_unverified_header(body["access_token"])["kid"] == emu.state.keys.current.kid


def test_an_app_without_the_permission_gets_a_token_without_roles(emu, http):
    claims = claims_of(emu, request_token(emu, http, SANDBOX).json()["access_token"])
    assert claims["aud"] == PORTAL_CLIENT_ID and "roles" not in claims


def test_an_app_of_another_tenant_gets_a_token_of_its_own_tenant(emu, http):
    claims = claims_of(emu, request_token(emu, http, CONTOSO, tenant=CONTOSO_TENANT_ID).json()["access_token"])
    assert claims["tid"] == CONTOSO_TENANT_ID and claims["roles"] == ["Marks.Read.All"]


def test_graph_as_the_resource_gives_a_token_for_graph(emu, http):
    claims = claims_of(emu, request_token(emu, http, RESULTS, scope="https://graph.microsoft.com/.default")
                       .json()["access_token"])
    assert claims["aud"] == "00000003-0000-0000-c000-000000000000" and "roles" not in claims


@pytest.mark.parametrize("overrides, error, aadsts", [
    ({"scope": f"api://{PORTAL_CLIENT_ID}/Marks.Read"}, "invalid_scope", 1002012),
    ({"scope": f"{API_SCOPE} openid"}, "invalid_scope", 1002012),
    ({"scope": "api://no-such-api/.default"}, "invalid_resource", 500011),
    ({"tenant": "organizations"}, "invalid_request", 50059),
    ({"tenant": CONTOSO_TENANT_ID}, "unauthorized_client", 700016),  # single-tenant app asked in another tenant
    ({"client_secret": "wrong"}, "invalid_client", 7000215),
])
def test_bad_client_credentials_requests_are_refused_as_entra_does(emu, http, overrides, error, aadsts):
    client = (RESULTS[0], overrides.pop("client_secret", RESULTS[1]))
    response = request_token(emu, http, client, **overrides)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error and body["error_codes"] == [aadsts]
