"""Authorize rules: request validation, SSO, prompt, login_hint, acrs and the nOAuth tenant."""

from __future__ import annotations

import json

import jwt
import pytest

from emulator.testing import CONTOSO_TENANT_ID
from tests.emulator.flows import authorize_url, pkce_pair, redeem

ACRS_CLAIMS = json.dumps({"id_token": {"acrs": {"essential": True, "value": "c1"}}})


def _id_token(http, authority, reply, verifier) -> dict:
    body = redeem(http, authority, reply.params["code"], verifier).json()
    return jwt.decode(body["id_token"], options={"verify_signature": False})


@pytest.mark.parametrize("overrides, needle", [
    ({"client_id": "00000000-0000-0000-0000-000000000000"}, "AADSTS700016"),
    ({"redirect_uri": "https://evil.example/callback"}, "AADSTS50011"),
    ({"redirect_uri": "http://localhost:5000/other"}, "AADSTS50011"),
])
def test_unknown_client_or_redirect_uri_gets_a_page_not_a_redirect(emu, http, overrides, needle):
    _, challenge = pkce_pair()
    response = http.get(authorize_url(emu.authority, challenge, **overrides), allow_redirects=False)
    assert response.status_code == 400
    assert needle in response.text and "Traceback" not in response.text


@pytest.mark.parametrize("overrides, error", [
    ({"code_challenge": None}, "invalid_request"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"prompt": "bogus"}, "invalid_request"),
    ({"claims": "{not json"}, "invalid_request"),
    ({"claims": json.dumps({"id_token": {"acrs": {"value": "admin"}}})}, "invalid_request"),
])
def test_bad_requests_go_back_to_the_app_with_state(emu, browser, overrides, error):
    _, challenge = pkce_pair()
    reply = browser.open(authorize_url(emu.authority, challenge, **overrides))
    assert reply.params["error"] == error and reply.params["state"] == "st-123"
    assert reply.params["error_description"].startswith("AADSTS")


def test_loopback_redirect_uri_matches_on_any_port(emu, browser):
    _, challenge = pkce_pair()
    page = browser.open(authorize_url(emu.authority, challenge, redirect_uri="http://localhost:5123/auth/callback"))
    assert isinstance(page, str) and "Sign in" in page


def test_prompt_none_without_sso_returns_login_required(emu, browser):
    _, challenge = pkce_pair()
    reply = browser.open(authorize_url(emu.authority, challenge, prompt="none"))
    assert reply.params["error"] == "login_required" and reply.params["state"] == "st-123"


def test_prompt_none_with_sso_completes_silently(emu, http, browser, sign_in):
    _, challenge = pkce_pair()
    first = sign_in(authorize_url(emu.authority, challenge), "examiner@wjec-appointees.co.uk")
    verifier, challenge = pkce_pair()
    reply = browser.open(authorize_url(emu.authority, challenge, prompt="none", state="silent"))
    assert "code" in reply.params and reply.params["state"] == "silent"
    assert reply.params["session_state"] == first.params["session_state"]
    assert _id_token(http, emu.authority, reply, verifier)["oid"] == "11111111-1111-4111-8111-111111111111"


def test_sso_completes_without_prompts_and_prompt_login_forces_credentials(emu, browser, sign_in):
    _, challenge = pkce_pair()
    sign_in(authorize_url(emu.authority, challenge), "examiner@wjec-appointees.co.uk")
    assert "code" in browser.open(authorize_url(emu.authority, challenge)).params
    page = browser.open(authorize_url(emu.authority, challenge, prompt="login"))
    assert isinstance(page, str) and 'name="loginfmt"' in page


def test_login_hint_skips_to_the_password(emu, browser):
    _, challenge = pkce_pair()
    page = browser.open(authorize_url(emu.authority, challenge, login_hint="moderator@wjec-appointees.co.uk",
                                      domain_hint="wjec-appointees.co.uk"))
    assert 'name="passwd"' in page and "moderator@wjec-appointees.co.uk" in page


def test_acrs_is_granted_after_mfa(emu, http, sign_in):
    verifier, challenge = pkce_pair()
    reply = sign_in(authorize_url(emu.authority, challenge, claims=ACRS_CLAIMS), "teamleader@wjec-appointees.co.uk")
    assert _id_token(http, emu.authority, reply, verifier)["acrs"] == ["c1"]


def test_acrs_with_prompt_none_needs_an_mfa_session(emu, browser, sign_in):
    _, challenge = pkce_pair()
    sign_in(authorize_url(emu.authority, challenge), "nomfa@wjec-appointees.co.uk")
    reply = browser.open(authorize_url(emu.authority, challenge, prompt="none", claims=ACRS_CLAIMS))
    assert reply.params["error"] == "interaction_required" and reply.params["state"] == "st-123"


def test_user_without_mfa_method_cannot_meet_an_auth_context(emu, sign_in):
    _, challenge = pkce_pair()
    reply = sign_in(authorize_url(emu.authority, challenge, claims=ACRS_CLAIMS), "nomfa@wjec-appointees.co.uk")
    assert reply.params["error"] == "interaction_required"
    assert reply.params["error_description"].startswith("AADSTS50079")


def test_noauth_user_signs_in_via_organizations_with_her_own_tenant(emu, http, sign_in):
    authority = emu.organizations_authority
    verifier, challenge = pkce_pair()
    reply = sign_in(authorize_url(authority, challenge), "mallory@wjec-appointees.co.uk")
    claims = _id_token(http, authority, reply, verifier)
    assert claims["tid"] == CONTOSO_TENANT_ID
    assert claims["iss"] == f"{emu.base_url}/{CONTOSO_TENANT_ID}/v2.0"
    assert claims["preferred_username"] == "mallory@wjec-appointees.co.uk"


def test_noauth_user_cannot_sign_in_at_the_appointee_tenant(emu, browser):
    _, challenge = pkce_pair()
    page = browser.open(authorize_url(emu.authority, challenge))
    page = browser.submit(page, loginfmt="mallory@wjec-appointees.co.uk")
    page = browser.submit(page, passwd="WjecDemo!2026")
    assert "another organisation" in browser.page_text


def test_single_tenant_app_is_refused_at_organizations(emu, http):
    _, challenge = pkce_pair()
    url = authorize_url(emu.organizations_authority, challenge, client_id="a3b2c1d0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                        redirect_uri=f"{emu.base_url}/amp/callback")
    response = http.get(url, allow_redirects=False)
    assert response.status_code == 400 and "AADSTS50194" in response.text
