"""Silent sign-in, idle and absolute expiry, token refresh, front-channel logout and sign-out everywhere.

Time is controlled through the app's clock, never slept.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import redis

from portal_app import create_app
from portal_app.signin.backend import SESSION_KEY_PREFIX
from tests.portal_app.conftest import SignInActions, portal_test_config, query_of

BROWSER = {"Accept": "text/html,application/xhtml+xml", "User-Agent": "Mozilla/5.0 Chrome/156"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app):
    fake = Clock()
    app.extensions["portal.clock"] = fake
    return fake


def _csrf(page) -> str:
    return page.data.split(b'name="csrf_token" value="')[1].split(b'"')[0].decode()


# --- silent sign-in -----------------------------------------------------------------------------------------

def test_a_browser_without_a_session_gets_one_silent_attempt(client):
    response = client.get("/services?tab=1", headers=BROWSER)
    assert response.status_code == 302
    query = query_of(response.location)
    assert query["prompt"] == "none" and query["domain_hint"] == "wjec-appointees.co.uk"
    assert "portal_silent=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_silent_attempt_uses_the_remembered_username(client, auth):
    auth.sign_in()
    client.post("/logout", data={"csrf_token": _csrf(client.get("/logout"))})
    client.set_cookie("portal_hint", "examiner@wjec-appointees.co.uk", domain="localhost")
    response = client.get("/services", headers=BROWSER)
    assert query_of(response.location)["login_hint"] == "examiner@wjec-appointees.co.uk"


def test_silent_success_lands_on_the_page_asked_for(client, entra):
    response = client.get("/services?tab=1", headers=BROWSER)
    authorize = entra.remember_authorize(response.location)
    back = client.post("/auth/callback", data={"code": "c", "state": authorize["state"]})
    assert back.status_code == 303 and back.location == "/services?tab=1"


@pytest.mark.parametrize("error", ["login_required", "interaction_required", "consent_required"])
def test_silent_failure_shows_the_sign_in_page_with_next_kept_and_never_loops(client, entra, error):
    response = client.get("/services?tab=1", headers=BROWSER)
    authorize = entra.remember_authorize(response.location)
    back = client.post("/auth/callback", data={"error": error, "state": authorize["state"]})
    assert back.status_code == 303 and back.location == "/?next=%2Fservices%3Ftab%3D1"
    again = client.get("/services?tab=1", headers=BROWSER)
    assert again.location.startswith("/?next="), "a second attempt within minutes would risk a loop"


def test_a_browser_refusing_cookies_ends_on_the_sign_in_page(app, entra):
    response = app.test_client().get("/services", headers=BROWSER)
    authorize = entra.remember_authorize(response.location)
    cookieless = app.test_client()  # sends none of the cookies the first response tried to set
    back = cookieless.post("/auth/callback", data={"error": "login_required", "state": authorize["state"]})
    assert back.status_code == 303 and back.location.startswith("/?next=")


@pytest.mark.parametrize("headers, method", [
    ({"Accept": "application/json"}, "GET"),
    ({"Accept": "*/*"}, "GET"),
    ({**BROWSER, "User-Agent": "Googlebot/2.1"}, "GET"),
    (BROWSER, "POST"),
])
def test_no_silent_attempt_for_api_clients_crawlers_or_posts(client, headers, method):
    response = client.open("/services", method=method, headers=headers)
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response.location.startswith("/?next=")


def test_silent_sign_in_can_be_switched_off(tmp_path, redis_url, entra):
    app = create_app(portal_test_config(tmp_path, redis_url, session={"silent_sign_in": False}))
    assert app.test_client().get("/services", headers=BROWSER).location.startswith("/?next=")


# --- idle and absolute lifetime -----------------------------------------------------------------------------

def test_idle_session_ends_after_the_idle_timeout(client, auth, clock):
    auth.sign_in()
    clock.now += 29 * 60
    assert client.get("/services").status_code == 200
    clock.now += 31 * 60
    assert client.get("/services").status_code == 302


def test_activity_never_extends_the_absolute_lifetime(client, auth, clock, entra):
    auth.sign_in()
    entra.token_overrides = {}
    for _ in range(17):  # a request every 29 minutes for 8 h 13 min
        clock.now += 29 * 60
        client.get("/services")
    assert client.get("/services").status_code == 302


# --- token refresh ------------------------------------------------------------------------------------------

def test_tokens_are_refreshed_and_roles_reevaluated(client, auth, clock, entra):
    auth.sign_in(roles=["Examiner"])
    calls = entra.calls_to("https://login.microsoftonline.com/3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70/oauth2/v2.0/token")
    entra.token_overrides = {"nonce": None, "roles": []}
    clock.now += 31 * 60 - 60
    client.get("/services")
    clock.now += 60
    page = client.get("/services")
    assert page.status_code == 200
    assert entra.calls_to("https://login.microsoftonline.com/3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70/"
                          "oauth2/v2.0/token") == calls + 1
    assert b"No services are available" in page.data


# Any OAuth error response is an answer, not an outage (issue 13): a strict provider's invalid_scope, too.
@pytest.mark.parametrize("error", ["invalid_grant", "interaction_required", "invalid_scope", "invalid_client",
                                   "unauthorized_client", "invalid_request", "something_new"])
def test_a_refused_refresh_ends_the_session(client, auth, clock, entra, error):
    auth.sign_in()
    entra.token_response = lambda form: (400, {"error": error, "error_description": "AADSTS50173: revoked"})
    clock.now += 29 * 60
    assert client.get("/services").status_code == 200  # not idle: the refresh, not the idle limit, ends it
    clock.now += 2 * 60
    response = client.get("/services")
    assert response.status_code == 302 and response.location.startswith("/?next=")


def test_a_refresh_asks_only_for_the_scopes_the_sign_in_was_granted(client, auth, clock, entra):
    # RFC 6749 section 6: a refresh may not add scopes. The Graph token for the groups overage is asked for
    # separately, and only for users in overage.
    auth.sign_in()
    entra.token_overrides = {"nonce": None}
    clock.now += 29 * 60
    client.get("/services")  # keeps the session from going idle
    clock.now += 2 * 60
    assert client.get("/services").status_code == 200
    refreshes = [parse_qs(call.request.body) for call in entra.mock.calls
                 if call.request.method == "POST" and "refresh_token" in parse_qs(call.request.body)]
    assert len(refreshes) == 1
    assert set(refreshes[0]["scope"][0].split()) == {"openid", "profile", "offline_access"}


def test_a_refreshed_id_token_for_another_user_is_refused(client, auth, clock, entra):
    auth.sign_in()
    entra.token_overrides = {"nonce": None, "oid": "22222222-2222-4222-8222-222222222222"}
    clock.now += 30 * 60 + 1
    assert client.get("/services").status_code == 302


# --- single sign-out ----------------------------------------------------------------------------------------

def test_front_channel_logout_ends_every_session_with_that_sid(app, entra):
    browsers = [SignInActions(app.test_client(), entra) for _ in range(2)]
    for browser in browsers:
        browser.sign_in(sid="sso-session-aaaaaaaa")
    other = SignInActions(app.test_client(), entra)
    other.sign_in(sid="sso-session-bbbbbbbb")

    iframe = app.test_client().get("/auth/frontchannel-logout?sid=sso-session-aaaaaaaa")

    assert iframe.status_code == 200
    assert "frame-ancestors https://login.microsoftonline.com" in iframe.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in iframe.headers
    for browser in browsers:
        assert browser.client.get("/services").status_code == 302
    assert other.client.get("/services").status_code == 200


def test_front_channel_logout_with_an_unknown_sid_is_harmless(client):
    assert client.get("/auth/frontchannel-logout?sid=nobody-at-all").status_code == 200
    assert client.get("/auth/frontchannel-logout").status_code == 200


def test_sign_out_everywhere_ends_all_of_a_users_sessions(app, entra):
    laptop, phone = (SignInActions(app.test_client(), entra) for _ in range(2))
    laptop.sign_in()
    phone.sign_in()
    token = _csrf(laptop.client.get("/logout"))
    response = laptop.client.post("/logout/everywhere", data={"csrf_token": token})
    assert response.status_code == 303 and "oauth2/v2.0/logout" in response.location
    assert phone.client.get("/services").status_code == 302
    assert laptop.client.get("/services").status_code == 302


def test_sign_out_everywhere_voids_even_a_session_the_index_lost(app, entra, redis_url):
    # Defence in depth: "sign out everywhere" also stamps the user, so a session that no index knows (its
    # entry evicted, say) is void at its next write, and gone from then on.
    lost, other = SignInActions(app.test_client(), entra), SignInActions(app.test_client(), entra)
    lost.sign_in(roles=["TeamLeader", "Moderator"])
    lost_sid = lost.client.get_cookie("portal_session").value
    redis.Redis.from_url(redis_url).srem(
        "portal:index:user:3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70:11111111-1111-4111-8111-111111111111", lost_sid)
    csrf_lost = _csrf(lost.client.get("/logout"))
    other.sign_in()
    assert other.client.post("/logout/everywhere", data={"csrf_token": _csrf(other.client.get("/logout"))}
                             ).status_code == 303

    lost.client.post("/work-as", data={"csrf_token": csrf_lost, "role": "moderator"})

    assert redis.Redis.from_url(redis_url).exists(SESSION_KEY_PREFIX + lost_sid) == 0
    stolen = app.test_client()
    stolen.set_cookie("portal_session", lost_sid, domain="localhost")
    assert stolen.get("/services").status_code == 302
