"""A marking season in headless Chromium, with screenshots and axe on every page of it: the examiner submits one
centre, meets the deadline on the other, gets an extension and submits; the principal examiner reopens a centre
with a reason; the examiner corrects and resubmits; the team leader sees it all; the export holds exactly the
submitted marks, once.

The walk has a portal of its own (a fresh database under gunicorn), so no other module's marks are in its way.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from emulator.testing import DEMO_PASSWORD
from portal_app.data.deadlines import london_text
from tests.browser.conftest import SCREENSHOTS, Recorder
from tests.browser.test_accessibility import axe_violations, check_in_both_languages
from tests.support.axe import axe_source
from tests.support.flows import seed_demo_data, sign_in_to_portal_with_chromium
from tests.support.servers import REPO_ROOT, free_port, running_portal

pytestmark = pytest.mark.browser
EXAMINER = "examiner@wjec-appointees.co.uk"
PRINCIPAL = "principalexaminer@wjec-appointees.co.uk"
TEAM_LEADER = "examteamleader@wjec-appointees.co.uk"
LATIN_LITERATURE = "9522/01"


@pytest.fixture(scope="module")
def season_portal(emu, browser_dir, redis_url):
    with running_portal(emu, browser_dir, redis_url, port=free_port(), name="examining-season") as server:
        seed_demo_data(server)
        yield server


def portal_command(portal, *args: str) -> str:
    """An operations command on the walk's portal (the same environment as its gunicorn)."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "portal", *args], cwd=REPO_ROOT,
                          env=portal.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"portal {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture
def people(playwright_browser, request):
    """A browser per person (their own cookies), each recording its pages under one folder for the walk."""
    contexts = []
    folder = SCREENSHOTS / request.node.name

    def open_as(name: str):
        context = playwright_browser.new_context(ignore_https_errors=True, bypass_csp=True, locale="en-GB")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.record = Recorder(page, folder / name)
        return page

    yield open_as
    for context in contexts:
        context.close()


class Axe:
    """axe-core on each page the walk visits; every violation is collected and reported at the end."""

    def __init__(self) -> None:
        self.source = axe_source()
        self.found: dict[str, object] = {}

    def check(self, page, name: str, *, both_languages: bool = False) -> None:
        problems = (check_in_both_languages(page, self.source) if both_languages
                    else {"en": axe_violations(page, self.source)})
        if any(problems.values()):
            self.found[name] = problems
        if both_languages and page.locator("html").get_attribute("lang") != "en":
            page.get_by_test_id("language-en").click()
            page.wait_for_load_state()


def sign_in(page, portal, emu, email: str) -> None:
    sign_in_to_portal_with_chromium(page, portal, emu, email, DEMO_PASSWORD)


def open_latin_literature(page, portal) -> None:
    page.goto(portal.url + "/emi/")
    page.locator("tr[data-allocation]", has_text=LATIN_LITERATURE).get_by_test_id("enter").click()
    expect(page.locator("h1")).to_contain_text(LATIN_LITERATURE)


def fill_centre(page, centre: str, start: int) -> list[str]:
    """Type a mark for each candidate of the centre; the values typed, in order."""
    fields = page.locator(f"section#centre-{centre} input.mark")
    typed = []
    for index in range(fields.count()):
        value = str((start + index) % 41)
        fields.nth(index).fill(value)
        typed.append(value)
    return typed


