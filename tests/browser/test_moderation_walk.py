"""Moderation a moderator can finish, in headless Chromium (issue 14): the moderator works through a centre from
the whole-centre view to a submitted report with a replaced sample candidate; the team leader returns it with a
note; the moderator fixes it; the principal accepts it. The table's counts are checked at each step, every page
is screenshotted (test-artifacts/screenshots/) and checked with axe in Cymraeg and English.

It runs on a portal of its own (same emulator), so the seed guide's figures hold whatever other tests did.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from emulator.testing import DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS, Recorder
from tests.browser.test_accessibility import axe_violations, check_in_both_languages
from tests.support.flows import seed_demo_data, sign_in_to_portal_with_chromium
from tests.support.servers import build_portal

pytestmark = pytest.mark.browser
MODERATOR = "moderator@wjec-appointees.co.uk"
TEAM_LEADER = "teamleader@wjec-appointees.co.uk"
PRINCIPAL = "principal@wjec-appointees.co.uk"
CENTRE = "68102"
NOTE = "Esboniwch pam mae marc yr ymgeisydd cyntaf yn uwch. Please explain the first candidate's mark."


@pytest.fixture(scope="module")
def walk_portal(emu, servers_dir, redis_url):
    portal = build_portal(emu, servers_dir, redis_url, name="moderation-walk", workers=1)
    portal.start(ca_path=emu.ca_path)
    seed_demo_data(portal)
    yield portal
    portal.stop()


class Person:
    """One person's browser (own cookies), recording screenshots and axe findings page by page."""

    def __init__(self, playwright_browser, name: str, axe: str, problems: dict) -> None:
        self.context = playwright_browser.new_context(ignore_https_errors=True, bypass_csp=True, locale="en-GB")
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.page.record = Recorder(self.page, SCREENSHOTS / f"test_moderation_walk_{name}")
        self.name, self.axe, self.problems = name, axe, problems

    def look(self, label: str) -> None:
        """Screenshot the page, and check it with axe in both languages (ending in English)."""
        self.page.record.snap(label)
        found = check_in_both_languages(self.page, self.axe)
        if found:
            self.problems[f"{self.name}: {label}"] = found

    def figures(self) -> tuple[str, ...]:
        row = self.page.get_by_test_id("iamis-table").locator("tbody tr").first
        cells = [row.locator(f"[data-col={name}]").inner_text().strip()
                 for name in ("centres", "sample", "reports", "review", "entered", "cf-abs", "new-marks")]
        cells[3] = re.search(r"\((\d+)\)", cells[3]).group(1)
        return tuple(cells)


@pytest.fixture
def people(playwright_browser, axe_source):
    problems: dict = {}
    made: list[Person] = []

    def person(name: str) -> Person:
        made.append(Person(playwright_browser, name, axe_source, problems))
        return made[-1]

    yield person, problems
    for p in made:
        p.context.close()


def team_row(page, email: str) -> dict[str, str]:
    row = page.locator(f'tr[data-member="{email}"]')
    return {name: row.locator(f"[data-col={name}]").inner_text().strip()
            for name in ("submitted", "returned", "accepted", "remaining")}


