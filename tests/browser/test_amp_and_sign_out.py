"""Single sign-on with AMP in headless Chromium (issue 6): silent sign-in, browser restarts, single sign-out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from emulator.testing import DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS, Recorder
from tests.support.flows import (
    restarted_context,
    sign_in_to_amp_with_chromium,
    sign_in_to_portal_with_chromium,
)

pytestmark = pytest.mark.browser
EXAMINER = "examiner@wjec-appointees.co.uk"
SESSION_COOKIE = "__Host-portal_session"


def visited_urls(page) -> list[str]:
    """Every address the tab's main frame shows from now on (pages that move on by themselves included)."""
    urls: list[str] = []
    page.on("framenavigated", lambda frame: urls.append(frame.url) if frame == page.main_frame else None)
    return urls


def test_signed_in_at_amp_the_emi_bookmark_opens_with_no_prompt(page, portal, emu):
    sign_in_to_amp_with_chromium(page, emu, EXAMINER, DEMO_PASSWORD)
    urls = visited_urls(page)

    page.goto(portal.url + "/emi/")

    page.wait_for_url(portal.url + "/emi/")
    expect(page.get_by_role("heading", name="ELECTRONIC MARK INPUT")).to_be_visible()
    page.record.snap("portal-emi-silently")
    authorize = [u for u in urls if "/oauth2/v2.0/authorize" in u]
    assert len(authorize) == 1 and "prompt=none" in authorize[0], urls
    assert not any(u.startswith(emu.base_url) and "login" in u.split("?")[0] for u in urls), urls


def test_without_a_tenant_session_the_emi_bookmark_shows_the_sign_in_page_once(page, portal):
    urls = visited_urls(page)

    page.goto(portal.url + "/emi/")

    page.wait_for_url(portal.url + "/?next=%2Femi%2F")
    expect(page.get_by_text("Sign in to your Portal account")).to_be_visible()
    page.record.snap("portal-sign-in-next-emi")
    assert len([u for u in urls if "/oauth2/v2.0/authorize" in u]) == 1, urls
    urls.clear()
    page.goto(portal.url + "/emi/")
    page.wait_for_url(portal.url + "/?next=%2Femi%2F")
    assert not [u for u in urls if "/oauth2/v2.0/authorize" in u], urls  # no second attempt for minutes


@pytest.mark.parametrize("stay_signed_in", [True, False], ids=["yes", "no"])
def test_stay_signed_in_decides_whether_a_restarted_browser_signs_in_silently(
        page, portal, emu, playwright_browser, request, stay_signed_in):
    sign_in_to_portal_with_chromium(page, portal, emu, EXAMINER, DEMO_PASSWORD, stay_signed_in=stay_signed_in)
    session_cookie = {c["name"]: c for c in page.context.cookies(portal.url)}[SESSION_COOKIE]
    assert session_cookie["expires"] > 0  # the portal's own cookie outlives a restart: its server side ends it

    # Restart: session cookies go; the portal session is over too (its idle limit passed, say).
    context, kept = restarted_context(playwright_browser, page.context, forget=(SESSION_COOKIE,))
    assert any(c["name"] == "ESTSAUTH" for c in kept) == stay_signed_in
    tab = context.new_page()
    tab.record = Recorder(tab, SCREENSHOTS / f"{request.node.name}-after-restart".replace("[", "_").replace("]", ""))
    try:
        tab.goto(portal.url + "/emi/")
        if stay_signed_in:
            tab.wait_for_url(portal.url + "/emi/")
            expect(tab.get_by_role("heading", name="ELECTRONIC MARK INPUT")).to_be_visible()
            tab.record.snap("portal-emi-silently-after-restart")
        else:
            tab.wait_for_url(portal.url + "/?next=%2Femi%2F")
            expect(tab.get_by_text("Sign in to your Portal account")).to_be_visible()
            tab.record.snap("portal-sign-in-after-restart")
    finally:
        context.close()


def test_signing_out_of_amp_ends_the_portal_session_through_the_front_channel_frame(page, portal, emu):
    sign_in_to_portal_with_chromium(page, portal, emu, EXAMINER, DEMO_PASSWORD)
    sign_in_to_amp_with_chromium(page, emu, EXAMINER, DEMO_PASSWORD)  # single sign-on: no pages
    refusals: list[str] = []
    page.on("console", lambda msg: refusals.append(msg.text) if "Refused" in msg.text else None)
    frames: list[str] = []  # a frame Chromium refuses to show is navigated to chrome-error://
    page.on("framenavigated", lambda frame: frames.append(frame.url) if frame != page.main_frame else None)

    with page.expect_response(lambda r: r.url.startswith(portal.url + "/auth/frontchannel-logout")) as framed:
        page.click("#sign-out")
    page.wait_for_url(emu.base_url + "/amp/")
    page.record.snap("amp-signed-out-again")

    assert framed.value.status == 200 and "sid=" in framed.value.url
    assert framed.value.frame != page.main_frame  # loaded in the signed-out page's iframe
    assert not refusals, refusals  # Chromium framed it: CSP frame-ancestors names the authority
    assert any(u.startswith(portal.url + "/auth/frontchannel-logout") for u in frames), frames
    assert not any(u.startswith("chrome-error:") for u in frames), frames
    page.goto(portal.url + "/services")
    page.wait_for_url(portal.url + "/?next=%2Fservices")
    expect(page.get_by_text("Sign in to your Portal account")).to_be_visible()
    page.record.snap("portal-requires-sign-in")
