"""The All Services catalogue in headless Chromium (issue 9): search, My Favourites, the header menu, documents.

Shared state: the session's portal database is seeded by several modules and used in any order, so this module
clears the examiner's favourites before and after the favourites test (other modules count menu entries).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from emulator.testing import APPOINTEE_TENANT_ID, DEMO_PASSWORD
from portal_app.data.favourites import favourite_ids, remove_favourite
from tests.browser.conftest import SCREENSHOTS, Recorder
from tests.support.flows import seed_demo_data, sign_in_to_portal_with_chromium

pytestmark = pytest.mark.browser
EXAMINER = "examiner@wjec-appointees.co.uk"
EXAMINER_OID = "11111111-1111-4111-8111-111111111111"
MODERATOR = "moderator@wjec-appointees.co.uk"
EXAMINING = ["entries-registrations", "electronic-mark-input", "appointee-resources"]
MODERATING = ["entries-registrations", "hsc-internal-assessment", "print-mfl-visits", "iamis-mark-input",
              "moderator-reports-invoices", "appointee-resources"]
# What an examiner sees, per query: "iamis", "moderation" and "invoices" match only services they may not open.
EXAMINER_SEARCHES = {
    "mark": {"electronic-mark-input", "appointee-resources"},  # "mark schemes" in the resources' description
    "MARK input": {"electronic-mark-input"},
    "iamis": set(),
    "moderation": set(),
    "invoices": set(),
}
NEVER_FOR_EXAMINER = set(MODERATING) - set(EXAMINING)


@pytest.fixture(scope="module", autouse=True)
def demo_data(portal):
    """The demo components and allocations (for EMI's agenda) in the shared portal's database."""
    seed_demo_data(portal)


def clear_favourites(portal, oid: str) -> None:
    """Unstar every service of this appointee straight in the portal's database (setup and teardown only)."""
    engine = create_engine(portal.env["DATABASE_URL"])
    try:
        with Session(engine) as session:
            for service_id in favourite_ids(session, APPOINTEE_TENANT_ID, oid):
                remove_favourite(session, APPOINTEE_TENANT_ID, oid, service_id)
            session.commit()
    finally:
        engine.dispose()


@pytest.fixture
def examiner_without_favourites(portal):
    """The examiner starts and ends with no favourites, whatever ran before (or failed half-way)."""
    clear_favourites(portal, EXAMINER_OID)
    yield
    clear_favourites(portal, EXAMINER_OID)


@contextmanager
def another_tab(playwright_browser, request, name: str, **options) -> Iterator:
    """A tab in a context of its own (no cookies unless ``storage_state`` is given), recording screenshots."""
    context = playwright_browser.new_context(ignore_https_errors=True, **options)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.record = Recorder(tab, SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{request.node.name}-{name}"))
    try:
        yield tab
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            tab.record.snap("failure")
        context.close()


@pytest.fixture(scope="module")
def signed_in(playwright_browser, portal, emu, request):
    """``signed_in(email)``: cookies of a browser signed in as ``email`` (one real sign-in per user and module).

    Signing in through Microsoft's pages takes seconds; tests that are not about signing in reuse the cookies.
    """
    states: dict[str, dict] = {}

    def state_for(email: str) -> dict:
        if email not in states:
            with another_tab(playwright_browser, request, "sign-in-" + email.split("@")[0]) as tab:
                sign_in_to_portal_with_chromium(tab, portal, emu, email, DEMO_PASSWORD)
                states[email] = tab.context.storage_state()
        return states[email]
    return state_for


@pytest.fixture
def examiner_tab(playwright_browser, request, signed_in):
    """A fresh tab already signed in as the examiner, on All Services."""
    with another_tab(playwright_browser, request, "examiner", storage_state=signed_in(EXAMINER)) as tab:
        yield tab


@pytest.fixture
def moderator_tab(playwright_browser, request, signed_in):
    """A fresh tab already signed in as the moderator."""
    with another_tab(playwright_browser, request, "moderator", storage_state=signed_in(MODERATOR)) as tab:
        yield tab


def visible_services(page, within: str = "#service-menu") -> list[str]:
    """The service ids a person sees in a list now (entries hidden by the search script left out)."""
    return page.locator(f"{within} a[data-service]:visible").evaluate_all(
        "links => links.map(a => a.dataset.service)")


def page_services(page) -> list[str]:
    """Every service id anywhere in the page's HTML: visible or not, in the page or in the header menu."""
    return page.locator("a[data-service]").evaluate_all("links => links.map(a => a.dataset.service)")


def first_section(page, within: str):
    return page.locator(f"{within} [data-menu-section]:visible").first


def open_header_menu(page) -> None:
    page.get_by_test_id("all-services-menu").locator("summary").click()
    expect(page.locator("#header-service-list")).to_be_visible()


def sign_out(page, portal) -> None:
    """Header "Sign out", then confirm; ends on the portal's signed-out sign-in page."""
    page.get_by_role("link", name="Sign out").click()
    page.record.snap("sign-out-confirm")
    page.locator("main").get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(portal.url + "/**")
    expect(page.get_by_text("Sign in to your Portal account")).to_be_visible()
    page.record.snap("signed-out")


def test_search_narrows_as_the_examiner_types_and_agrees_with_the_form_without_javascript(
        examiner_tab, portal, playwright_browser, request):
    page = examiner_tab
    page.goto(portal.url + "/services")
    assert not NEVER_FOR_EXAMINER & set(page_services(page))  # not even hidden in the HTML
    search = page.locator("#service-search")

    with another_tab(playwright_browser, request, "no-javascript", java_script_enabled=False,
                     storage_state=page.context.storage_state()) as plain:
        for query, expected in EXAMINER_SEARCHES.items():
            search.fill("")
            search.press_sequentially(query)  # key by key: the script filters on each input event
            assert set(visible_services(page)) == expected, query
            expect(page.get_by_test_id("no-match")).to_be_visible(visible=not expected)
            page.record.snap("typed-" + query.replace(" ", "-"))

            plain.goto(portal.url + "/services")
            plain.locator("#service-search").fill(query)
            plain.locator("#service-search").press("Enter")  # the form submits: GET /services?q=...
            plain.wait_for_url(re.compile(r"/services\?q="))
            plain.record.snap("submitted-" + query.replace(" ", "-"))
            assert set(visible_services(plain)) == expected, query
            assert not NEVER_FOR_EXAMINER & set(page_services(plain)), query
            expect(plain.get_by_test_id("no-match")).to_be_visible(visible=not expected)

    search.fill("")
    search.press_sequentially("x")
    search.press("Backspace")  # an emptied box shows everything again
    assert visible_services(page) == EXAMINING


def test_header_search_narrows_the_header_menu_as_the_user_types(examiner_tab, portal):
    page = examiner_tab
    page.goto(portal.url + "/emi/")
    open_header_menu(page)

    page.locator("#header-service-search").press_sequentially("electronic")

    assert visible_services(page, "#header-service-list") == ["electronic-mark-input"]
    page.record.snap("header-search-electronic")
    page.locator("#header-service-search").fill("iamis")
    page.locator("#header-service-search").dispatch_event("input")
    assert visible_services(page, "#header-service-list") == []
    expect(page.locator("#header-service-list [data-search-empty]")).to_be_visible()
    page.record.snap("header-search-iamis")


def test_starred_service_comes_first_survives_sign_out_and_unstarring_removes_it(
        page, portal, emu, playwright_browser, request, examiner_without_favourites):
    sign_in_to_portal_with_chromium(page, portal, emu, EXAMINER, DEMO_PASSWORD)
    assert page.locator("[data-section=favourites]").count() == 0

    page.get_by_test_id("star-appointee-resources").first.click()

    page.wait_for_url(portal.url + "/services")
    favourites = first_section(page, "#service-menu")
    expect(favourites).to_have_attribute("data-section", "favourites")
    expect(favourites.locator("h2")).to_have_text("My Favourites")
    assert visible_services(page)[0] == "appointee-resources"
    expect(page.get_by_test_id("star-appointee-resources").first).to_have_attribute("aria-pressed", "true")
    page.record.snap("starred")
    open_header_menu(page)
    expect(first_section(page, "#header-service-list").locator("h2")).to_have_text("My Favourites")
    assert visible_services(page, "#header-service-list")[0] == "appointee-resources"
    page.record.snap("starred-header-menu")
    sign_out(page, portal)

    with another_tab(playwright_browser, request, "signed-in-again") as again:
        sign_in_to_portal_with_chromium(again, portal, emu, EXAMINER, DEMO_PASSWORD)
        expect(first_section(again, "#service-menu")).to_have_attribute("data-section", "favourites")
        assert visible_services(again)[0] == "appointee-resources"

        again.get_by_test_id("star-appointee-resources").first.click()  # the starred entry: unstar

        again.wait_for_url(portal.url + "/services")
        assert again.locator("[data-section=favourites]").count() == 0
        assert visible_services(again) == EXAMINING
        expect(again.get_by_test_id("star-appointee-resources")).to_have_attribute("aria-pressed", "false")
        again.record.snap("unstarred")


@pytest.mark.parametrize("token", [None, "", "forged-token"], ids=["missing", "empty", "forged"])
def test_a_favourite_posted_without_the_forms_token_is_refused_with_400(
        examiner_tab, portal, token, examiner_without_favourites):
    page = examiner_tab
    form = {"service": "appointee-resources", "action": "add"}
    if token is not None:
        form["csrf_token"] = token

    forged = page.request.post(portal.url + "/services/favourites", form=form, max_redirects=0)

    assert forged.status == 400
    assert "Traceback" not in forged.text()
    page.goto(portal.url + "/services")
    assert page.locator("[data-section=favourites]").count() == 0
    page.record.snap("nothing-starred")


def test_starring_a_service_the_user_may_not_open_is_404_even_with_a_valid_token(
        examiner_tab, portal, examiner_without_favourites):
    page = examiner_tab
    page.goto(portal.url + "/services")
    token = page.locator("form.favourite input[name=csrf_token]").first.input_value()

    refused = page.request.post(portal.url + "/services/favourites", max_redirects=0,
                                form={"csrf_token": token, "service": "iamis-mark-input", "action": "add"})

    assert refused.status == 404
    page.reload()
    assert page.locator("[data-section=favourites]").count() == 0
    assert "iamis-mark-input" not in page_services(page)
    page.record.snap("nothing-starred")


def test_header_menu_opens_with_the_keyboard_and_lists_only_the_moderators_services(moderator_tab, portal):
    page = moderator_tab
    page.goto(portal.url + "/iamis/")
    summary = page.get_by_test_id("all-services-menu").locator("summary")
    expect(page.get_by_test_id("all-services-menu")).not_to_have_attribute("open", "")

    for _ in range(5):  # the skip link comes first; the menu right after it
        page.keyboard.press("Tab")
        if summary.evaluate("element => element === document.activeElement"):
            break
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("all-services-menu")).to_have_attribute("open", "")
    assert visible_services(page, "#header-service-list") == MODERATING
    page.record.snap("header-menu-open-by-keyboard")
    page.keyboard.press("Tab")  # into the menu's own search box
    expect(page.locator("#header-service-search")).to_be_focused()
    page.keyboard.type("invoices")
    assert visible_services(page, "#header-service-list") == ["moderator-reports-invoices"]
    page.record.snap("header-menu-search-by-keyboard")


def test_examiner_downloads_the_agenda_pdf_and_a_moderator_gets_404_for_it(examiner_tab, moderator_tab, portal):
    page = examiner_tab
    page.goto(portal.url + "/services")
    page.locator("#service-menu").get_by_role("link", name="Electronic Mark Input").first.click()
    page.wait_for_url(portal.url + "/emi/")
    page.record.snap("emi-list")
    row = page.locator("tr[data-allocation]", has_text="9521/01")

    with page.expect_download() as started:
        row.get_by_role("link", name="VIEW CONFERENCE AGENDA").click()

    download = started.value
    assert download.suggested_filename == "9521-01-conference-agenda.pdf"
    assert download.path().read_bytes().startswith(b"%PDF")
    document_url = download.url
    assert "/documents/" in document_url, document_url
    again = page.request.get(document_url)
    assert again.status == 200
    assert again.headers["content-type"] == "application/pdf"
    assert re.match(r'attachment; filename="?9521-01-conference-agenda\.pdf', again.headers["content-disposition"])
    page.record.snap("emi-after-download")

    refused = moderator_tab.goto(document_url)

    assert refused.status == 404
    expect(moderator_tab.locator("body")).not_to_contain_text("Traceback")
    expect(moderator_tab.locator("body")).not_to_contain_text("%PDF")
    moderator_tab.record.snap("document-not-found")
