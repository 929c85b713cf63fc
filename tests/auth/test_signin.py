"""The sign-in use case against a fake Entra: the authorize request, and every way a callback is refused."""

from __future__ import annotations

import hashlib
import json
import time
from urllib.parse import parse_qs

import pytest
import requests
import responses

from auth.errors import AuthError, AuthorityError, AuthorityUnavailable, InvalidState, InvalidToken
from auth.flow_state import SignInFlows, new_browser_secret
from auth.http import authority_session
from auth.msal_client import MsalClient
from auth.signin import SignedIn, SignIn, SignInConfig, SilentSignInFailed
from auth.stores import FileStore
from auth.tokens import JwksCache
from tests.support.fake_entra import DISCOVERY_URL, TOKEN_URL, FakeEntra
from tests.support.signed_tokens import (
    APPOINTEE_TENANT_ID,
    AUTHORITY,
    CONTOSO_TENANT_ID,
    EXAMINER_OID,
    ISSUER_TEMPLATE,
    JWKS_URI,
    PORTAL_CLIENT_ID,
    TokenFactory,
    attacker_key,
    b64url,
)

REDIRECT_URI = "https://portal.example/auth/callback"
APPOINTEE_DOMAIN = "wjec-appointees.co.uk"
FLOW_LIFETIME = 600
INTERACTION_ERRORS = ["login_required", "interaction_required", "consent_required", "account_selection_required"]


@pytest.fixture
def entra():
    """The fake Entra; any URL it does not serve fails the request (and so the test)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeEntra(mock)


@pytest.fixture
def msal_client(entra) -> MsalClient:
    return MsalClient(authority=AUTHORITY, client_id=PORTAL_CLIENT_ID, client_secret="test-client-secret",
                      http_client=authority_session(5.0), timeout=5.0)


@pytest.fixture
def make_sign_in(msal_client, tmp_path, clock):
    """``SignIn`` over a real flow store, MSAL client and JWKS cache; keyword arguments change its config."""
    flows = SignInFlows(FileStore(tmp_path / "flows", "flow:"), FLOW_LIFETIME, clock=clock)
    jwks = JwksCache(JWKS_URI, authority_session(5.0))

    def make(**config) -> SignIn:
        settings = {"client_id": PORTAL_CLIENT_ID, "redirect_uri": REDIRECT_URI,
                    "allowed_tenants": (APPOINTEE_TENANT_ID,), "scopes": (), "domain_hint": APPOINTEE_DOMAIN,
                    "clock_skew_seconds": 300, **config}
        return SignIn(msal_client=msal_client, flows=flows, jwks=jwks, issuer_template=ISSUER_TEMPLATE,
                      config=SignInConfig(**settings))

    return make


@pytest.fixture
def sign_in(make_sign_in) -> SignIn:
    return make_sign_in()


@pytest.fixture
def browser() -> str:
    """The binding secret of the browser that starts the sign-in (its short-lived flow cookie)."""
    return new_browser_secret()


def begin(sign_in: SignIn, entra: FakeEntra, browser: str, next_path: str = "/emi/", **options) -> dict[str, str]:
    """Start a sign-in; the query of the authorize URL, whose nonce the fake Entra will echo."""
    return entra.remember_authorize(sign_in.begin(next_path=next_path, browser_secret=browser, **options))


def callback(authorize: dict[str, str], **fields) -> dict[str, str]:
    """What the authority form_posts back: the flow's state and, unless told otherwise, a code."""
    return {"state": authorize["state"], "code": "test-code", "session_state": "s", **fields}


def refusal_of(sign_in: SignIn, response: dict, browser: str | None, error=AuthError) -> AuthError:
    """The ``error`` that ``complete`` raises for ``response``; fails the test if it signs anyone in."""
    with pytest.raises(error) as caught:
        sign_in.complete(response, browser_secret=browser)
    return caught.value


