"""Token endpoint rules: PKCE, single-use codes, redirect URI, client secret, Entra-shaped errors."""

from __future__ import annotations

import pytest

from tests.emulator.flows import REDIRECT_URI, authorize_url, pkce_pair, redeem


@pytest.fixture
def code_and_verifier(emu, sign_in):
    verifier, challenge = pkce_pair()
    reply = sign_in(authorize_url(emu.authority, challenge), "examiner@wjec-appointees.co.uk")
    assert reply.params["state"] == "st-123"
    return reply.params["code"], verifier


def _assert_entra_error(response, error: str, aadsts: int):
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error
    assert body["error_description"].startswith(f"AADSTS{aadsts}:")
    assert body["error_codes"] == [aadsts]
    assert body["trace_id"] and body["correlation_id"] and body["timestamp"]


def test_code_redeems_once(emu, http, code_and_verifier):
    code, verifier = code_and_verifier
    first = redeem(http, emu.authority, code, verifier)
    assert first.status_code == 200 and first.json()["token_type"] == "Bearer"
    _assert_entra_error(redeem(http, emu.authority, code, verifier), "invalid_grant", 54005)


def test_code_reuse_revokes_the_refresh_token_it_gave(emu, http, code_and_verifier):
    code, verifier = code_and_verifier
    refresh = redeem(http, emu.authority, code, verifier).json()["refresh_token"]
    redeem(http, emu.authority, code, verifier)
    response = redeem(http, emu.authority, None, None, grant_type="refresh_token", refresh_token=refresh)
    _assert_entra_error(response, "invalid_grant", 70000)


@pytest.mark.parametrize("overrides, error, aadsts", [
    ({"code_verifier": "wrong-verifier-" + "x" * 40}, "invalid_grant", 501481),
    ({"code_verifier": None}, "invalid_request", 900144),
    ({"redirect_uri": "http://localhost:5001/auth/callback"}, "invalid_grant", 500112),
    ({"redirect_uri": None}, "invalid_grant", 500112),
    ({"client_secret": "not-the-secret"}, "invalid_client", 7000215),
    ({"client_secret": None}, "invalid_client", 7000218),
    ({"client_id": "a3b2c1d0-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "client_secret": "amp-dev-secret-not-for-production"},
     "invalid_grant", 9002313),
    ({"client_id": "00000000-0000-0000-0000-000000000000"}, "unauthorized_client", 700016),
    ({"code": "not-a-code"}, "invalid_grant", 9002313),
    ({"grant_type": "password"}, "unsupported_grant_type", 70003),
])
def test_bad_redemptions_are_refused(emu, http, code_and_verifier, overrides, error, aadsts):
    code, verifier = code_and_verifier
    _assert_entra_error(redeem(http, emu.authority, code, verifier, **overrides), error, aadsts)


def test_failed_pkce_burns_the_code(emu, http, code_and_verifier):
    code, verifier = code_and_verifier
    redeem(http, emu.authority, code, verifier, code_verifier="x" * 50)
    _assert_entra_error(redeem(http, emu.authority, code, verifier), "invalid_grant", 54005)


def test_code_expires_after_ten_minutes(emu, http, code_and_verifier):
    code, verifier = code_and_verifier
    emu.advance_clock(11 * 60)
    _assert_entra_error(redeem(http, emu.authority, code, verifier), "invalid_grant", 70008)


def test_client_secret_basic_is_accepted(emu, http, code_and_verifier):
    code, verifier = code_and_verifier
    from emulator.testing import PORTAL_CLIENT_ID, PORTAL_CLIENT_SECRET

    response = http.post(f"{emu.authority}/oauth2/v2.0/token", auth=(PORTAL_CLIENT_ID, PORTAL_CLIENT_SECRET),
                         data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                               "redirect_uri": REDIRECT_URI, "scope": "openid User.Read"})
    assert response.status_code == 200 and "id_token" in response.json()


def test_unknown_tenant_is_refused(emu, http, code_and_verifier):
    code, verifier = code_and_verifier
    response = redeem(http, f"{emu.base_url}/no-such-tenant.example", code, verifier)
    _assert_entra_error(response, "invalid_tenant", 90002)
