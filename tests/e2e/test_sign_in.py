"""Sign-in through the emulator's pages to a real portal under gunicorn, as a browser without JavaScript."""

from __future__ import annotations

import pytest

from emulator.browser import SignInBrowser, SignInError
from emulator.testing import DEMO_PASSWORD
from tests.support.servers import Browserless, mfa_codes, running_portal

pytestmark = pytest.mark.e2e
EXAMINER = "examiner@wjec-appointees.co.uk"
MALLORY = "mallory@wjec-appointees.co.uk"


def test_appointee_signs_in_with_totp_and_stay_signed_in_and_sees_services(browser, emu):
    page = browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER), stay_signed_in=True)

    assert page.status_code == 200
    assert page.url == browser.portal.url + "/services"
    assert "All Services" in page.text and "Eleri Evans" in page.text
    assert browser.session_cookie() is not None


def test_sign_in_returns_to_the_page_asked_for(browser, emu):
    page = browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER), next="/services?tab=mine")

    assert page.status_code == 200
    assert page.url == browser.portal.url + "/services?tab=mine"


def test_wrong_password_is_refused_with_the_authority_message(browser, emu):
    auth_uri = browser.start_sign_in()

    with pytest.raises(SignInError, match="password step was refused") as refused:
        browser.authenticate(auth_uri, EXAMINER, "not-the-password", mfa_codes(emu, EXAMINER))

    assert "Your account or password is incorrect" in str(refused.value)
    assert browser.get("/services", allow_redirects=False).status_code == 302


@pytest.mark.parametrize("wrong_code", ["000000", "12345", "abcdef"])
def test_wrong_mfa_code_is_refused_with_the_authority_message(browser, emu, wrong_code):
    auth_uri = browser.start_sign_in()
    real = emu.totp(EXAMINER)
    code = wrong_code if wrong_code != real else "999999"

    with pytest.raises(SignInError, match="mfa step was refused") as refused:
        browser.authenticate(auth_uri, EXAMINER, DEMO_PASSWORD, lambda: code)

    assert "didn't enter the expected verification code" in str(refused.value)


def test_nOAuth_user_of_another_tenant_cannot_sign_in_at_the_appointee_tenant(browser, emu):
    pages = SignInBrowser(browser.http, emu.base_url)
    email_page = pages.open(browser.start_sign_in())
    password_page = pages.submit(email_page, loginfmt=MALLORY)

    after_password = pages.submit(password_page, passwd=DEMO_PASSWORD)

    assert isinstance(after_password, str), "the authority must not answer the portal for Mallory"
    assert "Your account is in another organisation" in pages.page_text
    assert browser.get("/services", allow_redirects=False).status_code == 302


@pytest.fixture(scope="module")
def organizations_portal(emu, e2e_dir, redis_url):
    """A portal whose authority is /organizations: any tenant's users reach the callback (as in nOAuth)."""
    with running_portal(emu, e2e_dir, redis_url, workers=1, name="organizations-portal",
                        PORTAL_AUTHORITY=emu.organizations_authority) as server:
        yield server


def test_nOAuth_token_from_another_tenant_with_an_appointee_address_is_refused_by_the_portal(
        organizations_portal, emu):
    browser = Browserless(organizations_portal, emu)
    page = browser.sign_in(MALLORY, DEMO_PASSWORD, mfa_codes(emu, MALLORY))

    assert page.status_code in (401, 403)
    assert "Traceback" not in page.text and "Reference" in page.text
    assert browser.get("/services", allow_redirects=False).status_code == 302
    # The same portal does let an appointee of the allowed tenant in: the refusal is about the tenant.
    appointee = Browserless(organizations_portal, emu)
    assert "Eleri Evans" in appointee.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER)).text


def test_replayed_form_post_callback_is_refused(browser, emu):
    reply = browser.authenticate(browser.start_sign_in(), EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    assert browser.deliver(reply).status_code == 200
    browser.get("/logout")
    attacker = Browserless(browser.portal, emu)
    attacker.http.cookies.update(browser.http.cookies)  # even with every cookie of the victim's browser

    replayed = attacker.deliver(reply, allow_redirects=False)

    assert replayed.status_code == 400
    assert "Traceback" not in replayed.text
    assert attacker.session_cookie() in (None, browser.session_cookie())


def test_replay_after_sign_out_does_not_sign_in_again(browser, emu):
    reply = browser.authenticate(browser.start_sign_in(), EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    browser.deliver(reply)
    assert browser.sign_out().status_code == 303

    assert browser.deliver(reply, allow_redirects=False).status_code == 400
    assert browser.get("/services", allow_redirects=False).status_code == 302


def test_callback_delivered_into_another_browser_is_refused(browser, emu):
    reply = browser.authenticate(browser.start_sign_in(), EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    victim = Browserless(browser.portal, emu)

    pushed = victim.deliver(reply, allow_redirects=False)

    assert pushed.status_code == 400
    assert "Traceback" not in pushed.text
    assert victim.get("/services", allow_redirects=False).status_code == 302
    # The state is single use: after the failed attempt, the real browser cannot use it either.
    assert browser.deliver(reply, allow_redirects=False).status_code == 400
