"""Silent sign-in through the emulator (issue 6): SSO from AMP, and never a loop without it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from emulator.testing import DEMO_PASSWORD
from tests.support.flows import follow, sign_in_to_amp
from tests.support.servers import mfa_codes

pytestmark = pytest.mark.e2e
EXAMINER = "examiner@wjec-appointees.co.uk"


def urlsplit_path(url: str) -> str:
    return urlsplit(url).path


def test_signed_in_at_amp_the_emi_bookmark_opens_with_no_prompt(browser, emu):
    sign_in_to_amp(browser, EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))

    trip = follow(browser, "/emi/")

    assert trip.final.status_code == 200 and trip.final.url == browser.portal.url + "/emi/"
    assert "ELECTRONIC MARK INPUT" in trip.final.text
    [authorize] = trip.authorize_requests
    query = trip.query_of(authorize)
    assert query["prompt"] == "none" and query.get("domain_hint")
    assert not any("/login" in urlsplit_path(url) for url in trip.urls[1:]), trip.urls  # no sign-in page shown
    assert browser.session_cookie() is not None


def test_without_an_sso_session_one_round_trip_ends_on_the_sign_in_page_with_next_kept(browser):
    trip = follow(browser, "/emi/")

    assert len(trip.authorize_requests) == 1, trip.urls
    assert trip.final.status_code == 200
    assert urlsplit_path(trip.final.url) == "/" and "next=%2Femi%2F" in trip.final.url
    assert "Sign in to your Portal account" in trip.final.text
    assert browser.session_cookie() is None or browser.get("/emi/", allow_redirects=False).status_code == 302


def test_a_second_visit_within_minutes_goes_straight_to_the_sign_in_page(browser):
    follow(browser, "/emi/")

    again = follow(browser, "/services")

    assert not again.authorize_requests, again.urls
    assert urlsplit_path(again.final.url) == "/" and "next=%2Fservices" in again.final.url


def test_a_browser_refusing_cookies_still_ends_on_the_sign_in_page(browser):
    browser.http.cookies.set_policy(_RefuseAll())

    trip = follow(browser, "/emi/")

    assert len(trip.authorize_requests) == 1, trip.urls
    assert urlsplit_path(trip.final.url) == "/" and trip.final.status_code == 200


class _RefuseAll:
    """A cookie policy that stores nothing and sends nothing (a browser with cookies off)."""

    netscape, rfc2965, hide_cookie2 = True, False, False

    def set_ok(self, cookie, request):
        return False

    def return_ok(self, cookie, request):
        return False

    def domain_return_ok(self, domain, request):
        return False

    def path_return_ok(self, path, request):
        return False


@pytest.mark.parametrize("headers", [
    {"Accept": "application/json"},
    {"Accept": "*/*"},
    {"Accept": "text/html", "User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"},
], ids=["api-json", "fetch-any", "crawler"])
def test_no_silent_attempt_for_api_clients_and_crawlers(browser, headers):
    trip = follow(browser, "/emi/", headers=headers)

    assert not trip.authorize_requests, trip.urls
    assert urlsplit_path(trip.final.url) == "/"


def test_no_silent_attempt_for_a_post(browser):
    response = browser.post("/emi/allocations/1", data={"mark-1": "3"}, headers={"Accept": "text/html"},
                            allow_redirects=False)

    assert response.status_code in (302, 303, 400, 403)
    assert "/oauth2/v2.0/authorize" not in response.headers.get("Location", "")