def test_a_centre_is_moderated_returned_fixed_and_accepted(walk_portal, emu, people):
    person, problems = people
    moderator = person("1-moderator")
    m = moderator.page
    sign_in_to_portal_with_chromium(m, walk_portal, emu, MODERATOR, DEMO_PASSWORD)
    m.goto(walk_portal.url + "/iamis/")
    moderator.look("iamis-table")
    assert moderator.figures() == ("6", "74", "0", "74", "506", "0", "506")  # the seed guide's figures

    m.locator("a[data-col=review]").first.click()
    expect(m.get_by_test_id("centres")).to_be_visible()
    moderator.look("centres")
    m.get_by_role("link", name=f"Candidates of {CENTRE} in rank order").click()
    expect(m.get_by_test_id("rank-order")).to_be_visible()
    assert m.locator("tr.sampled").count() == 12
    moderator.look("whole-centre-in-rank-order")

    # The first sampled candidate's work never arrived: record it (keyboard only), then replace them.
    m.get_by_role("link", name="Back to the centre's sample and report").click()
    expect(m.get_by_test_id("sample")).to_be_visible()
    moderator.look("centre-sample")
    work = m.locator("select[name^=mark-work-]").first
    work.focus()
    m.keyboard.press("ArrowDown")  # Received -> Not received
    assert work.input_value() == "not_received"
    m.get_by_role("button", name="Save draft").click()
    expect(m.get_by_test_id("notice")).to_contain_text("Your changes were saved")
    m.get_by_test_id("whole-centre").click()
    expect(m.get_by_test_id("replace-form")).to_be_visible()
    replaced = m.locator("#replaced option").first.inner_text().split()[0]
    replacement = m.locator("#replacement option").first.inner_text().split()[0]
    m.fill("#replace-note", "Gwaith heb gyrraedd erbyn y dyddiad cau.")
    m.get_by_role("button", name="Replace", exact=True).click()
    expect(m.get_by_test_id("notice")).to_contain_text("was replaced")
    moderator.look("candidate-replaced")

    # Moderated marks by keyboard (Enter moves to the next mark), one well outside the tolerance of 4.
    m.get_by_role("link", name="Back to the centre's sample and report").click()
    expect(m.locator("tr.replaced")).to_contain_text(f"Replaced by {replacement}")
    expect(m.locator("tr:not(.replaced)", has_text=replacement)).to_contain_text(f"in place of {replaced}")
    m.get_by_role("button", name="Submit report").click()  # nothing typed yet: refused, every gap marked
    expect(m.get_by_test_id("problem")).to_contain_text("the report was not submitted")
    expect(m.locator("[aria-invalid=true]")).to_have_count(13)  # 12 marks and the comment (radios: per fieldset)
    m.record.snap("submit-refused")
    problems["moderator: submit refused"] = {"en": axe_violations(m, moderator.axe)}
    centre_marks = [int(t) for t in m.locator("tr:not(.replaced) [data-col=centre-mark]").all_inner_texts()]
    fields = m.locator("input.mark")
    assert fields.count() == len(centre_marks) == 12
    fields.first.click()
    for index, mark in enumerate(centre_marks):
        m.keyboard.type(str(max(0, mark - 9) if index == 0 else min(80, mark + index % 2)))
        m.keyboard.press("Enter")
    m.get_by_label("Accurate").check()
    m.get_by_label("The centre's rank order holds").check()
    m.locator("input[name=mark-report-language][value=cy]").check()
    m.fill("#report-assessment_comment", "Marcio cywir ar y cyfan; un ymgeisydd wedi'i orfarcio.\nDa iawn.")
    m.get_by_role("button", name="Submit report").click()
    expect(m.get_by_test_id("notice")).to_contain_text("The report was submitted")
    expect(m.get_by_test_id("read-only")).to_be_visible()
    expect(m.get_by_test_id("summary")).to_contain_text("11 of 12 candidate(s) within the tolerance of 4 mark(s)")
    expect(m.locator("tr.outside")).to_have_count(1)
    moderator.look("report-submitted")
    m.goto(walk_portal.url + "/iamis/")
    assert moderator.figures() == ("6", "74", "1", "62", "506", "0", "506")
    moderator.look("table-after-submit")

    # The team leader opens the member's work read-only and returns it with a note.
    leader = person("2-team-leader")
    t = leader.page
    sign_in_to_portal_with_chromium(t, walk_portal, emu, TEAM_LEADER, DEMO_PASSWORD)
    t.goto(walk_portal.url + "/iamis/")
    t.get_by_test_id("view-team").click()
    assert team_row(t, MODERATOR) == {"submitted": "1", "returned": "0", "accepted": "0", "remaining": "62"}
    leader.look("view-team")
    t.get_by_role("link", name=MODERATOR).click()
    leader.look("member-centres")
    t.get_by_test_id("member-centres").get_by_role("link", name=CENTRE, exact=True).click()
    expect(t.get_by_test_id("decision")).to_be_visible()
    assert t.locator("input.mark").count() == 0  # a leader never enters a member's marks
    leader.look("member-centre")
    t.get_by_role("button", name="Return to the moderator").click()  # without a note: refused
    expect(t.get_by_test_id("problem")).to_be_visible()
    t.record.snap("return-refused")
    problems["team leader: return refused"] = {"en": axe_violations(t, leader.axe)}
    t.fill("#review-note", NOTE)
    t.get_by_role("button", name="Return to the moderator").click()
    expect(t.get_by_test_id("notice")).to_contain_text("returned to the moderator")
    leader.look("report-returned")
    t.goto(walk_portal.url + "/iamis/team")
    assert team_row(t, MODERATOR) == {"submitted": "0", "returned": "1", "accepted": "0", "remaining": "62"}

    # The moderator is told why, changes the report and submits it again.
    m.goto(walk_portal.url + "/iamis/")
    expect(m.get_by_test_id("returned-notice")).to_be_visible()
    assert moderator.figures()[2:4] == ("0", "62")
    moderator.look("table-with-returned-report")
    m.locator("a[data-col=review]").first.click()
    m.get_by_test_id("centres").get_by_role("link", name=CENTRE, exact=True).click()
    expect(m.get_by_test_id("return-note")).to_contain_text(NOTE)
    expect(m.get_by_test_id("return-note")).to_contain_text("Tomos Lloyd")
    moderator.look("returned-report")
    m.fill("#report-assessment_comment", "Marcio cywir ar y cyfan. Gorfarciwyd ymgeisydd 1 o 9 marc: nid yw'r "
                                         "dystiolaeth yn cefnogi'r band uchaf.")
    m.get_by_role("button", name="Submit report").click()
    expect(m.get_by_test_id("notice")).to_contain_text("The report was submitted")
    m.goto(walk_portal.url + "/iamis/")
    assert moderator.figures()[2:4] == ("1", "62")

    # The principal sees every moderator of the component and accepts the report.
    principal = person("3-principal")
    p = principal.page
    sign_in_to_portal_with_chromium(p, walk_portal, emu, PRINCIPAL, DEMO_PASSWORD)
    p.goto(walk_portal.url + "/iamis/")
    expect(p.locator("body")).to_contain_text("Work as:")
    expect(p.get_by_test_id("team-summary")).to_contain_text("Reports waiting for review: 1")
    principal.look("principal-table")
    p.get_by_test_id("view-team").click()
    expect(p.locator(f'tr[data-member="{TEAM_LEADER}"]')).to_be_visible()
    assert team_row(p, MODERATOR)["submitted"] == "1"
    principal.look("principal-view-team")
    p.get_by_role("link", name=MODERATOR).click()
    p.get_by_test_id("member-centres").get_by_role("link", name=CENTRE, exact=True).click()
    expect(p.get_by_test_id("history")).to_contain_text("Returned")
    p.get_by_role("button", name="Accept the report").click()
    expect(p.get_by_test_id("notice")).to_contain_text("The report was accepted")
    expect(p.get_by_test_id("decision")).to_have_count(0)
    principal.look("report-accepted")
    p.goto(walk_portal.url + "/iamis/team")
    assert team_row(p, MODERATOR) == {"submitted": "0", "returned": "0", "accepted": "1", "remaining": "62"}

    m.goto(walk_portal.url + "/iamis/")
    assert moderator.figures() == ("6", "74", "1", "62", "506", "0", "506")
    m.locator("a[data-col=review]").first.click()
    expect(m.locator(f'tr[data-centre="{CENTRE}"] [data-col=status]')).to_have_text("Accepted")
    moderator.look("centres-after-acceptance")
    m.locator("summary.all-services").click()  # the open All Services menu on a moderation page, too
    problems["open menu"] = {"en": axe_violations(m, moderator.axe)}
    assert {where: found for where, found in problems.items() if any(found.values())} == {}