def token_requests(entra: FakeEntra) -> list[dict[str, str]]:
    """The forms of every token request the portal sent."""
    return [{k: v[0] for k, v in parse_qs(call.request.body).items()}
            for call in entra.mock.calls if call.request.url == TOKEN_URL]


# --- the authorize request ----------------------------------------------------------------------------------


def test_authorize_url_asks_for_a_code_with_pkce_s256_state_nonce_and_form_post(sign_in, entra, browser):
    url = sign_in.begin(next_path="/emi/", browser_secret=browser)
    query = entra.remember_authorize(url)

    assert url.startswith(f"https://login.microsoftonline.com/{APPOINTEE_TENANT_ID}/oauth2/v2.0/authorize?")
    assert query["response_type"] == "code"
    assert query["response_mode"] == "form_post"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 16 and len(query["nonce"]) >= 16
    assert query["client_id"] == PORTAL_CLIENT_ID
    assert query["redirect_uri"] == REDIRECT_URI
    assert {"openid", "profile", "offline_access"} <= set(query["scope"].split())


def test_the_code_verifier_redeemed_is_the_one_behind_the_challenge(sign_in, entra, browser):
    authorize = begin(sign_in, entra, browser)
    sign_in.complete(callback(authorize), browser_secret=browser)

    [form] = token_requests(entra)
    digest = hashlib.sha256(form["code_verifier"].encode("ascii")).digest()
    assert b64url(digest) == authorize["code_challenge"]
    assert (form["grant_type"], form["code"], form["redirect_uri"]) == ("authorization_code", "test-code",
                                                                        REDIRECT_URI)


def test_configured_scopes_are_asked_for_beside_the_openid_ones(make_sign_in, entra, browser):
    query = begin(make_sign_in(scopes=("User.Read",)), entra, browser)
    assert {"User.Read", "openid", "profile", "offline_access"} <= set(query["scope"].split())


def test_every_sign_in_gets_its_own_state_nonce_and_challenge(sign_in, entra, browser):
    first, second = begin(sign_in, entra, browser), begin(sign_in, entra, browser)
    for parameter in ("state", "nonce", "code_challenge"):
        assert first[parameter] != second[parameter]


def test_login_hint_and_prompt_are_passed_through(sign_in, entra, browser):
    query = begin(sign_in, entra, browser, login_hint="examiner@wjec-appointees.co.uk", prompt="select_account")
    assert query["login_hint"] == "examiner@wjec-appointees.co.uk"
    assert query["prompt"] == "select_account"


def test_without_login_hint_or_prompt_neither_is_sent(sign_in, entra, browser):
    query = begin(sign_in, entra, browser)
    assert "login_hint" not in query and "prompt" not in query


def test_ui_locales_asks_the_authority_for_its_pages_in_that_language(sign_in, entra, browser):
    """OpenID Connect ui_locales: Microsoft's pages in the language the user chose on the portal."""
    query = begin(sign_in, entra, browser, ui_locales="cy-GB cy")
    assert query["ui_locales"] == "cy-GB cy"
    assert query["code_challenge_method"] == "S256" and query["state"] and query["nonce"]


def test_the_flow_with_ui_locales_completes_as_any_other(sign_in, entra, browser):
    """ui_locales joins the URL MSAL built; the state, nonce and PKCE MSAL checks at the callback still hold."""
    authorize = begin(sign_in, entra, browser, ui_locales="en-GB en")
    assert sign_in.complete(callback(authorize), browser_secret=browser).claims["nonce"] == authorize["nonce"]


def test_without_ui_locales_none_is_sent(sign_in, entra, browser):
    assert "ui_locales" not in begin(sign_in, entra, browser)


@pytest.mark.parametrize("domain_hint", [APPOINTEE_DOMAIN, None])
def test_domain_hint_comes_from_the_config(make_sign_in, entra, browser, domain_hint):
    query = begin(make_sign_in(domain_hint=domain_hint), entra, browser)
    assert query.get("domain_hint") == domain_hint


