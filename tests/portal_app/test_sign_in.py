"""Sign-in through the portal's routes against a fake Entra: the happy path and every refusal."""

from __future__ import annotations

import time

import pytest
import requests

from tests.portal_app.conftest import SignInActions, query_of
from tests.support.fake_entra import DISCOVERY_URL, TOKEN_URL
from tests.support.signed_tokens import (
    CONTOSO_TENANT_ID,
    JWKS_URI,
    TokenFactory,
    attacker_key,
)


def test_login_redirects_to_authorize_endpoint_with_pkce_state_nonce_and_form_post(client, entra):
    response = client.get("/login")

    assert response.status_code == 302
    assert response.location.startswith("https://login.microsoftonline.com/")
    query = query_of(response.location)
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert query["response_mode"] == "form_post"
    assert query["state"] and query["nonce"]
    assert query["domain_hint"] == "wjec-appointees.co.uk"
    # The redirect URI comes from configuration (a forged Host header is refused: tests/portal_app/test_proxy.py).
    assert query["redirect_uri"] == "http://localhost:5000/auth/callback"
    flow_cookie = response.headers["Set-Cookie"]
    assert "SameSite=None" in flow_cookie and "Secure" in flow_cookie and "HttpOnly" in flow_cookie


def test_steady_state_sign_in_makes_one_call_to_the_authority(app, client, auth, entra):
    warm_up = SignInActions(app.test_client(), entra)
    warm_up.sign_in()  # the first sign-in of a process also fetches discovery and the signing keys
    authorize = auth.start("/services")
    calls_before = len(entra.mock.calls)

    response = auth.callback(authorize)

    assert response.status_code == 303
    assert response.location == "/services"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    new_calls = [c.request.url for c in entra.mock.calls[calls_before:]]
    assert new_calls == [TOKEN_URL]
    page = client.get("/services")
    assert page.status_code == 200
    assert b"Eleri Evans" in page.data


def test_discovery_and_keys_are_fetched_once_per_process(client, auth, entra):
    for _ in range(3):
        auth.sign_in()
        client.get("/services")
    assert entra.calls_to(JWKS_URI) == 1
    assert entra.calls_to(TOKEN_URL) == 3
    # One discovery for MSAL, one for the portal's own metadata, then none.
    assert entra.calls_to(DISCOVERY_URL) <= 2


def test_login_hint_outside_the_appointee_domain_is_refused_with_the_address_kept(client):
    response = client.get("/login", query_string={"login_hint": "teacher@school.example"})
    assert response.status_code == 400
    assert b'value="teacher@school.example"' in response.data
    assert b"contact" in response.data


def test_login_hint_at_the_appointee_domain_goes_to_microsoft(client, entra):
    response = client.get("/login", query_string={"login_hint": "examiner@wjec-appointees.co.uk"})
    assert response.status_code == 302
    assert query_of(response.location)["login_hint"] == "examiner@wjec-appointees.co.uk"


def test_replayed_callback_is_refused(client, auth):
    authorize = auth.start()
    assert auth.callback(authorize).status_code == 303
    client.post("/logout")  # whatever happens next, the same callback must not sign in again
    replay = auth.callback(authorize)
    assert replay.status_code == 400
    assert b"Reference" in replay.data


def test_callback_delivered_to_another_browser_is_refused(app, auth):
    authorize = auth.start()
    other_browser = app.test_client()
    response = other_browser.post("/auth/callback", data={"code": "c", "state": authorize["state"]})
    assert response.status_code == 400
    # The flow was single use: even the right browser cannot use it now.
    assert auth.callback(authorize).status_code == 400


def test_unknown_state_is_refused(client):
    assert client.post("/auth/callback", data={"code": "c", "state": "made-up"}).status_code == 400
    assert client.post("/auth/callback", data={}).status_code == 400


@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"iss": "https://login.microsoftonline.com/another/v2.0"}, "wrong issuer"),
        ({"tid": CONTOSO_TENANT_ID, "iss": f"https://login.microsoftonline.com/{CONTOSO_TENANT_ID}/v2.0"},
         "another tenant with an appointee-looking name"),
        ({"aud": "someone-else"}, "wrong audience"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"nonce": "not-the-flow-nonce"}, "wrong nonce"),
        ({"_headers": {"alg": "RS512"}}, "another alg"),
    ],
)
def test_bad_id_tokens_are_refused_with_a_friendly_4xx(client, auth, entra, overrides, reason):
    authorize = auth.start()
    entra.token_overrides = overrides
    response = auth.callback(authorize)
    assert 400 <= response.status_code < 500, reason
    assert b"Reference" in response.data and b"Traceback" not in response.data
    assert client.get("/services").status_code == 302


def test_forged_signature_is_refused(client, auth, entra):
    authorize = auth.start()
    entra.factory = TokenFactory(key=attacker_key())
    assert auth.callback(authorize).status_code == 401


def test_alg_none_is_refused(client, auth, entra):
    from tests.support.signed_tokens import default_claims, unsigned_token

    authorize = auth.start()
    claims = {**default_claims(time.time()), "nonce": entra.nonce}
    entra.token_response = lambda form: (200, {"token_type": "Bearer", "id_token": unsigned_token(claims),
                                               "access_token": "a", "expires_in": 3600})
    assert auth.callback(authorize).status_code == 401


def test_token_response_without_id_token_is_refused(auth, entra):
    authorize = auth.start()
    entra.token_response = lambda form: (200, {"token_type": "Bearer", "access_token": "a", "expires_in": 3600})
    assert auth.callback(authorize).status_code == 401


def test_token_endpoint_error_is_shown_as_a_refusal(auth, entra):
    authorize = auth.start()
    entra.token_response = lambda form: (400, {"error": "invalid_grant",
                                               "error_description": "AADSTS54005: code already redeemed"})
    response = auth.callback(authorize)
    assert response.status_code == 401
    assert b"invalid_grant" in response.data


def test_errors_from_the_authority_are_never_echoed(auth):
    # The error parameter is the visitor's to choose: the page names a known code, or "other" (issue 13).
    authorize = auth.start()
    response = auth.callback(authorize, code="", error="<script>alert(1)</script>",
                             error_description="<b>no</b>")
    assert response.status_code == 401
    assert b"alert(1)" not in response.data and b"<b>no</b>" not in response.data
    assert b"other" in response.data


def test_token_endpoint_timeout_gives_a_clear_503(auth, entra):
    authorize = auth.start()

    def hang(form):
        raise requests.Timeout("read timed out")

    entra.token_response = hang
    response = auth.callback(authorize)
    assert response.status_code == 503
    assert b"not responding" in response.data
    assert response.headers["Retry-After"]


@pytest.mark.parametrize("next_path", [
    "//evil.example/x", "/\\evil.example", "https://evil.example/", "https:evil.example", "/%2F%2Fevil.example",
    "/%5Cevil.example", "%2F%2Fevil.example", "javascript:alert(1)", "/login", "/auth/callback", "\t//evil",
    "/%252F%252Fevil.example",
])
def test_next_cannot_send_the_user_off_site(auth, next_path):
    response = auth.callback(auth.start(next_path))
    assert response.status_code == 303
    assert response.location == "/services"


def test_next_keeps_a_same_site_path(auth):
    response = auth.callback(auth.start("/services?tab=emi"))
    assert response.location == "/services?tab=emi"
