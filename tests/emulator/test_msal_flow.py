"""MSAL Python, unchanged, against the emulator over real HTTPS."""

from __future__ import annotations

import base64
import hashlib
import json

import jwt

from emulator.testing import APPOINTEE_TENANT_ID, PORTAL_CLIENT_ID

REDIRECT_URI = "http://localhost:5000/auth/callback"


def _sent_nonce(flow: dict) -> str:
    """MSAL sends the SHA-256 of the nonce it keeps in the flow."""
    return hashlib.sha256(flow["nonce"].encode()).hexdigest()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_msal_auth_code_flow_signs_in_through_the_pages(emu, http, sign_in):
    app = emu.msal_app(http)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT_URI, response_mode="form_post")
    reply = sign_in(flow["auth_uri"], "examiner@wjec-appointees.co.uk")
    assert reply.mode == "form_post"
    assert reply.url.startswith(REDIRECT_URI)
    result = app.acquire_token_by_auth_code_flow(flow, reply.params)
    assert "error" not in result, result
    claims = result["id_token_claims"]
    assert claims["tid"] == APPOINTEE_TENANT_ID and claims["aud"] == PORTAL_CLIENT_ID
    assert claims["oid"] == "11111111-1111-4111-8111-111111111111"
    assert claims["preferred_username"] == "examiner@wjec-appointees.co.uk"
    assert claims["roles"] == ["Examiner"] and claims["ver"] == "2.0" and claims["nonce"] == _sent_nonce(flow)
    assert claims["groups"] == ["e8a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"]
    assert "amr" not in claims and "acrs" not in claims
    assert {"aio", "rh", "sid", "sub", "uti", "iat", "nbf", "exp", "iss", "name"} <= set(claims)
    info = json.loads(base64.urlsafe_b64decode(result["client_info"] + "=="))
    assert info == {"uid": claims["oid"], "utid": APPOINTEE_TENANT_ID}


def test_id_token_verifies_against_the_published_jwks(emu, http, sign_in):
    app = emu.msal_app(http)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT_URI, response_mode="form_post")
    reply = sign_in(flow["auth_uri"], "moderator@wjec-appointees.co.uk")
    result = app.acquire_token_by_auth_code_flow(flow, reply.params)
    config = http.get(f"{emu.authority}/v2.0/.well-known/openid-configuration").json()
    jwks = http.get(config["jwks_uri"]).json()
    kid = jwt.get_unverified_header(result["id_token"])["kid"]
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
    claims = jwt.decode(result["id_token"], key.key, algorithms=["RS256"], audience=PORTAL_CLIENT_ID,
                        issuer=config["issuer"])
    assert claims["name"] == "Morgan Price"


def test_sub_is_pairwise_per_app(emu, http, sign_in):
    portal = emu.msal_app(http)
    flow = portal.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT_URI, response_mode="form_post")
    portal_claims = portal.acquire_token_by_auth_code_flow(
        flow, sign_in(flow["auth_uri"], "examiner@wjec-appointees.co.uk").params)["id_token_claims"]
    amp = emu.msal_app(http, client_id="a3b2c1d0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                       secret="amp-dev-secret-not-for-production")
    amp_flow = amp.initiate_auth_code_flow(["User.Read"], redirect_uri=f"{emu.base_url}/amp/callback",
                                           response_mode="form_post")
    amp_claims = amp.acquire_token_by_auth_code_flow(
        amp_flow, sign_in(amp_flow["auth_uri"], "examiner@wjec-appointees.co.uk").params)["id_token_claims"]
    assert portal_claims["oid"] == amp_claims["oid"]
    assert portal_claims["sub"] != amp_claims["sub"]
    assert portal_claims["sid"] == amp_claims["sid"]   # one SSO session, two apps


def test_refresh_token_rotates_and_the_old_one_is_refused(emu, http, sign_in):
    app = emu.msal_app(http)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT_URI, response_mode="form_post")
    reply = sign_in(flow["auth_uri"], "examiner@wjec-appointees.co.uk")
    first = app.acquire_token_by_auth_code_flow(flow, reply.params)
    account = app.get_accounts()[0]
    assert account["home_account_id"] == f"11111111-1111-4111-8111-111111111111.{APPOINTEE_TENANT_ID}"
    silent = app.acquire_token_silent(["User.Read"], account=account, force_refresh=True)
    assert silent and "access_token" in silent, silent
    assert silent["refresh_token"] != first["refresh_token"]
    reused = app.acquire_token_by_refresh_token(first["refresh_token"], ["User.Read"])
    assert reused["error"] == "invalid_grant"
    assert reused["error_description"].startswith("AADSTS70000")


def test_access_token_is_for_graph(emu, http, sign_in):
    app = emu.msal_app(http)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT_URI, response_mode="form_post")
    result = app.acquire_token_by_auth_code_flow(flow, sign_in(flow["auth_uri"], "norole@wjec-appointees.co.uk").params)
    claims = _claims(result["access_token"])
    assert claims["aud"] == "00000003-0000-0000-c000-000000000000"
    assert claims["scp"] == "User.Read"
    assert "roles" not in result["id_token_claims"]
