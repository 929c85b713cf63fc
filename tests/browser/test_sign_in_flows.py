"""The sign-in flows in headless Chromium: real cookies, real form_post, real JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from emulator.testing import DEMO_PASSWORD

pytestmark = pytest.mark.browser
EXAMINER = "examiner@wjec-appointees.co.uk"


def open_portal_and_go_to_microsoft(page, portal, emu):
    page.goto(portal.url + "/")
    expect(page.get_by_text("Sign in to your Portal account")).to_be_visible()
    page.record.snap("portal-sign-in")
    page.get_by_role("link", name="Sign in as an Appointee").click()
    page.wait_for_url(emu.base_url + "/**")
    expect(page.locator("#loginfmt")).to_be_visible()
    page.record.snap("microsoft-email")


def enter_email_and_password(page, email: str, password: str):
    page.fill("#loginfmt", email)
    page.click("#idSIButton9")
    expect(page.locator("#passwd")).to_be_visible()
    page.record.snap("microsoft-password")
    page.fill("#passwd", password)
    page.click("#idSIButton9")


def test_appointee_signs_in_with_mfa_code_and_stay_signed_in(page, portal, emu):
    open_portal_and_go_to_microsoft(page, portal, emu)
    enter_email_and_password(page, EXAMINER, DEMO_PASSWORD)
    expect(page.get_by_text("Verify your identity")).to_be_visible()
    page.record.snap("microsoft-mfa")
    page.fill("#idTxtBx_SAOTCC_OTC", emu.totp(EXAMINER))
    page.click("#idSubmit_SAOTCC_Continue")
    expect(page.get_by_text("Stay signed in?")).to_be_visible()
    page.record.snap("microsoft-stay-signed-in")

    page.click("#idSIButton9")  # Yes: then the auto-submitting form_post page takes us back to the portal

    page.wait_for_url(portal.url + "/services")
    expect(page.locator("body")).to_contain_text("Eleri Evans")
    page.record.snap("portal-services")
    cookies = {c["name"]: c for c in page.context.cookies(portal.url)}
    assert cookies["__Host-portal_session"]["sameSite"] == "Lax" and cookies["__Host-portal_session"]["secure"]


def test_flow_cookie_survives_the_cross_site_form_post(page, portal, emu):
    """The flow cookie (SameSite=None; Secure) is set on https://localhost and sent back on the
    cross-site POST from https://127.0.0.1 (the emulator): without it the callback would be refused."""
    posts = []
    page.on("request", lambda r: posts.append(r) if r.url.startswith(portal.url + "/auth/callback") else None)
    open_portal_and_go_to_microsoft(page, portal, emu)
    flow = {c["name"]: c for c in page.context.cookies(portal.url)}["__Host-portal_flow"]
    assert flow["sameSite"] == "None" and flow["secure"] and flow["httpOnly"]
    enter_email_and_password(page, EXAMINER, DEMO_PASSWORD)
    page.fill("#idTxtBx_SAOTCC_OTC", emu.totp(EXAMINER))
    page.click("#idSubmit_SAOTCC_Continue")
    page.click("#idSIButton9")
    page.wait_for_url(portal.url + "/services")
    page.record.snap("portal-services")

    assert len(posts) == 1 and posts[0].method == "POST"
    sent = posts[0].all_headers().get("cookie", "")
    assert "__Host-portal_flow=" in sent
    assert "__Host-portal_session=" not in sent  # the Lax session cookie is (rightly) not sent cross-site


def test_wrong_password_shows_the_authority_message(page, portal, emu):
    open_portal_and_go_to_microsoft(page, portal, emu)

    enter_email_and_password(page, EXAMINER, "not-the-password")

    expect(page.locator("#error")).to_contain_text("Your account or password is incorrect")
    page.record.snap("microsoft-wrong-password")


def test_wrong_mfa_code_shows_the_authority_message(page, portal, emu):
    open_portal_and_go_to_microsoft(page, portal, emu)
    enter_email_and_password(page, EXAMINER, DEMO_PASSWORD)
    real = emu.totp(EXAMINER)

    page.fill("#idTxtBx_SAOTCC_OTC", "000000" if real != "000000" else "111111")
    page.click("#idSubmit_SAOTCC_Continue")

    expect(page.locator("#error")).to_contain_text("didn't enter the expected verification code")
    page.record.snap("microsoft-wrong-code")


def test_sign_out_ends_the_microsoft_session_and_returns_to_the_portal_sign_in_page(page, portal, emu):
    open_portal_and_go_to_microsoft(page, portal, emu)
    enter_email_and_password(page, EXAMINER, DEMO_PASSWORD)
    page.fill("#idTxtBx_SAOTCC_OTC", emu.totp(EXAMINER))
    page.click("#idSubmit_SAOTCC_Continue")
    page.click("#idSIButton9")
    page.wait_for_url(portal.url + "/services")
    page.goto(portal.url + "/logout")
    expect(page.get_by_role("heading", name="Sign out?")).to_be_visible()
    page.record.snap("portal-sign-out-confirm")

    visited = []
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)

    page.get_by_role("button", name="Sign out", exact=True).click()

    # Entra's "You signed out" page moves on by itself at once (no front-channel frames to wait for),
    # so it is recorded as a visited address rather than screenshotted.
    page.wait_for_url(portal.url + "/")
    assert any(url.startswith(f"{emu.authority}/oauth2/v2.0/logout") for url in visited), visited
    expect(page.get_by_text("Sign in to your Portal account")).to_be_visible()
    page.record.snap("portal-sign-in-again")
    page.goto(portal.url + "/services")
    expect(page.locator("body")).not_to_contain_text("Eleri Evans")  # no portal session left
    page.record.snap("portal-services-signed-out")
    page.goto(portal.url + "/login")
    page.wait_for_url(emu.base_url + "/**")
    expect(page.locator("#loginfmt")).to_be_visible()  # and no Microsoft session either: asked again
    page.record.snap("microsoft-asks-again")
