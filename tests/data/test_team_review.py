"""Review by the team: who is in whose line (per component, at any depth), what a principal sees across the
components they lead, View Team's counts, and returning or accepting a submitted report."""

from __future__ import annotations

import pytest

from portal_app.data.audit import Appointee, AuditContext
from portal_app.data.errors import NotFound, StaleSheet
from portal_app.data.imports import import_directory
from portal_app.data.moderation import moderator_components
from portal_app.data.moderation_centre import centre_view, moderator_centre
from portal_app.data.moderation_errors import NotUnderReview, ReportLocked, ReviewNoteMissing
from portal_app.data.moderation_marks import CentreForm, save_centre
from portal_app.data.moderation_reports import report_history, review_report, submit_report
from portal_app.data.moderation_rules import ModerationRules
from portal_app.data.seed import seed_demo
from portal_app.data.teams import reviewable_allocation, team_progress
from tests.data.builders import MORGAN, TENANT

TOMOS = Appointee(TENANT, "33333333-3333-4333-8333-333333333333")
PAT = Appointee(TENANT, "44444444-4444-4444-8444-444444444444")
DAFYDD = Appointee(TENANT, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
CTX = AuditContext("sess", "req")
RULES = ModerationRules.load()
# A moderator of 3000N1 in no team, and Morgan also moderating a second component that nobody here leads.
EXTRA = {
    "components.csv": "series_code,series_title,component_code,component_title,max_mark,status_codes,"
                      "assessment_type\nJUN17,GCSE JUNE 2017,3000N2,UNED 2,40,,internally_assessed\n",
    "entries.csv": "series_code,component_code,centre_number,centre_name,candidate_number,candidate_name,"
                   "centre_mark\nJUN17,3000N2,68101,Ysgol,0001,JONES A,30\nJUN17,3000N1,68199,Ysgol Arall,0001,"
                   "EVANS B,50\n",
    "allocations.csv": f"tenant_id,object_id,email,series_code,component_code,role,centres\n"
                       f"{TENANT},{MORGAN.oid},moderator@wjec-appointees.co.uk,JUN17,3000N2,moderator,68101\n"
                       f"{TENANT},{DAFYDD.oid},dafydd@wjec-appointees.co.uk,JUN17,3000N1,moderator,68199\n",
}


@pytest.fixture
def seeded(session, tmp_path):
    seed_demo(session)
    for name, text in EXTRA.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert all(r.ok for r in import_directory(session, tmp_path).values())
    session.commit()
    return session


def emails(rows) -> set[str]:
    return {row.email.split("@")[0] for row in rows}


def morgans_3000n1(session) -> int:
    return next(r.allocation_id for r in moderator_components(session, MORGAN) if "3000N1" in r.label)


def submitted(session, centre: str = "68101") -> int:
    allocation = morgans_3000n1(session)
    view = moderator_centre(session, allocation, MORGAN, centre)
    marks = {str(row.entry_id): "45" for row in view.rows}
    report = {"judgement": "generous", "rank_order": "holds", "assessment_comment": "Hael."}
    version = save_centre(session, allocation, MORGAN, centre, CentreForm(marks=marks, report=report), 0, CTX,
                          RULES, "NR")
    version = submit_report(session, allocation, MORGAN, centre, version, CTX, RULES)
    session.commit()
    return version


def test_a_team_leader_sees_their_members_on_the_component_they_lead_only(seeded):
    rows = team_progress(seeded, TOMOS)
    assert emails(rows) == {"moderator"} and "3000N1" in rows[0].component_label
    assert rows[0].leader == TOMOS and (rows[0].centres, rows[0].sample_remaining) == (6, 74)


def test_a_principal_sees_their_line_and_with_view_all_teams_every_moderator_of_their_components(seeded):
    assert emails(team_progress(seeded, PAT)) == {"moderator", "teamleader"}
    everyone = team_progress(seeded, PAT, all_teams=True)
    assert emails(everyone) == {"moderator", "teamleader", "dafydd"}
    assert next(r for r in everyone if r.member == DAFYDD).leader is None
    assert not any("3000N2" in r.component_label for r in everyone)  # Pat does not lead 3000N2


def test_nobody_sees_or_reviews_their_own_allocation_and_moderators_see_no_team(seeded):
    own = next(r.allocation_id for r in moderator_components(seeded, PAT))
    with pytest.raises(NotFound):
        reviewable_allocation(seeded, own, PAT, all_teams=True)
    assert team_progress(seeded, MORGAN, all_teams=True) == []


@pytest.mark.parametrize("who", [TOMOS, PAT, DAFYDD, MORGAN])
def test_outside_the_line_an_allocation_is_not_found(seeded, who):
    morgans_second = next(r.allocation_id for r in moderator_components(seeded, MORGAN) if "3000N2" in r.label)
    with pytest.raises(NotFound):
        reviewable_allocation(seeded, morgans_second, who, all_teams=True)


def test_dafydd_is_not_in_pats_line_without_view_all_teams(seeded):
    dafydd = next(r.allocation_id for r in moderator_components(seeded, DAFYDD))
    with pytest.raises(NotFound):
        reviewable_allocation(seeded, dafydd, PAT, all_teams=False)
    assert reviewable_allocation(seeded, dafydd, PAT, all_teams=True).allocation.id == dafydd


def test_a_returned_report_goes_back_to_the_moderator_with_the_note_then_is_accepted(seeded):
    version = submitted(seeded)
    found = reviewable_allocation(seeded, morgans_3000n1(seeded), TOMOS, all_teams=False)
    view = centre_view(seeded, found.allocation, "68101")
    with pytest.raises(ReviewNoteMissing):
        review_report(seeded, view, TOMOS, "Tomos Lloyd", "return", "  ", version, CTX)
    version = review_report(seeded, view, TOMOS, "Tomos Lloyd", "return", "Esboniwch y marc uchaf.", version, CTX)
    seeded.commit()
    mine = moderator_centre(seeded, view.allocation_id, MORGAN, "68101")
    assert (mine.report.status, mine.report.return_note, mine.report.reviewer_name) == (
        "returned", "Esboniwch y marc uchaf.", "Tomos Lloyd")
    assert moderator_components(seeded, MORGAN)[0].total_reports_completed == 0
    assert [r.returned for r in team_progress(seeded, TOMOS)] == [1]
    version = save_centre(seeded, view.allocation_id, MORGAN, "68101",
                          CentreForm(report={"assessment_comment": "Hael: esboniad."}), version, CTX, RULES, "NR")
    version = submit_report(seeded, view.allocation_id, MORGAN, "68101", version, CTX, RULES)
    view = centre_view(seeded, reviewable_allocation(seeded, view.allocation_id, PAT, all_teams=True).allocation,
                       "68101")
    review_report(seeded, view, PAT, "Pat Hughes", "accept", "", version, CTX)
    seeded.commit()
    assert moderator_centre(seeded, view.allocation_id, MORGAN, "68101").report.status == "accepted"
    assert moderator_components(seeded, MORGAN)[0].total_reports_completed == 1
    statuses = [(h.old_value, h.new_value) for h in report_history(seeded, view.report.id) if h.field == "status"]
    assert statuses == [("draft", "submitted"), ("submitted", "returned"), ("returned", "submitted"),
                        ("submitted", "accepted")]
    with pytest.raises(ReportLocked):
        save_centre(seeded, view.allocation_id, MORGAN, "68101", CentreForm(report={"judgement": "severe"}),
                    version + 1, CTX, RULES, "NR")


def test_only_a_submitted_report_can_be_reviewed_and_a_stale_decision_is_refused(seeded):
    found = reviewable_allocation(seeded, morgans_3000n1(seeded), TOMOS, all_teams=False)
    with pytest.raises(NotUnderReview):
        review_report(seeded, centre_view(seeded, found.allocation, "68101"), TOMOS, "T", "accept", "", 0, CTX)
    version = submitted(seeded)
    with pytest.raises(StaleSheet):
        review_report(seeded, centre_view(seeded, found.allocation, "68101"), TOMOS, "T", "accept", "", version - 1,
                      CTX)