def test_a_required_auth_context_is_asked_for_as_an_essential_claim(make_sign_in, entra, browser):
    query = begin(make_sign_in(required_auth_context="c1"), entra, browser)
    assert json.loads(query["claims"]) == {"id_token": {"acrs": {"essential": True, "value": "c1"}}}


def test_no_claims_request_without_a_required_auth_context(sign_in, entra, browser):
    assert "claims" not in begin(sign_in, entra, browser)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"body": requests.ConnectionError("connection refused")}, id="connection-refused"),
        pytest.param({"body": requests.Timeout("read timed out")}, id="timeout"),
        pytest.param({"status": 400, "json": {"error": "invalid_tenant"}}, id="unknown-tenant"),
        pytest.param({"body": "<html>proxy sign-in</html>"}, id="not-json"),
        pytest.param({"status": 503, "json": {}}, id="http-503"),
    ],
)
def test_an_authority_that_cannot_be_asked_makes_begin_unavailable(sign_in, entra, browser, answer):
    entra.mock.replace(responses.GET, DISCOVERY_URL, **answer)
    with pytest.raises(AuthorityUnavailable):
        sign_in.begin(next_path="/emi/", browser_secret=browser)


# --- a good callback ----------------------------------------------------------------------------------------


def test_a_good_callback_signs_in_with_identity_claims_token_cache_and_next_path(sign_in, entra, browser):
    entra.token_overrides = {"roles": ["Examiner"]}
    authorize = begin(sign_in, entra, browser, next_path="/emi/sheet/12?tab=2")

    signed_in = sign_in.complete(callback(authorize), browser_secret=browser)

    assert isinstance(signed_in, SignedIn)
    assert signed_in.identity.key == (APPOINTEE_TENANT_ID, EXAMINER_OID)
    assert signed_in.identity.display_name == "Eleri Evans"
    assert signed_in.claims["roles"] == ["Examiner"]
    assert signed_in.claims["nonce"] == authorize["nonce"]
    assert signed_in.next_path == "/emi/sheet/12?tab=2"
    cache = json.loads(signed_in.token_cache)
    assert [rt["secret"] for rt in cache["RefreshToken"].values()] == ["fake-refresh-token"]
    assert [a["local_account_id"] for a in cache["Account"].values()] == [EXAMINER_OID]


def test_complete_leaves_no_token_cache_bound(sign_in, msal_client, entra, browser):
    sign_in.complete(callback(begin(sign_in, entra, browser)), browser_secret=browser)
    with pytest.raises(RuntimeError):
        msal_client.app.get_accounts()


def test_a_steady_state_sign_in_makes_exactly_one_call_the_token_request(sign_in, entra, browser):
    # The first sign-in of a process also fetches discovery and the signing keys; after that, only the token.
    sign_in.complete(callback(begin(sign_in, entra, browser)), browser_secret=browser)
    authorize = begin(sign_in, entra, browser)
    calls_before = len(entra.mock.calls)

    sign_in.complete(callback(authorize), browser_secret=browser)

    assert [call.request.url for call in entra.mock.calls[calls_before:]] == [TOKEN_URL]


# --- callbacks that do not belong to this browser's sign-in ---------------------------------------------------


def test_a_replayed_callback_is_refused_without_a_second_token_request(sign_in, entra, browser):
    response = callback(begin(sign_in, entra, browser))
    sign_in.complete(response, browser_secret=browser)

    refusal_of(sign_in, response, browser, InvalidState)
    assert entra.calls_to(TOKEN_URL) == 1


@pytest.mark.parametrize("state", [None, "", "made-up-state", "x" * 500], ids=["missing", "empty", "unknown", "huge"])
def test_a_callback_without_a_known_state_is_refused(sign_in, entra, browser, state):
    begin(sign_in, entra, browser)
    refusal_of(sign_in, {"state": state, "code": "test-code"}, browser, InvalidState)
    assert entra.calls_to(TOKEN_URL) == 0


