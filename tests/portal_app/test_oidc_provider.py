"""Signing in and out against a strict, non-Microsoft OpenID Provider (issue 13), faked with ``responses``.

The review signed in against an independently written, OpenID Certified provider issuing Entra-shaped
claims; these tests reproduce each defect it found: discovery looked up only under Entra's ``/v2.0`` path,
ID tokens without ``nbf`` refused, a token refresh that asked for scopes the sign-in was not granted (and an
OAuth refusal then treated as an outage), and RP-initiated logout without ``id_token_hint``.
"""

from __future__ import annotations

import re
import time

import pytest
import responses

from portal_app import create_app
from tests.portal_app.conftest import METRICS_AUTH, SignInActions, portal_test_config, query_of
from tests.support.fake_oidc import (
    AUTHORIZE_URL,
    DISCOVERY_URL,
    END_SESSION_URL,
    GRANTED,
    ISSUER,
    TOKEN_URL,
    StrictOidcProvider,
    provider_metadata,
)

HTML = {"Accept": "text/html"}


@pytest.fixture
def provider():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield StrictOidcProvider(mock)


@pytest.fixture
def portal(tmp_path, redis_url, provider):
    # Idle for longer than a refresh is due (30 minutes), so refreshes can be reached by moving the clock.
    return create_app(portal_test_config(tmp_path, redis_url, auth={"authority": ISSUER},
                                         session={"idle_timeout_minutes": 120}))


@pytest.fixture
def browser(portal, provider) -> SignInActions:
    return SignInActions(portal.test_client(), provider)


def _signed_in(browser: SignInActions):
    assert browser.callback(browser.start()).status_code == 303
    assert browser.client.get("/services").status_code == 200


def _later(app, minutes: float) -> None:
    started = time.time()
    app.extensions["portal.clock"] = lambda: started + minutes * 60


def test_login_finds_the_providers_metadata_where_openid_connect_discovery_puts_it(browser, portal, provider):
    response = browser.client.get("/login")

    assert response.status_code == 302, response.data
    assert response.location.startswith(AUTHORIZE_URL + "?")
    assert provider.mock.calls[0].request.url == DISCOVERY_URL
    assert portal.test_client().get("/readyz", headers=METRICS_AUTH).status_code == 200


def test_a_sign_in_with_an_id_token_without_nbf_succeeds_with_one_token_call(browser, provider):
    _signed_in(browser)

    assert "nbf" not in provider.factory.claims(omit=("nbf",))
    assert [form["grant_type"] for form in provider.token_requests] == ["authorization_code"]


def test_sign_out_sends_id_token_hint(browser, provider):
    _signed_in(browser)
    id_token = provider.id_token()  # what the provider issued at sign-in, up to its unique token id
    page = browser.client.get("/logout").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    response = browser.client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 303 and response.location.startswith(END_SESSION_URL + "?")
    query = query_of(response.location)
    assert query["post_logout_redirect_uri"] == "http://localhost:5000/"
    hint = query["id_token_hint"]
    assert hint.count(".") == 2 and hint.split(".")[0] == id_token.split(".")[0]
    assert provider.factory.key.public_key()  # signed by the provider: the portal passes on what it was given


def test_a_token_refresh_asks_only_for_the_scopes_the_sign_in_was_granted(browser, portal, provider):
    _signed_in(browser)
    _later(portal, 31)

    assert browser.client.get("/services", headers=HTML).status_code == 200

    refreshes = [form for form in provider.token_requests if form["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1
    assert set(refreshes[0]["scope"].split()) <= GRANTED, refreshes[0]["scope"]
    # The refresh succeeded, so nothing is retried a minute later.
    _later(portal, 32.5)
    assert browser.client.get("/services", headers=HTML).status_code == 200
    assert len([form for form in provider.token_requests if form["grant_type"] == "refresh_token"]) == 1


@pytest.mark.parametrize("error", ["invalid_scope", "invalid_client", "unauthorized_client", "invalid_request"])
def test_an_oauth_refusal_at_refresh_ends_the_session_with_one_silent_sign_in(browser, portal, provider, error):
    _signed_in(browser)
    provider.refusal = error
    _later(portal, 31)

    response = browser.client.get("/services", headers=HTML)

    # An answer, not an outage: the session ends, and the browser gets one silent attempt at the provider.
    assert response.status_code == 302 and response.location.startswith(AUTHORIZE_URL + "?")
    assert query_of(response.location)["prompt"] == "none"
    again = browser.client.get("/services", headers=HTML)
    assert again.status_code == 302 and again.location.startswith("/?next=")


def test_an_outage_at_refresh_still_postpones(browser, portal, provider):
    _signed_in(browser)
    provider.mock.replace(responses.POST, TOKEN_URL, status=503, json={"error": "temporarily_unavailable"})
    _later(portal, 31)
    assert browser.client.get("/services", headers=HTML).status_code == 200


@pytest.mark.parametrize("document", [
    provider_metadata(issuer="https://idp.example/other"),
    provider_metadata(issuer="https://evil.example/oidc"),
    provider_metadata(jwks_uri="https://evil.example/oidc/jwks"),
], ids=["other-issuer-path", "other-issuer-host", "keys-on-another-host"])
def test_metadata_not_bound_to_the_configured_issuer_is_refused(browser, portal, provider, document):
    provider.mock.replace(responses.GET, DISCOVERY_URL, json=document)

    assert browser.client.get("/login").status_code == 503
    ready = portal.test_client().get("/readyz", headers=METRICS_AUTH)
    assert ready.status_code == 503 and "authority" in ready.json["problems"]
