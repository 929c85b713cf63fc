"""Scaling out: several gunicorn workers and several portal processes share sessions through Redis."""

from __future__ import annotations

import pytest

from emulator.testing import DEMO_PASSWORD
from tests.support.servers import Browserless, mfa_codes, running_portal

pytestmark = pytest.mark.e2e
MODERATOR = "moderator@wjec-appointees.co.uk"
EXAMINER = "examiner@wjec-appointees.co.uk"


@pytest.fixture(scope="module")
def second_portal(emu, e2e_dir, redis_url, portal):
    """Another portal process on another port, sharing Redis (and the secret key) with ``portal``."""
    with running_portal(emu, e2e_dir, redis_url, workers=1, name="second-portal",
                        PORTAL_SECRET_KEY=portal.env["PORTAL_SECRET_KEY"]) as server:
        yield server


def test_signed_in_session_is_served_by_every_worker(browser, emu):
    browser.sign_in(MODERATOR, DEMO_PASSWORD, mfa_codes(emu, MODERATOR))  # SMS code

    statuses = [browser.get("/services", allow_redirects=False).status_code for _ in range(50)]

    assert statuses == [200] * 50
    assert len(browser.portal.worker_pids()) == 2


def test_sign_in_on_one_portal_and_carry_on_with_the_other(browser, emu, second_portal):
    browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    # Cookies ignore ports: the same browser visiting the second process presents the same session cookie.
    same_browser_elsewhere = browser.sharing_cookies_with(second_portal)

    page = same_browser_elsewhere.get("/services", allow_redirects=False)

    assert page.status_code == 200 and "Eleri Evans" in page.text


def test_sign_out_on_one_portal_ends_the_session_on_both(browser, emu, second_portal):
    browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    elsewhere = browser.sharing_cookies_with(second_portal)
    old_cookie = next(c for c in browser.http.cookies if c.name.endswith("portal_session"))
    assert elsewhere.get("/services", allow_redirects=False).status_code == 200

    signed_out = elsewhere.sign_out()

    assert signed_out.status_code == 303
    assert signed_out.headers["Location"].startswith(emu.base_url)  # on to the authority's end-session
    for process in (browser, elsewhere):
        assert process.get("/services", allow_redirects=False).status_code == 302
    # Even a copy of the old cookie, kept by an attacker, opens nothing on either process.
    for process in (browser.portal, second_portal):
        stolen = Browserless(process, emu)
        stolen.http.cookies.set_cookie(old_cookie)
        assert stolen.get("/services", allow_redirects=False).status_code == 302
