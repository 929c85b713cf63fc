"""Single sign-out through the emulator (issue 6): front-channel logout from AMP, POST /logout, everywhere."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from emulator.testing import DEMO_PASSWORD
from tests.support.flows import (
    follow,
    frontchannel_urls,
    sign_in_to_amp,
    sign_out_of_amp,
    sso_sessions,
    stored_session,
)
from tests.support.servers import Browserless, mfa_codes

pytestmark = pytest.mark.e2e
EXAMINER = "examiner@wjec-appointees.co.uk"
MODERATOR = "moderator@wjec-appointees.co.uk"


def signed_in_through_amp(browser: Browserless) -> None:
    """AMP first, then the portal silently: both apps share one SSO session."""
    sign_in_to_amp(browser, EXAMINER, DEMO_PASSWORD, mfa_codes(browser.emu, EXAMINER))
    assert follow(browser, "/emi/").final.url == browser.portal.url + "/emi/"


def cookieless_get(url: str, ca_path) -> requests.Response:
    """What the authority's iframe sends: cross-site, so no SameSite=Lax portal cookie comes with it."""
    with requests.Session() as http:
        http.trust_env = False
        return http.get(url, verify=str(ca_path), timeout=10)


def test_signing_out_of_amp_frames_the_portal_front_channel_url_which_ends_the_portal_session(browser, emu):
    signed_in_through_amp(browser)

    signed_out = sign_out_of_amp(browser)
    portal_frames = [u for u in frontchannel_urls(signed_out.text) if u.startswith(browser.portal.url)]
    assert len(portal_frames) == 1, frontchannel_urls(signed_out.text)
    assert urlsplit(portal_frames[0]).path == "/auth/frontchannel-logout"
    frame = cookieless_get(portal_frames[0], emu.ca_path)

    assert frame.status_code == 200
    assert f"frame-ancestors {emu.base_url}" in frame.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in frame.headers  # DENY would beat frame-ancestors in some browsers
    assert browser.get("/emi/", allow_redirects=False).status_code == 302


def test_front_channel_logout_ends_only_the_sessions_holding_that_sid(browser, emu, portal, redis_url):
    signed_in_through_amp(browser)
    bystander = Browserless(portal, emu)
    bystander.sign_in(MODERATOR, DEMO_PASSWORD, mfa_codes(emu, MODERATOR))
    sid = stored_session(redis_url, browser.session_cookie())["auth.user"]["sid"]

    cookieless_get(f"{portal.url}/auth/frontchannel-logout?sid={sid}", emu.ca_path)

    assert browser.get("/emi/", allow_redirects=False).status_code == 302
    assert bystander.get("/services", allow_redirects=False).status_code == 200
    bystander.close()


@pytest.mark.parametrize("query", ["", "?sid=", "?sid=short", "?sid=" + "x" * 500, "?sid=%00%ff", "?iss=x"])
def test_front_channel_logout_with_a_bad_or_unknown_sid_answers_200_and_ends_nothing(browser, emu, portal, query):
    browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))

    frame = cookieless_get(f"{portal.url}/auth/frontchannel-logout{query}", emu.ca_path)

    assert frame.status_code == 200 and "Traceback" not in frame.text
    assert browser.get("/services", allow_redirects=False).status_code == 200


def test_portal_sign_out_ends_the_portal_and_the_tenant_sessions_and_comes_back(browser, emu):
    browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    live_before = {s["sid"] for s in sso_sessions(emu)}

    redirect = browser.sign_out()

    assert redirect.status_code in (302, 303)
    end_session = redirect.headers["Location"]
    assert end_session.startswith(f"{emu.authority}/oauth2/v2.0/logout")
    query = {k: v[0] for k, v in parse_qs(urlsplit(end_session).query).items()}
    assert query["post_logout_redirect_uri"] == browser.portal.url + "/"
    assert query.get("logout_hint")
    signed_out = browser.http.get(end_session, timeout=15)
    assert signed_out.status_code == 200 and "You signed out" in signed_out.text
    assert f'href="{browser.portal.url}/"' in signed_out.text  # Continue goes back to the portal
    assert len(live_before - {s["sid"] for s in sso_sessions(emu)}) == 1  # the tenant session ended
    assert browser.get("/services", allow_redirects=False).status_code == 302
    assert follow(browser, "/emi/").final.url.endswith("/?next=%2Femi%2F")  # silent attempt finds no SSO


def test_sign_out_everywhere_ends_the_users_sessions_in_other_browsers(browser, emu, portal):
    other = Browserless(portal, emu)
    other.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    form = browser.get("/logout").text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    done = browser.post("/logout/everywhere", data={"csrf_token": token}, allow_redirects=False)

    assert done.status_code in (302, 303)
    assert other.get("/services", allow_redirects=False).status_code == 302
    assert browser.get("/services", allow_redirects=False).status_code == 302
    other.close()


def test_sign_out_everywhere_without_the_form_token_is_refused(browser, emu):
    browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))

    refused = browser.post("/logout/everywhere", data={"csrf_token": "forged"}, allow_redirects=False)

    assert refused.status_code == 400 and "Traceback" not in refused.text
    assert browser.get("/services", allow_redirects=False).status_code == 200
