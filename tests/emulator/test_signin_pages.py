"""The sign-in pages: errors keep the email, lockout, SMS codes, CSRF, "Stay signed in?" cookies."""

from __future__ import annotations

import re

import pytest

from emulator.testing import DEMO_PASSWORD
from tests.emulator.flows import authorize_url, pkce_pair


def _password_page(emu, browser, email="examiner@wjec-appointees.co.uk"):
    _, challenge = pkce_pair()
    return browser.submit(browser.open(authorize_url(emu.authority, challenge)), loginfmt=email)


def test_unknown_account_is_reported_and_the_typed_text_kept(emu, browser):
    _, challenge = pkce_pair()
    page = browser.submit(browser.open(authorize_url(emu.authority, challenge)), loginfmt="nobody@example.com")
    assert "couldn't find an account" in browser.page_text
    assert 'value="nobody@example.com"' in page


def test_wrong_password_keeps_the_email(emu, browser):
    page = browser.submit(_password_page(emu, browser), passwd="wrong")
    assert "password is incorrect" in browser.page_text
    assert "examiner@wjec-appointees.co.uk" in page and 'name="passwd"' in page


def test_five_wrong_passwords_lock_the_account_until_the_lockout_ends(emu, browser):
    page = _password_page(emu, browser)
    for _ in range(5):
        page = browser.submit(page, passwd="wrong")
    assert "temporarily locked" in browser.page_text
    page = browser.submit(page, passwd=DEMO_PASSWORD)
    assert "temporarily locked" in browser.page_text
    emu.advance_clock(16 * 60)
    page = browser.submit(page, passwd=DEMO_PASSWORD)
    assert "Verify your identity" in browser.page_text


def test_wrong_codes_count_towards_lockout(emu, browser):
    page = browser.submit(_password_page(emu, browser), passwd=DEMO_PASSWORD)
    wrong = "000000" if emu.totp("examiner@wjec-appointees.co.uk") != "000000" else "111111"
    for _ in range(5):
        page = browser.submit(page, otc=wrong)
    assert "temporarily locked" in browser.page_text


def test_sms_code_is_logged_and_accepted(emu, browser, caplog):
    page = browser.submit(_password_page(emu, browser, "moderator@wjec-appointees.co.uk"), passwd=DEMO_PASSWORD)
    code = emu.sms_code("moderator@wjec-appointees.co.uk")
    assert f"SMS to +447700900222 : code {code}" in caplog.text
    browser.submit(page, otc=code)
    assert "Stay signed in?" in browser.page_text


@pytest.mark.parametrize("csrf", ["", "forged"])
def test_forms_without_the_flows_csrf_token_are_refused(emu, browser, http, csrf):
    page = _password_page(emu, browser)
    action = re.search(r'action="([^"]+)"', page).group(1)
    response = http.post(emu.base_url + action, data={"csrf": csrf, "step": "password", "passwd": DEMO_PASSWORD})
    assert response.status_code == 400 and "expired" in response.text


def test_a_flow_cannot_be_continued_from_another_browser(emu, browser):
    page = _password_page(emu, browser)
    action = re.search(r'action="([^"]+)"', page).group(1)
    with emu.http_session() as stranger:
        assert stranger.get(emu.base_url + action).status_code == 400


@pytest.mark.parametrize("stay, persistent", [(True, True), (False, False)])
def test_stay_signed_in_decides_whether_the_sso_cookie_persists(emu, browser, http, sign_in, stay, persistent):
    _, challenge = pkce_pair()
    captured = []
    http.hooks["response"].append(lambda r, *a, **k: captured.extend(
        h for h in r.raw.headers.getlist("Set-Cookie") if h.startswith("ESTSAUTH=")))
    sign_in(authorize_url(emu.authority, challenge), "examiner@wjec-appointees.co.uk", stay_signed_in=stay)
    assert len(captured) == 1
    cookie = captured[0]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=None" in cookie
    assert ("Max-Age=" in cookie) is persistent and ("Expires=" in cookie) is persistent


def _first_submit_button(page: str) -> str:
    """The button Enter in a field triggers: the first submit button owned by the page's first form
    (a button with a ``form=`` attribute belongs to that other form)."""
    form = page[page.index("<form"):page.index("</form>")]
    buttons = re.findall(r"<button[^>]*type=\"submit\"[^>]*>", form)
    return next(b for b in buttons if " form=" not in b)


@pytest.mark.parametrize("email", ["examiner@wjec-appointees.co.uk", "moderator@wjec-appointees.co.uk"])
def test_enter_in_a_field_submits_the_primary_action_not_back_or_resend(emu, browser, email):
    password_page = _password_page(emu, browser, email)
    assert 'name="back"' not in _first_submit_button(password_page)
    code_page = browser.submit(password_page, passwd=DEMO_PASSWORD)
    first = _first_submit_button(code_page)
    assert 'name="back"' not in first and 'name="resend"' not in first
