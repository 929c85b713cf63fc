"""EMI services: the examiner's list, the sheet, validated all-or-nothing saves, concurrency and submission."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal_app.data.audit import AuditContext, history
from portal_app.data.errors import IncompleteSheet, InvalidMarks, NotFound, SheetLocked, StaleSheet
from portal_app.data.marks import list_examiner_components, load_mark_sheet, save_marks, submit_sheet
from portal_app.data.models import AuditLog, Mark
from tests.data.builders import ELERI, MALLORY, MORGAN, make_sheet

CTX = AuditContext(session_ref="sess-1", request_id="req-1")


def entry_ids(session, allocation_id):
    return [row.entry_id for row in load_mark_sheet(session, allocation_id, ELERI).rows]


def test_sheet_lists_the_allocations_candidates_in_order(session):
    allocation_id = make_sheet(session, 3)
    sheet = load_mark_sheet(session, allocation_id, ELERI)
    assert [row.candidate_number for row in sheet.rows] == ["0001", "0002", "0003"]
    assert sheet.max_mark == 60 and sheet.status_codes == {"A": "Absent"}
    assert sheet.label == "GCSE JANUARY 2017 LATIN LANGUAGE CORE: LEVEL 2 (9521/01)"
    assert not sheet.read_only and sheet.version == 0


@pytest.mark.parametrize("who", [MORGAN, MALLORY], ids=["same-tenant", "other-tenant"])
def test_another_appointees_sheet_is_not_found(session, who):
    allocation_id = make_sheet(session, 2)
    with pytest.raises(NotFound) as missing:
        load_mark_sheet(session, allocation_id, who)
    with pytest.raises(NotFound) as foreign:
        load_mark_sheet(session, 999_999, who)
    assert missing.value.description == foreign.value.description
    with pytest.raises(NotFound):
        save_marks(session, allocation_id, who, {}, 0, CTX)


@pytest.mark.parametrize("bad_id", ["abc", "1.0", None, True, "", "١"])
def test_malformed_allocation_id_is_not_found(session, bad_id):
    make_sheet(session, 1)
    with pytest.raises(NotFound):
        load_mark_sheet(session, bad_id, ELERI)


def test_save_writes_marks_codes_and_one_audit_row_per_change(session):
    allocation_id = make_sheet(session, 3)
    first, second, third = entry_ids(session, allocation_id)
    result = save_marks(session, allocation_id, ELERI, {first: "42", second: "a", third: ""}, 0, CTX)
    session.commit()
    assert (result.version, result.changed) == (1, 2)
    values = [row.value.display for row in load_mark_sheet(session, allocation_id, ELERI).rows]
    assert values == ["42", "A", ""]
    audit = history(session, "entry", first)
    assert [(a.old_value, a.new_value, a.actor_object_id, a.session_ref, a.request_id) for a in audit] == [
        (None, "42", ELERI.oid, "sess-1", "req-1")
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("61", "more than the maximum mark of 60"),
        ("-1", "cannot be negative"),
        ("12.5", "whole numbers"),
        ("X", "a whole number from 0 to 60, or A (absent)"),
        ("²", "a whole number from 0 to 60"),
        ("9" * 40, "too long"),
    ],
)
def test_any_invalid_value_writes_nothing(session, raw, message):
    allocation_id = make_sheet(session, 2)
    good, bad = entry_ids(session, allocation_id)
    with pytest.raises(InvalidMarks) as refused:
        save_marks(session, allocation_id, ELERI, {good: "10", bad: raw}, 0, CTX)
    assert list(refused.value.errors) == [bad]
    assert message in refused.value.errors[bad]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Mark).where(Mark.examiner_mark.is_not(None))) == 0
    assert session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_entry_of_another_sheet_is_refused_like_a_bad_value(session):
    mine = make_sheet(session, 1)
    theirs = make_sheet(session, 1, owner=MORGAN, code="9522/01")
    foreign_entry = load_mark_sheet(session, theirs, MORGAN).rows[0].entry_id
    with pytest.raises(InvalidMarks) as refused:
        save_marks(session, mine, ELERI, {foreign_entry: "5"}, 0, CTX)
    assert refused.value.errors == {str(foreign_entry): "This candidate is not on your mark sheet."}


def test_stale_save_names_the_conflicting_fields_and_overwrites_nothing(session):
    allocation_id = make_sheet(session, 3)
    first, second, _ = entry_ids(session, allocation_id)
    save_marks(session, allocation_id, ELERI, {first: "30"}, 0, CTX)  # tab one
    session.commit()
    with pytest.raises(StaleSheet) as stale:
        save_marks(session, allocation_id, ELERI, {first: "31", second: "5"}, 0, CTX)  # tab two, from v0
    assert stale.value.current_version == 1
    assert stale.value.conflicts == {first: "30"}
    session.rollback()
    assert [r.value.display for r in load_mark_sheet(session, allocation_id, ELERI).rows][:2] == ["30", ""]


def test_concurrent_saves_from_two_sessions_let_only_one_win(engine, session):
    from sqlalchemy.orm import Session

    allocation_id = make_sheet(session, 2)
    first, second = entry_ids(session, allocation_id)
    session.commit()
    with Session(engine) as tab_one, Session(engine) as tab_two:
        save_marks(tab_one, allocation_id, ELERI, {first: "1"}, 0, CTX)
        tab_one.commit()
        with pytest.raises(StaleSheet):
            save_marks(tab_two, allocation_id, ELERI, {second: "2"}, 0, CTX)


def test_unchanged_values_do_not_bump_the_version(session):
    allocation_id = make_sheet(session, 1)
    (only,) = entry_ids(session, allocation_id)
    assert save_marks(session, allocation_id, ELERI, {only: ""}, 0, CTX).version == 0


def test_submit_needs_every_candidate_then_locks_the_sheet(session):
    allocation_id = make_sheet(session, 2)
    first, second = entry_ids(session, allocation_id)
    save_marks(session, allocation_id, ELERI, {first: "12"}, 0, CTX)
    with pytest.raises(IncompleteSheet) as incomplete:
        submit_sheet(session, allocation_id, ELERI, 1, CTX)
    assert incomplete.value.missing == [second]
    save_marks(session, allocation_id, ELERI, {second: "A"}, 1, CTX)
    assert submit_sheet(session, allocation_id, ELERI, 2, CTX) == 3
    session.commit()
    assert load_mark_sheet(session, allocation_id, ELERI).read_only
    with pytest.raises(SheetLocked):
        save_marks(session, allocation_id, ELERI, {first: "13"}, 3, CTX)
    with pytest.raises(SheetLocked):
        submit_sheet(session, allocation_id, ELERI, 3, CTX)


def test_list_counts_entered_left_and_submitted(session):
    allocation_id = make_sheet(session, 3)
    make_sheet(session, 2, owner=MORGAN, code="9522/01")
    first, *_ = entry_ids(session, allocation_id)
    save_marks(session, allocation_id, ELERI, {first: "7"}, 0, CTX)
    (line,) = list_examiner_components(session, ELERI)
    assert (line.total, line.entered, line.left, line.submitted) == (3, 1, 2, 0)
    assert line.enter_label == "ENTER MARKS (2 LEFT)"
    assert line.submit_label == "NO MARKS TO SUBMIT (0 SUBMITTED)"