def test_a_callback_after_the_flow_expired_is_refused(sign_in, entra, browser, clock):
    authorize = begin(sign_in, entra, browser)
    clock.advance(FLOW_LIFETIME + 1)
    refusal_of(sign_in, callback(authorize), browser, InvalidState)
    assert entra.calls_to(TOKEN_URL) == 0


@pytest.mark.parametrize("other_browser", [new_browser_secret(), None, ""], ids=["other-secret", "no-cookie", "empty"])
def test_refuses_callback_from_another_browser_and_burns_the_flow(sign_in, entra, browser, other_browser):
    # Login CSRF: an attacker's own code pushed into the victim's browser.
    authorize = begin(sign_in, entra, browser)
    refusal_of(sign_in, callback(authorize), other_browser, InvalidState)
    refusal_of(sign_in, callback(authorize), browser, InvalidState)
    assert entra.calls_to(TOKEN_URL) == 0


def test_a_callback_without_code_or_error_is_refused(sign_in, entra, browser):
    authorize = begin(sign_in, entra, browser)
    refusal_of(sign_in, {"state": authorize["state"]}, browser, InvalidState)
    assert entra.calls_to(TOKEN_URL) == 0


# --- silent attempts (prompt=none) ----------------------------------------------------------------------------


@pytest.mark.parametrize("error", INTERACTION_ERRORS)
def test_a_silent_attempt_that_needs_interaction_shows_the_sign_in_page_keeping_next(sign_in, entra, browser, error):
    authorize = begin(sign_in, entra, browser, next_path="/iamis/centre/5", prompt="none")
    failed = refusal_of(sign_in, callback(authorize, code="", error=error), browser, SilentSignInFailed)
    assert failed.next_path == "/iamis/centre/5"
    assert (failed.error, failed.status_code) == ("login_required", 401)
    assert error in failed.reason
    assert entra.calls_to(TOKEN_URL) == 0


def test_a_silent_attempt_refused_for_another_reason_is_an_authority_error(sign_in, entra, browser):
    authorize = begin(sign_in, entra, browser, prompt="none")
    refused = refusal_of(sign_in, callback(authorize, code="", error="access_denied"), browser)
    assert type(refused) is AuthorityError


def test_a_silent_attempt_from_a_browser_without_the_flow_cookie_shows_the_sign_in_page(sign_in, entra, browser):
    # A browser refusing third-party cookies comes back without the binding cookie; it should see the sign-in
    # page, not an error, and not the flow's next path, which this browser cannot be shown to own.
    authorize = begin(sign_in, entra, browser, next_path="/iamis/centre/5", prompt="none")
    failed = refusal_of(sign_in, callback(authorize), None, SilentSignInFailed)
    assert failed.next_path == "/services"
    assert entra.calls_to(TOKEN_URL) == 0


@pytest.mark.parametrize("error", INTERACTION_ERRORS)
def test_interaction_errors_outside_a_silent_attempt_are_authority_errors(sign_in, entra, browser, error):
    authorize = begin(sign_in, entra, browser)
    refused = refusal_of(sign_in, callback(authorize, code="", error=error), browser)
    assert type(refused) is AuthorityError and refused.error == error


# --- errors the authority answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error, description",
    [
        ("access_denied", "Sign-in was cancelled or refused at Microsoft."),
        ("interaction_required", "Your account needs an extra verification step"),
        ("login_required", "Please sign in to continue."),
        ("consent_required", "Please sign in to continue."),
        ("account_selection_required", "Please sign in to continue."),
        ("server_error", "Microsoft sign-in did not complete."),
        ("temporarily_unavailable", "Microsoft sign-in did not complete."),
        ("invalid_request", "Microsoft sign-in did not complete."),
    ],
)
def test_authority_error_answers_carry_a_description_for_the_user(sign_in, entra, browser, error, description):
    authorize = begin(sign_in, entra, browser)
    response = callback(authorize, code="", error=error, error_description="AADSTS90000: details for the log")

    refused = refusal_of(sign_in, response, browser, AuthorityError)

    assert refused.error == error
    assert refused.status_code == 401
    assert refused.description.startswith(description)
    assert "AADSTS90000" in refused.reason and "AADSTS" not in refused.description
    assert entra.calls_to(TOKEN_URL) == 0


