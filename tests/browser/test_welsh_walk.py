"""The whole sign-in in Cymraeg, in an English-speaking Chromium: portal and Microsoft's pages (the emulator's),
each checked with axe-core and scanned for English, from choosing Cymraeg to signing out again.

The user picks Cymraeg on the portal; the portal sends ui_locales, so the authority's pages follow that choice,
not the browser's en-GB.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from emulator.testing import DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS, Recorder
from tests.browser.test_accessibility import axe_violations
from tests.support.flows import seed_demo_data
from tests.support.welsh import english_words

pytestmark = pytest.mark.browser
EXAMINER = "examiner@wjec-appointees.co.uk"


@pytest.fixture(scope="module", autouse=True)
def demo_data(portal):
    seed_demo_data(portal)


@pytest.fixture
def page(playwright_browser, request):
    """An English-speaking browser (en-GB); CSP bypassed so the test can inject axe; screenshots kept."""
    context = playwright_browser.new_context(ignore_https_errors=True, bypass_csp=True, locale="en-GB")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.record = Recorder(tab, SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))
    yield tab
    context.close()


class WelshWalk:
    """Checks each page the walk reaches: in Welsh (lang="cy"), no English UI words, no axe violations."""

    def __init__(self, page, axe_source: str) -> None:
        self.page = page
        self.axe_source = axe_source
        self.problems: dict[str, list[str]] = {}
        self.seen: list[str] = []

    def check(self, name: str) -> None:
        self.page.wait_for_load_state()
        self.page.record.snap(name)
        self.seen.append(name)
        found = []
        if (lang := self.page.locator("html").get_attribute("lang")) != "cy":
            found.append(f"lang={lang!r}")
        found += [f"English: {word}" for word in english_words(self.page.content())]
        found += axe_violations(self.page, self.axe_source)
        if found:
            self.problems[f"{name} ({self.page.url})"] = found

    def report(self) -> str:
        return "\n".join(f"{page}: {problem}" for page, found in self.problems.items() for problem in found)


def test_a_welsh_choosing_user_signs_in_and_out_entirely_in_welsh(page, portal, emu, axe_source):
    walk = WelshWalk(page, axe_source)
    page.goto(portal.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the browser asks for English
    page.get_by_test_id("language-cy").click()
    walk.check("portal-sign-in")

    authorize = []
    page.on("request", lambda r: authorize.append(r.url) if "/oauth2/v2.0/authorize" in r.url else None)
    page.get_by_role("link", name="Mewngofnodi fel Penodai").click()
    page.wait_for_url(emu.base_url + "/**")
    assert parse_qs(urlsplit(authorize[0]).query)["ui_locales"] == ["cy-GB cy"]
    expect(page.locator("h1")).to_have_text("Mewngofnodi")
    walk.check("microsoft-email")

    page.fill("#loginfmt", "nobody@example.com")
    page.click("#idSIButton9")
    expect(page.locator("#error")).to_be_visible()
    walk.check("microsoft-email-unknown")
    page.fill("#loginfmt", EXAMINER)
    page.click("#idSIButton9")
    expect(page.locator("#passwd")).to_be_visible()
    walk.check("microsoft-password")

    page.fill("#passwd", "not-the-password")
    page.click("#idSIButton9")
    expect(page.locator("#error")).to_contain_text("Mae eich cyfrif neu eich cyfrinair yn anghywir")
    walk.check("microsoft-password-wrong")
    page.fill("#passwd", DEMO_PASSWORD)
    page.click("#idSIButton9")
    expect(page.get_by_role("heading", name="Dilysu pwy ydych chi")).to_be_visible()
    walk.check("microsoft-mfa")

    page.fill("#idTxtBx_SAOTCC_OTC", "000000" if emu.totp(EXAMINER) != "000000" else "111111")
    page.click("#idSubmit_SAOTCC_Continue")
    expect(page.locator("#error")).to_be_visible()
    walk.check("microsoft-mfa-wrong-code")
    page.fill("#idTxtBx_SAOTCC_OTC", emu.totp(EXAMINER))
    page.click("#idSubmit_SAOTCC_Continue")
    expect(page.get_by_role("heading", name="Aros wedi mewngofnodi?")).to_be_visible()
    walk.check("microsoft-stay-signed-in")

    page.get_by_role("button", name="Ie").click()
    page.wait_for_url(portal.url + "/services")
    walk.check("portal-services")
    page.locator("summary.all-services").click()
    walk.check("portal-all-services-menu")

    page.goto(portal.url + "/emi/")
    expect(page.locator("body")).to_contain_text("TGAU IONAWR 2017 IAITH LADIN GRAIDD: LEFEL 2 (9521/01)")
    walk.check("portal-emi")
    page.get_by_test_id("enter").first.click()
    walk.check("portal-mark-sheet")
    editable = page.locator("input.mark:not([readonly])")
    if editable.count():
        editable.first.fill("9999")
        page.get_by_role("button", name="Cadw drafft").first.click()
        expect(page.get_by_test_id("problem")).to_be_visible()
        walk.check("portal-mark-sheet-refused")

    page.get_by_role("link", name="Allgofnodi").click()
    walk.check("portal-sign-out")
    with page.expect_request(lambda r: "/oauth2/v2.0/logout" in r.url) as end_session:
        page.get_by_role("button", name="Allgofnodi", exact=True).click()
    assert parse_qs(urlsplit(end_session.value.url).query)["ui_locales"] == ["cy-GB cy"]
    page.wait_for_url(portal.url + "/**")
    expect(page.get_by_role("link", name="Mewngofnodi fel Penodai")).to_be_visible()
    walk.check("portal-signed-out")

    assert not walk.problems, walk.report()
    assert len(walk.seen) >= 15


def test_microsofts_signed_out_page_reads_in_welsh(page, emu, axe_source):
    """The page the end-session request shows while the other apps sign out (here with no app to return to)."""
    walk = WelshWalk(page, axe_source)
    page.goto(f"{emu.authority}/oauth2/v2.0/logout?ui_locales=cy-GB+cy")
    expect(page.get_by_role("heading", name="Rydych wedi allgofnodi o'ch cyfrif")).to_be_visible()
    walk.check("microsoft-signed-out")
    assert not walk.problems, walk.report()


def test_the_walks_checks_can_fail(page, portal, axe_source):
    """The same first page in English trips the check (so a pass above means Welsh, not a blind scan)."""
    walk = WelshWalk(page, axe_source)
    page.goto(portal.url + "/")
    walk.check("portal-sign-in-english")
    assert any("lang='en'" in p for p in next(iter(walk.problems.values())))
    assert any(p.startswith("English:") for p in next(iter(walk.problems.values())))
