"""Examining oversight on the demo data: who sees whom, deadlines and extensions, reopening, exports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal_app.data.audit import Appointee, AuditContext, history
from portal_app.data.deadlines import grant_extension, set_marks_due
from portal_app.data.emi_team import overseen_allocation, overseen_sheet, team_progress
from portal_app.data.errors import NotFound
from portal_app.data.examining_errors import CentreExported, DeadlinePassed, InvalidRequest
from portal_app.data.export import marks_page, marks_to_export, record_export, reissue_centre
from portal_app.data.marks import list_examiner_components, load_mark_sheet, save_marks, submit_centre
from portal_app.data.reopen import reopen_centre
from portal_app.data.seed import seed_demo
from tests.data.builders import ELERI, MORGAN, TENANT

SIAN = Appointee(TENANT, "12121212-1212-4121-8121-121212121212")  # examining team leader
DAFYDD = Appointee(TENANT, "13131313-1313-4131-8131-131313131313")  # principal examiner
NIA = Appointee(TENANT, "77777777-7777-4777-8777-777777777777")
GWEN = Appointee(TENANT, "66666666-6666-4666-8666-666666666666")
ADMIN = Appointee(TENANT, "55555555-5555-4555-8555-555555555555")
CTX = AuditContext("sess", "req")
NOW = datetime(2017, 2, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def seeded(session):
    seed_demo(session)
    session.commit()
    return session


def allocation_of(session, who: Appointee, component: str) -> int:
    return next(line.allocation_id for line in list_examiner_components(session, who, now=NOW)
                if line.component_code == component)


def mark_and_submit(session, allocation_id: int, who: Appointee, centre: str, *, now=NOW) -> int:
    sheet = load_mark_sheet(session, allocation_id, who, now=now)
    values = {row.entry_id: str(n % 40) for n, row in enumerate(sheet.rows_by_centre[centre])}
    version = save_marks(session, allocation_id, who, values, sheet.version, CTX, now=now).version
    version = submit_centre(session, allocation_id, who, centre, version, CTX, now=now)
    session.commit()
    return version


@pytest.mark.parametrize("leader, expected", [
    (SIAN, [("examiner@wjec-appointees.co.uk", "9521/01"), ("examiner@wjec-appointees.co.uk", "9522/01"),
            ("nomfa@wjec-appointees.co.uk", "4370/01")]),
    (DAFYDD, [("examiner@wjec-appointees.co.uk", "9521/01"), ("examiner@wjec-appointees.co.uk", "9522/01"),
              ("nomfa@wjec-appointees.co.uk", "4370/01"), ("manygroups@wjec-appointees.co.uk", "4370/02")]),
    (ELERI, []),
    (MORGAN, []),
])
def test_a_leader_sees_the_examiners_they_lead_directly_or_through_a_team_leader(seeded, leader, expected):
    found = [(p.email, p.component_label.rsplit("(", 1)[1][:-1]) for p in team_progress(seeded, leader, False, NOW)]
    assert sorted(found) == sorted(expected)


def test_all_teams_shows_every_examiner_and_nothing_else(seeded):
    assert len(team_progress(seeded, ADMIN, True, NOW)) == 4
    assert team_progress(seeded, ADMIN, False, NOW) == []


def test_an_allocation_outside_the_leaders_view_is_not_found(seeded):
    eleri = allocation_of(seeded, ELERI, "9521/01")
    assert overseen_allocation(seeded, SIAN, False, eleri).id == eleri
    gwens = allocation_of(seeded, GWEN, "4370/02")
    for leader, allocation_id in [(SIAN, gwens), (NIA, eleri), (SIAN, "abc"), (SIAN, 99999)]:
        with pytest.raises(NotFound):
            overseen_allocation(seeded, leader, False, allocation_id)


def test_progress_counts_allocation_entered_submitted_and_the_last_save_from_the_audit(seeded):
    latin = allocation_of(seeded, ELERI, "9522/01")
    mark_and_submit(seeded, latin, ELERI, "68001")
    (row,) = [p for p in team_progress(seeded, SIAN, False, NOW) if p.allocation_id == latin]
    assert (row.centres, row.total, row.entered, row.submitted) == (2, 24, 14, 14)
    assert row.percent_entered == 58 and row.last_saved_at is not None and not row.overdue
    assert abs(row.last_saved_at - history(seeded, "entry", load_mark_sheet(
        seeded, latin, ELERI).rows[0].entry_id)[-1].at.replace(tzinfo=UTC)) < timedelta(seconds=1)


def test_the_drill_down_is_the_members_sheet_to_read(seeded):
    latin = allocation_of(seeded, ELERI, "9522/01")
    sheet = overseen_sheet(seeded, DAFYDD, False, latin, NOW)
    assert sheet.email == "examiner@wjec-appointees.co.uk" and len(sheet.rows) == 24


def test_after_the_deadline_saves_and_submissions_are_refused_until_an_extension(seeded):
    latin = allocation_of(seeded, ELERI, "9522/01")
    due = NOW - timedelta(hours=1)
    set_marks_due(seeded, "JAN17", "9522/01", due, ADMIN, CTX)
    seeded.commit()
    sheet = load_mark_sheet(seeded, latin, ELERI, now=NOW)
    assert sheet.deadline_passed and sheet.read_only
    (line,) = [c for c in list_examiner_components(seeded, ELERI, now=NOW) if c.allocation_id == latin]
    assert line.overdue and line.deadline.due_at == due
    first = sheet.rows[0].entry_id
    with pytest.raises(DeadlinePassed):
        save_marks(seeded, latin, ELERI, {first: "3"}, sheet.version, CTX, now=NOW)
    with pytest.raises(DeadlinePassed):
        submit_centre(seeded, latin, ELERI, "68001", sheet.version, CTX, now=NOW)
    seeded.rollback()

    allocation = overseen_allocation(seeded, DAFYDD, False, latin)
    deadline = grant_extension(seeded, allocation, DAFYDD, NOW + timedelta(days=2), "Scripts arrived late",
                               NOW, CTX)
    seeded.commit()
    assert deadline.extended and deadline.due_at == NOW + timedelta(days=2) and deadline.set_due_at == due
    mark_and_submit(seeded, latin, ELERI, "68001")
    assert [a.new_value for a in history(seeded, "allocation", latin)][:2] == ["2017-02-03 12:00",
                                                                               "Scripts arrived late"]


@pytest.mark.parametrize("until, reason, message", [
    (NOW - timedelta(minutes=1), "late", "must end in the future"),
    (NOW + timedelta(days=1), "  ", "Give a reason"),
    (NOW + timedelta(days=1), "x" * 501, "longer than 500"),
    (datetime(2017, 2, 5, tzinfo=UTC), "late", "after the deadline of 2017-02-10 17:00"),
])
def test_an_extension_needs_a_reason_and_a_later_time(seeded, until, reason, message):
    set_marks_due(seeded, "JAN17", None, datetime(2017, 2, 10, 17, tzinfo=UTC), ADMIN, CTX)
    allocation = overseen_allocation(seeded, DAFYDD, False, allocation_of(seeded, ELERI, "9522/01"))
    with pytest.raises(InvalidRequest) as refused:
        grant_extension(seeded, allocation, DAFYDD, until, reason, NOW, CTX)
    assert message in str(refused.value.message)


def test_there_is_no_extension_without_a_deadline(seeded):
    allocation = overseen_allocation(seeded, DAFYDD, False, allocation_of(seeded, ELERI, "9522/01"))
    with pytest.raises(InvalidRequest) as refused:
        grant_extension(seeded, allocation, DAFYDD, NOW + timedelta(days=1), "late", NOW, CTX)
    assert "no deadline" in str(refused.value.message)


def test_a_components_date_wins_over_its_series_date(seeded):
    set_marks_due(seeded, "JAN17", None, NOW + timedelta(days=9), ADMIN, CTX)
    set_marks_due(seeded, "JAN17", "9521/01", NOW + timedelta(days=3), ADMIN, CTX)
    dues = {c.component_code: c.deadline.due_at for c in list_examiner_components(seeded, ELERI, now=NOW)}
    assert dues == {"9521/01": NOW + timedelta(days=3), "9522/01": NOW + timedelta(days=9)}
    with pytest.raises(LookupError):
        set_marks_due(seeded, "JAN17", "0000/00", None, ADMIN, CTX)


def test_reopening_a_centre_needs_a_reason_is_audited_and_tells_the_examiner(seeded):
    latin = allocation_of(seeded, ELERI, "9522/01")
    mark_and_submit(seeded, latin, ELERI, "68001")
    allocation = overseen_allocation(seeded, DAFYDD, False, latin)
    with pytest.raises(InvalidRequest):
        reopen_centre(seeded, allocation, DAFYDD, "68001", "", NOW, CTX)
    with pytest.raises(InvalidRequest):
        reopen_centre(seeded, allocation, DAFYDD, "68002", "not submitted yet", NOW, CTX)
    reopen_centre(seeded, allocation, DAFYDD, "68001", "Candidate 0003 was mis-added", NOW, CTX)
    seeded.commit()
    (line,) = [c for c in list_examiner_components(seeded, ELERI, now=NOW) if c.allocation_id == latin]
    assert [(r.number, r.reason) for r in line.reopened] == [("68001", "Candidate 0003 was mis-added")]
    assert line.submitted == 0
    audit = [(a.actor_object_id, a.field, a.new_value) for a in history(seeded, "allocation", latin)][-2:]
    assert audit == [(DAFYDD.oid, "centre:68001", "reopened"), (DAFYDD.oid, "reopen:68001",
                                                                "Candidate 0003 was mis-added")]
    mark_and_submit(seeded, latin, ELERI, "68001")  # corrected and submitted again
    (line,) = [c for c in list_examiner_components(seeded, ELERI, now=NOW) if c.allocation_id == latin]
    assert line.reopened == () and line.submitted == 14


def test_exports_write_changed_marks_once_and_block_reopening_until_reissued(seeded):
    latin = allocation_of(seeded, ELERI, "9522/01")
    mark_and_submit(seeded, latin, ELERI, "68001")
    first = marks_to_export(seeded)
    assert len(first) == 14 and {m.centre_number for m in first} == {"68001"}
    batch = record_export(seeded, first, scope="all", everything=False, operator="ops", now=NOW)
    seeded.commit()
    assert marks_to_export(seeded) == []
    assert len(marks_to_export(seeded, everything=True)) == 14
    assert {m.batch_id for m in marks_to_export(seeded, everything=True)} == {batch}

    allocation = overseen_allocation(seeded, DAFYDD, False, latin)
    with pytest.raises(CentreExported) as exported:
        reopen_centre(seeded, allocation, DAFYDD, "68001", "late correction", NOW, CTX)
    assert exported.value.batch_id == batch
    seeded.rollback()
    assert reissue_centre(seeded, "JAN17", "9522/01", "68001", "correction agreed", operator="ops", now=NOW) == 14
    reopen_centre(seeded, allocation, DAFYDD, "68001", "late correction", NOW, CTX)
    seeded.commit()
    assert marks_to_export(seeded) == []  # reopened: nothing of it goes out while it is open
    mark_and_submit(seeded, latin, ELERI, "68001")
    again = marks_to_export(seeded)
    assert len(again) == 14 and all(m.batch_id is None for m in again)


def test_the_api_feed_pages_by_submission_time_and_honours_since(seeded):
    latin = allocation_of(seeded, ELERI, "9522/01")
    mark_and_submit(seeded, latin, ELERI, "68001", now=NOW)
    mark_and_submit(seeded, latin, ELERI, "68002", now=NOW + timedelta(minutes=5))
    pages, after = [], None
    while True:
        page = marks_page(seeded, series_code="JAN17", component_code=None, since=None, after=after, limit=5)
        if not page:
            break
        pages.append(page)
        after = (page[-1].submitted_at, page[-1].entry_id)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 4]
    seen = [m.entry_id for p in pages for m in p]
    assert len(set(seen)) == 24
    later = marks_page(seeded, series_code="JAN17", component_code="9522/01", since=NOW, after=None, limit=100)
    assert {m.centre_number for m in later} == {"68002"}