def test_authority_error_answers_are_clipped_before_they_reach_logs(sign_in, entra, browser):
    authorize = begin(sign_in, entra, browser)
    response = callback(authorize, code="", error="e" * 5000, error_description="d" * 5000)
    refused = refusal_of(sign_in, response, browser, AuthorityError)
    assert len(refused.error) <= 100
    assert len(refused.reason) < 500


def test_an_error_answer_wins_over_a_code_in_the_same_callback(sign_in, entra, browser):
    authorize = begin(sign_in, entra, browser)
    refusal_of(sign_in, callback(authorize, error="access_denied"), browser, AuthorityError)
    assert entra.calls_to(TOKEN_URL) == 0


def test_a_refused_token_request_is_an_authority_error(sign_in, entra, browser):
    authorize = begin(sign_in, entra, browser)
    entra.token_response = lambda form: (400, {"error": "invalid_grant",
                                               "error_description": "AADSTS54005: code already redeemed"})
    refused = refusal_of(sign_in, callback(authorize), browser, AuthorityError)
    assert refused.error == "invalid_grant"
    assert "AADSTS54005" in refused.reason


@pytest.mark.parametrize("failure", [requests.Timeout("read timed out"), requests.ConnectionError("reset")],
                         ids=["timeout", "connection-error"])
def test_a_token_request_that_gets_no_answer_is_authority_unavailable(sign_in, entra, browser, failure):
    authorize = begin(sign_in, entra, browser)

    def no_answer(form):
        raise failure

    entra.token_response = no_answer
    unavailable = refusal_of(sign_in, callback(authorize), browser, AuthorityUnavailable)
    assert unavailable.status_code == 503


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_token_endpoint_that_fails_is_authority_unavailable(sign_in, entra, browser, status):
    # Entra answering 5xx during an outage must give the "try again in a few minutes" page, not a 500.
    authorize = begin(sign_in, entra, browser)
    entra.token_response = lambda form: (status, {})
    refusal_of(sign_in, callback(authorize), browser, AuthorityUnavailable)


# --- the ID token of the token response ----------------------------------------------------------------------


@pytest.mark.parametrize("nonce", ["another-nonce", "", None], ids=["other", "empty", "null"])
def test_an_id_token_with_another_nonce_is_refused(sign_in, entra, browser, nonce):
    authorize = begin(sign_in, entra, browser)
    entra.token_overrides = {"nonce": nonce}
    refusal_of(sign_in, callback(authorize), browser, InvalidToken)


def test_a_token_response_without_id_token_is_refused(sign_in, entra, browser):
    authorize = begin(sign_in, entra, browser)
    entra.token_response = lambda form: (200, {"token_type": "Bearer", "access_token": "a", "expires_in": 3600})
    assert "no id_token" in refusal_of(sign_in, callback(authorize), browser, InvalidToken).reason


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"aud": "someone-else"}, id="other-audience"),
        pytest.param({"tid": CONTOSO_TENANT_ID,
                      "iss": f"https://login.microsoftonline.com/{CONTOSO_TENANT_ID}/v2.0"}, id="other-tenant"),
        pytest.param({"iss": "https://evil.example/v2.0"}, id="other-issuer"),
        pytest.param({"exp": 1_000_000}, id="expired"),
        pytest.param({"_headers": {"alg": "RS512"}}, id="other-alg"),
    ],
)
def test_the_id_token_gets_every_check_msal_does_not_do(sign_in, entra, browser, overrides):
    # MSAL checks only state and nonce; a callback whose ID token fails our checks must not sign anyone in.
    authorize = begin(sign_in, entra, browser)
    entra.token_overrides = overrides
    refusal_of(sign_in, callback(authorize), browser, InvalidToken)