def test_a_marking_season_from_first_centre_to_the_export(season_portal, emu, people, tmp_path):
    portal, axe = season_portal, Axe()
    now = datetime.now(UTC)
    portal_command(portal, "set-marks-due", "JAN17", LATIN_LITERATURE, "--due", london_text(now + timedelta(days=1)))

    # The examiner marks and submits centre 68001, one candidate's script not received.
    examiner = people("1-examiner")
    sign_in(examiner, portal, emu, EXAMINER)
    examiner.goto(portal.url + "/emi/")
    row = examiner.locator("tr[data-allocation]", has_text=LATIN_LITERATURE)
    expect(row.get_by_test_id("due")).to_contain_text("Due ")
    examiner.record.snap("emi-list-due")
    axe.check(examiner, "emi list", both_languages=True)
    open_latin_literature(examiner, portal)
    examiner.record.snap("sheet-by-centre")
    axe.check(examiner, "sheet", both_languages=True)
    first_centre = fill_centre(examiner, "68001", 1)
    examiner.locator("section#centre-68001 input.not-received").nth(2).check()
    examiner.locator("section#centre-68001 input.mark").nth(2).fill("A")
    first_centre[2] = "A"
    examiner.get_by_role("button", name="Submit centre 68001").click()
    expect(examiner.get_by_test_id("notice")).to_contain_text("centre 68001 were submitted")
    expect(examiner.locator("section#centre-68001 input.mark")).to_have_count(0)
    examiner.record.snap("centre-68001-submitted")

    # The deadline passes while the examiner is typing centre 68002: refused, and what was typed stays in view.
    second_centre = fill_centre(examiner, "68002", 7)
    portal_command(portal, "set-marks-due", "JAN17", LATIN_LITERATURE, "--due", london_text(now - timedelta(hours=1)))
    examiner.get_by_role("button", name="Submit centre 68002").click()
    expect(examiner.get_by_test_id("problem")).to_contain_text("deadline for these marks has passed")
    typed_back = examiner.locator("section#centre-68002 [data-testid=locked-value]").all_inner_texts()
    assert typed_back == second_centre
    examiner.record.snap("deadline-refused")
    axe.check(examiner, "deadline refusal")
    examiner.goto(portal.url + "/emi/")
    expect(examiner.locator("tr[data-allocation]", has_text=LATIN_LITERATURE).get_by_test_id("overdue")).to_be_visible()
    examiner.record.snap("emi-list-overdue")

    # The principal examiner grants an extension, with a reason.
    principal = people("2-principal")
    sign_in(principal, portal, emu, PRINCIPAL)
    principal.goto(portal.url + "/emi/")
    principal.get_by_test_id("view-team").click()
    expect(principal.get_by_test_id("team")).to_be_visible()
    principal.record.snap("team")
    axe.check(principal, "team page", both_languages=True)
    principal.locator("tr[data-allocation]", has_text=LATIN_LITERATURE).get_by_test_id("member").click()
    expect(principal.get_by_test_id("extension-form")).to_be_visible()
    principal.record.snap("member-sheet")
    axe.check(principal, "member sheet", both_languages=True)
    principal.fill("#due_date", london_text(now + timedelta(days=2))[:10])
    principal.fill("#due_time", "17:00")
    principal.fill("#extension-reason", "Scripts from centre 68002 arrived late")
    principal.get_by_role("button", name="Grant extension").click()
    expect(principal.get_by_test_id("notice")).to_contain_text("extension was granted")
    principal.record.snap("extension-granted")

    # The examiner submits centre 68002 within the extension.
    open_latin_literature(examiner, portal)
    expect(examiner.get_by_test_id("extension")).to_contain_text("arrived late")
    fill_centre(examiner, "68002", 7)
    examiner.get_by_role("button", name="Submit centre 68002").click()
    expect(examiner.get_by_test_id("read-only")).to_be_visible()
    examiner.record.snap("all-submitted")

    # The principal reopens centre 68001 with a reason; the examiner is told, corrects and resubmits.
    principal.reload()
    principal.fill("#reason-68001", "Candidate 0002 was mis-added")
    principal.get_by_role("button", name="Reopen centre 68001").click()
    expect(principal.get_by_test_id("notice")).to_contain_text("Centre 68001 was reopened")
    principal.record.snap("centre-reopened")
    axe.check(principal, "member sheet after reopening")
    examiner.goto(portal.url + "/emi/")
    expect(examiner.get_by_test_id("reopened")).to_contain_text("Candidate 0002 was mis-added")
    examiner.record.snap("emi-list-reopened")
    axe.check(examiner, "emi list with a reopened centre")
    open_latin_literature(examiner, portal)
    corrected = examiner.locator("section#centre-68001 input.mark").nth(1)
    corrected.fill("39")
    first_centre[1] = "39"
    examiner.get_by_role("button", name="Submit centre 68001").click()
    expect(examiner.get_by_test_id("read-only")).to_be_visible()
    examiner.record.snap("corrected-and-resubmitted")

    # The team leader sees it all, read-only.
    leader = people("3-team-leader")
    sign_in(leader, portal, emu, TEAM_LEADER)
    leader.goto(portal.url + "/emi/team")
    line = leader.locator("tr[data-allocation]", has_text=LATIN_LITERATURE)
    expect(line.locator("[data-col=submitted]")).to_have_text("24")
    expect(line.locator("[data-col=percent]")).to_have_text("100%")
    expect(line.locator("[data-col=last-save]")).not_to_have_text("Not yet")
    leader.record.snap("team-leader-sees-it-all")
    axe.check(leader, "team leader's team page", both_languages=True)
    line.get_by_test_id("member").click()
    assert leader.locator("input.mark, [data-testid=reopen-form], [data-testid=extension-form]").count() == 0
    expect(leader.locator("section#centre-68001 [data-testid=value]").nth(1)).to_have_text("39")
    leader.record.snap("team-leader-reads-the-sheet")
    axe.check(leader, "team leader's member sheet")

    # The export afterwards holds exactly the submitted marks, once; a second run has nothing new.
    out = tmp_path / "marks.csv"
    portal_command(portal, "export-marks", "--series", "JAN17", "--output", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["centre_number"], r["mark"] or r["status_code"]) for r in rows] == (
        [("68001", value) for value in first_centre] + [("68002", value) for value in second_centre])
    assert len({(r["centre_number"], r["candidate_number"]) for r in rows}) == len(rows) == 24
    assert len({r["export_batch_id"] for r in rows}) == 1
    assert "No new or changed submitted marks" in portal_command(portal, "export-marks", "--series", "JAN17",
                                                                 "--output", str(tmp_path / "again.csv"))
    assert axe.found == {}
