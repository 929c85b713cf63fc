"""Roles and mark input in headless Chromium (issue 7): services per demo role, EMI, IAMIS, 403, refusals."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from emulator.testing import DEMO_PASSWORD
from tests.support.flows import microsoft_pages, seed_demo_data, sign_in_to_portal_with_chromium

pytestmark = pytest.mark.browser
EXAMINER = "examiner@wjec-appointees.co.uk"
MODERATOR = "moderator@wjec-appointees.co.uk"
MODERATING = ["entries-registrations", "hsc-internal-assessment", "print-mfl-visits", "iamis-mark-input",
              "moderator-reports-invoices", "appointee-resources"]
EXAMINING = ["entries-registrations", "electronic-mark-input", "appointee-resources"]
# The same expectations as tests/portal_app/test_services_page.py, here through the real sign-in.
SERVICES = {
    EXAMINER: EXAMINING,
    MODERATOR: MODERATING,
    "teamleader@wjec-appointees.co.uk": MODERATING,
    "principal@wjec-appointees.co.uk": MODERATING,
    "admin@wjec-appointees.co.uk": ["entries-registrations", "electronic-mark-input", "appointee-resources",
                                    "link-check"],
    "manygroups@wjec-appointees.co.uk": EXAMINING,  # groups overage: Graph says "examiners group"
    "norole@wjec-appointees.co.uk": [],
}


@pytest.fixture(scope="module", autouse=True)
def demo_data(portal):
    """The demo components, candidates and samples in the shared portal's database."""
    seed_demo_data(portal)


def menu_services(page) -> list[str]:
    return page.locator("#service-menu a[data-service]").evaluate_all("links => links.map(a => a.dataset.service)")


@pytest.mark.parametrize("email", SERVICES, ids=lambda email: email.split("@")[0])
def test_each_demo_role_sees_exactly_its_own_services(page, portal, emu, email):
    sign_in_to_portal_with_chromium(page, portal, emu, email, DEMO_PASSWORD)

    if not SERVICES[email]:
        expect(page.get_by_test_id("no-services")).to_be_visible()
        assert page.locator("a[data-service]").count() == 0
        return
    assert menu_services(page) == SERVICES[email]


def test_examiner_types_marks_with_the_keyboard_saves_a_draft_and_submits(page, portal, emu):
    sign_in_to_portal_with_chromium(page, portal, emu, EXAMINER, DEMO_PASSWORD)
    page.goto(portal.url + "/emi/")
    page.record.snap("emi-list")
    row = page.locator("tr[data-allocation]", has_text="9522/01")
    row.get_by_test_id("enter").click()
    expect(page.locator("h1")).to_contain_text("9522/01")
    page.record.snap("emi-sheet-empty")
    fields = page.locator("input.mark")
    count = fields.count()
    assert count == 24

    fields.first.click()
    for value in ["12", "A", "40", "0"]:  # type a mark, Tab past the next row's "Not received" to its mark
        page.keyboard.type(value)
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
    page.get_by_role("button", name="Save draft").first.click()  # one above the centres, one below
    expect(page.get_by_test_id("notice")).to_contain_text("saved as a draft")
    page.record.snap("emi-draft-saved")
    assert [fields.nth(i).input_value() for i in range(4)] == ["12", "A", "40", "0"]

    fields.nth(4).fill("41")  # over the maximum: refused inline, nothing written
    page.get_by_role("button", name="Save draft").first.click()  # one above the centres, one below
    expect(page.locator("#err-" + fields.nth(4).get_attribute("id").removeprefix("mark-"))).to_be_visible()
    page.record.snap("emi-invalid-mark")

    fields.nth(4).click()
    page.keyboard.press("Control+A")
    for index in range(4, count):
        page.keyboard.type(str(index % 41))
        page.keyboard.press("Enter")  # marks.js: Enter moves on instead of submitting
    page.get_by_role("button", name="Submit centre 68001").click()
    expect(page.get_by_test_id("notice")).to_contain_text("centre 68001 were submitted")
    page.record.snap("emi-centre-submitted")
    page.get_by_role("button", name="Submit centre 68002").click()
    expect(page.get_by_test_id("notice")).to_contain_text("centre 68002 were submitted")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    page.record.snap("emi-submitted")
    page.goto(portal.url + "/emi/")
    expect(page.locator("tr[data-allocation]", has_text="9522/01")).to_contain_text("24 SUBMITTED")
    page.record.snap("emi-list-after-submit")


def test_moderator_reviews_a_centre_sample_and_submits_the_report(page, portal, emu):
    sign_in_to_portal_with_chromium(page, portal, emu, MODERATOR, DEMO_PASSWORD)
    page.goto(portal.url + "/iamis/")
    expect(page.get_by_test_id("iamis-table")).to_be_visible()
    page.record.snap("iamis-table")
    page.locator("a[data-col=review]").first.click()
    expect(page.get_by_test_id("centres")).to_be_visible()
    page.record.snap("iamis-centres")
    page.get_by_test_id("centres").locator("tbody th a").first.click()
    expect(page.get_by_role("heading", name=re.compile("^Centre "))).to_be_visible()
    page.record.snap("iamis-review")
    fields = page.locator("input.mark")
    assert fields.count() > 0

    fields.first.click()
    page.keyboard.type("7")
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Your changes were saved")
    page.record.snap("iamis-saved")
    for index in range(fields.count()):
        if not fields.nth(index).input_value():
            fields.nth(index).fill(str(10 + index))
    page.get_by_label("Severe").check()
    page.get_by_label("The rank order does not hold").check()
    page.fill("#report-assessment_comment", "Marcio llym ar y cyfan.")
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_test_id("notice")).to_contain_text("The report was submitted")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    page.record.snap("iamis-report-submitted")


def test_examiner_opening_iamis_gets_a_403_page(page, portal, emu):
    sign_in_to_portal_with_chromium(page, portal, emu, EXAMINER, DEMO_PASSWORD)

    response = page.goto(portal.url + "/iamis/")

    assert response.status == 403
    expect(page.locator("body")).not_to_contain_text("Traceback")
    expect(page.get_by_role("heading").first).to_be_visible()
    page.record.snap("iamis-forbidden")


def test_user_of_another_tenant_is_refused_by_the_appointee_tenant(page, portal, emu):
    page.goto(portal.url + "/")
    page.get_by_role("link", name="Sign in as an Appointee").click()
    page.wait_for_url(emu.base_url + "/**")

    microsoft_pages(page, emu, "mallory@wjec-appointees.co.uk", DEMO_PASSWORD, stay_signed_in=None)

    expect(page.locator("body")).to_contain_text("Your account is in another organisation")
    page.record.snap("microsoft-mallory-refused")
    page.goto(portal.url + "/services")
    expect(page.get_by_text("Sign in to your Portal account")).to_be_visible()
