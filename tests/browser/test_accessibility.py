"""axe-core in headless Chromium: every page, in Cymraeg and English, with zero violations.

axe-core comes from the npm registry (tests/browser/package.json; scripts/setup runs `npm ci --prefix tests/browser`).
The portal's CSP allows only its own scripts, so these contexts bypass CSP to inject axe (the test's, not the page's).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from emulator.testing import DEMO_PASSWORD
from tests.support.flows import seed_demo_data, sign_in_to_portal_with_chromium

pytestmark = pytest.mark.browser
LANGUAGES = ("cy", "en")


class NoRecorder:
    """The flows helpers take screenshots through ``page.record``; these tests do not need them."""

    def snap(self, name: str) -> None:
        pass


@pytest.fixture(scope="module", autouse=True)
def demo_data(portal):
    seed_demo_data(portal)


@pytest.fixture
def page(playwright_browser):
    context = playwright_browser.new_context(ignore_https_errors=True, bypass_csp=True, locale="en-GB")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.record = NoRecorder()
    yield tab
    context.close()


def axe_violations(page, axe_source: str) -> list[str]:
    """axe-core's violations on the page as it is now, one readable line per rule."""
    page.add_script_tag(content=axe_source)
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in violations]


def switch_to(page, language: str) -> None:
    """Use the header switch (when this page is not already in ``language``) and check it kept the page."""
    if page.locator("html").get_attribute("lang") == language:
        return
    before = page.url
    page.get_by_test_id(f"language-{language}").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert page.url == before, "switching language must keep the user on the same page"


def check_in_both_languages(page, axe_source: str, path: str | None = None) -> dict[str, list[str]]:
    """Violations per language of the current page (or ``path``), switching with the header links."""
    found = {}
    for language in LANGUAGES:
        if path is not None:
            page.goto(path)
        switch_to(page, language)
        found[language] = axe_violations(page, axe_source)
    return {language: problems for language, problems in found.items() if problems}


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/login?login_hint=not-an-email",
                                  "/login?login_hint=someone%40example.com", "/auth/frontchannel-logout"])
def test_signed_out_pages_have_no_axe_violations(page, portal, axe_source, path):
    page.goto(portal.url + path)
    if page.get_by_test_id("language-cy").count() == 0:  # the framed front-channel page has no header
        english = axe_violations(page, axe_source)
        page.context.add_cookies([{"name": "portal_lang", "value": "cy", "url": portal.url}])
        page.goto(portal.url + path)
        expect(page.locator("html")).to_have_attribute("lang", "cy")
        assert {"en": english, "cy": axe_violations(page, axe_source)} == {"en": [], "cy": []}
        return
    assert check_in_both_languages(page, axe_source) == {}


def test_moderation_pages_have_no_axe_violations(page, portal, emu, axe_source):
    sign_in_to_portal_with_chromium(page, portal, emu, "principal@wjec-appointees.co.uk", DEMO_PASSWORD)
    problems = {}
    for path in ("/services", "/iamis/", "/iamis/team", "/logout"):
        problems[path] = check_in_both_languages(page, axe_source, portal.url + path)
    page.goto(portal.url + "/iamis/")
    page.locator("a[data-col=review]").first.click()
    problems["centres"] = check_in_both_languages(page, axe_source)
    page.locator("[data-testid=centres] a").first.click()
    problems["review"] = check_in_both_languages(page, axe_source)
    page.locator("summary.all-services").click()  # the open All Services menu is checked too
    problems["menu"] = {"open": axe_violations(page, axe_source)}
    assert {path: found for path, found in problems.items() if any(found.values())} == {}


def test_mark_input_pages_have_no_axe_violations(page, portal, emu, axe_source):
    sign_in_to_portal_with_chromium(page, portal, emu, "examiner@wjec-appointees.co.uk", DEMO_PASSWORD)
    problems = {"/emi/": check_in_both_languages(page, axe_source, portal.url + "/emi/")}
    page.get_by_test_id("enter").first.click()
    problems["sheet"] = check_in_both_languages(page, axe_source)
    editable = page.locator("input.mark:not([readonly])")
    if editable.count():
        editable.first.fill("9999")
        page.get_by_role("button", name="Save draft").first.click()  # one above the centres, one below
        # The refused save is a new document: check it once it has loaded, not the one still parsing.
        expect(page.get_by_test_id("problem")).to_be_visible()
        page.wait_for_load_state()
        problems["sheet with an error"] = {"en": axe_violations(page, axe_source)}
    assert {path: found for path, found in problems.items() if any(found.values())} == {}