def test_an_id_token_with_a_forged_signature_is_refused(sign_in, entra, browser):
    authorize = begin(sign_in, entra, browser)
    entra.factory = TokenFactory(key=attacker_key())
    assert "signature" in refusal_of(sign_in, callback(authorize), browser, InvalidToken).reason


@pytest.mark.parametrize(
    "id_token",
    [
        pytest.param("not-a-jws", id="no-dots"),
        pytest.param("e30.W10.c2ln", id="payload-a-list"),
        pytest.param("e30.!!!.c2ln", id="payload-not-base64"),
        pytest.param(42, id="number"),
    ],
)
def test_a_garbled_id_token_is_refused_with_an_auth_error(sign_in, entra, browser, id_token):
    # Never a 500 (auth/errors.py): whatever the token endpoint sends is a refusal the error page can show.
    authorize = begin(sign_in, entra, browser)
    entra.token_response = lambda form: (200, {"token_type": "Bearer", "access_token": "a", "expires_in": 3600,
                                               "id_token": id_token})
    refusal_of(sign_in, callback(authorize), browser)


def test_a_missing_auth_context_asks_for_step_up(make_sign_in, entra, browser):
    sign_in = make_sign_in(required_auth_context="c1")
    authorize = begin(sign_in, entra, browser)
    entra.token_overrides = {"acrs": ["c2"]}
    refused = refusal_of(sign_in, callback(authorize), browser, InvalidToken)
    assert refused.error == "insufficient_user_authentication"


def test_a_token_with_the_required_auth_context_signs_in(make_sign_in, entra, browser):
    sign_in = make_sign_in(required_auth_context="c1")
    authorize = begin(sign_in, entra, browser)
    entra.token_overrides = {"acrs": ["c1"]}
    assert sign_in.complete(callback(authorize), browser_secret=browser).claims["acrs"] == ["c1"]


# --- validate (also used for ID tokens from a refresh) ----------------------------------------------------------


def test_validate_without_a_nonce_accepts_a_refreshed_id_token(sign_in, entra, token_factory):
    assert sign_in.validate(token_factory.mint(omit=("nonce",)))["oid"] == EXAMINER_OID


def test_validate_with_a_nonce_refuses_an_id_token_without_it(sign_in, entra, token_factory):
    with pytest.raises(InvalidToken):
        sign_in.validate(token_factory.mint(omit=("nonce",)), nonce="expected-nonce")


def test_validate_tolerates_the_configured_clock_skew(make_sign_in, entra, token_factory):
    token = token_factory.mint(exp=int(time.time()) - 120)
    assert make_sign_in(clock_skew_seconds=300).validate(token)


def test_validate_refuses_a_token_beyond_the_configured_clock_skew(make_sign_in, entra, token_factory):
    token = token_factory.mint(exp=int(time.time()) - 120)
    with pytest.raises(InvalidToken):
        make_sign_in(clock_skew_seconds=60).validate(token)


@pytest.mark.parametrize("config", [{"client_id": "another-client"}, {"allowed_tenants": (CONTOSO_TENANT_ID,)}],
                         ids=["client-id", "allowed-tenants"])
def test_validate_checks_against_the_configured_client_and_tenants(make_sign_in, entra, token_factory, config):
    with pytest.raises(InvalidToken):
        make_sign_in(**config).validate(token_factory.mint())


def test_validate_requires_the_configured_auth_context(make_sign_in, entra, token_factory):
    with pytest.raises(InvalidToken):
        make_sign_in(required_auth_context="c1").validate(token_factory.mint())

