"""EMI services: the examiner's list, the sheet by centre, validated all-or-nothing saves, per-entry
compare-and-set, scripts not received, and submission centre by centre."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from portal_app.data.audit import AuditContext, history
from portal_app.data.errors import IncompleteSheet, InvalidMarks, NotFound, SheetLocked, StaleSheet
from portal_app.data.marks import list_examiner_components, load_mark_sheet, save_marks, submit_centre
from portal_app.data.models import Allocation, AuditLog, Mark
from portal_app.data.sheet import Entered
from portal_app.data.validation import ParsedMark
from tests.data.builders import ELERI, MALLORY, MORGAN, make_sheet

CTX = AuditContext(session_ref="sess-1", request_id="req-1")


def entry_ids(session, allocation_id):
    return [row.entry_id for row in load_mark_sheet(session, allocation_id, ELERI).rows]


def centre_numbers(session, allocation_id):
    return [centre.number for centre in load_mark_sheet(session, allocation_id, ELERI).centres]


def test_sheet_groups_the_allocations_candidates_by_centre_in_order(session):
    allocation_id = make_sheet(session, 3, centres=2)
    sheet = load_mark_sheet(session, allocation_id, ELERI)
    first, second = sheet.centres
    assert [row.candidate_number for row in sheet.rows_by_centre[first.number]] == ["0001", "0002", "0003"]
    assert [len(sheet.rows_by_centre[c.number]) for c in sheet.centres] == [3, 3]
    assert (first.total, first.left, first.status, second.status) == (3, 3, "open", "open")
    assert sheet.max_mark == 60 and sheet.status_codes == {"A": "Absent", "NR": "Not received"}
    assert sheet.label == "GCSE JANUARY 2017 LATIN LANGUAGE CORE: LEVEL 2 (9521/01)"
    assert not sheet.read_only and sheet.version == 0 and all(row.received for row in sheet.rows)


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
    with pytest.raises(NotFound):
        submit_centre(session, allocation_id, who, centre_numbers(session, allocation_id)[0], 0, CTX)


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
        ("X", "a whole number from 0 to 60, or A (absent), NR (not received)"),
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
    assert stale.value.conflicts == {first: Entered(ParsedMark(mark=30))}
    session.rollback()
    assert [r.value.display for r in load_mark_sheet(session, allocation_id, ELERI).rows][:2] == ["30", ""]


def test_a_save_from_an_older_version_goes_through_for_entries_nobody_changed_meanwhile(session):
    allocation_id = make_sheet(session, 2)
    first, second = entry_ids(session, allocation_id)
    save_marks(session, allocation_id, ELERI, {first: "1"}, 0, CTX)
    session.commit()
    result = save_marks(session, allocation_id, ELERI, {first: "1", second: "2"}, 0, CTX)
    session.commit()
    assert (result.version, result.changed) == (2, 1)
    assert [r.value.display for r in load_mark_sheet(session, allocation_id, ELERI).rows] == ["1", "2"]


def test_a_write_landing_between_a_saves_read_and_its_write_is_caught_by_the_compare_and_set(engine, session):
    """Tab two has read the sheet when tab one's save commits; tab two's claim on the entry must then fail."""
    allocation_id = make_sheet(session, 2)
    first, _ = entry_ids(session, allocation_id)
    with Session(engine) as tab_one, Session(engine) as tab_two:
        connection, interleaved = tab_two.connection(), []

        def tab_one_saves_first(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("UPDATE ALLOCATION") and not interleaved:
                interleaved.append(statement)
                save_marks(tab_one, allocation_id, ELERI, {first: "11"}, 0, CTX)
                tab_one.commit()

        event.listen(connection, "before_cursor_execute", tab_one_saves_first)
        with pytest.raises(StaleSheet) as stale:
            save_marks(tab_two, allocation_id, ELERI, {first: "22"}, 0, CTX)
        tab_two.rollback()
    assert interleaved, "tab two never reached its write"
    assert stale.value.conflicts == {first: Entered(ParsedMark(mark=11))}
    session.expire_all()
    assert [r.value.display for r in load_mark_sheet(session, allocation_id, ELERI).rows][0] == "11"


def test_unchanged_values_do_not_bump_the_version(session):
    allocation_id = make_sheet(session, 1)
    (only,) = entry_ids(session, allocation_id)
    assert save_marks(session, allocation_id, ELERI, {only: ""}, 0, CTX).version == 0


def test_a_version_the_sheet_never_had_is_stale(session):
    allocation_id = make_sheet(session, 1)
    (only,) = entry_ids(session, allocation_id)
    with pytest.raises(StaleSheet):
        save_marks(session, allocation_id, ELERI, {only: "3"}, 7, CTX)


def test_a_script_not_received_takes_a_not_received_code_but_no_mark(session):
    allocation_id = make_sheet(session, 3)
    first, second, third = entry_ids(session, allocation_id)
    missing = {first: False, second: False, third: False}
    with pytest.raises(InvalidMarks) as refused:
        save_marks(session, allocation_id, ELERI, {first: "12", second: "A", third: "NR"}, 0, CTX, received=missing)
    assert list(refused.value.errors) == [first]
    assert "enter A (absent), NR (not received)" in refused.value.errors[first]
    session.rollback()
    save_marks(session, allocation_id, ELERI, {first: "", second: "A", third: "NR"}, 0, CTX, received=missing)
    session.commit()
    rows = load_mark_sheet(session, allocation_id, ELERI).rows
    assert [(r.value.display, r.received) for r in rows] == [("", False), ("A", False), ("NR", False)]
    assert [a.new_value for a in history(session, "entry", first)] == ["not received"]


def test_which_codes_a_missing_script_may_take_is_configuration(session):
    allocation_id = make_sheet(session, 1)
    (only,) = entry_ids(session, allocation_id)
    with pytest.raises(InvalidMarks):
        save_marks(session, allocation_id, ELERI, {only: "A"}, 0, CTX, received={only: False},
                   not_received_codes=("NR",))


def test_submitting_a_centre_needs_each_of_its_candidates_then_locks_only_that_centre(session):
    allocation_id = make_sheet(session, 2, centres=2)
    one, two = centre_numbers(session, allocation_id)
    a, b, c, d = entry_ids(session, allocation_id)
    save_marks(session, allocation_id, ELERI, {a: "12", c: "5"}, 0, CTX)
    with pytest.raises(IncompleteSheet) as incomplete:
        submit_centre(session, allocation_id, ELERI, one, 1, CTX)
    assert incomplete.value.missing == [b]
    session.rollback()
    save_marks(session, allocation_id, ELERI, {a: "12", b: "A", c: "5"}, 0, CTX)
    version = submit_centre(session, allocation_id, ELERI, one, 1, CTX)
    session.commit()
    sheet = load_mark_sheet(session, allocation_id, ELERI)
    assert [centre.status for centre in sheet.centres] == ["submitted", "open"]
    assert [row.locked for row in sheet.rows] == [True, True, False, False]
    with pytest.raises(InvalidMarks) as locked:
        save_marks(session, allocation_id, ELERI, {a: "13", d: "9"}, version, CTX)
    assert list(locked.value.errors) == [a] and "has been submitted" in locked.value.errors[a]
    session.rollback()
    # The submitted centre's unchanged values, posted with the rest, are no obstacle.
    assert save_marks(session, allocation_id, ELERI, {a: "12", d: "9"}, version, CTX).changed == 1
    with pytest.raises(SheetLocked):
        submit_centre(session, allocation_id, ELERI, one, version + 1, CTX)
    assert session.get(Allocation, allocation_id).status == "draft"


def test_submitting_every_centre_makes_the_sheet_read_only_and_the_allocation_submitted(session):
    allocation_id = make_sheet(session, 1, centres=2)
    one, two = centre_numbers(session, allocation_id)
    a, b = entry_ids(session, allocation_id)
    version = save_marks(session, allocation_id, ELERI, {a: "1", b: "2"}, 0, CTX).version
    version = submit_centre(session, allocation_id, ELERI, one, version, CTX)
    submit_centre(session, allocation_id, ELERI, two, version, CTX)
    session.commit()
    assert load_mark_sheet(session, allocation_id, ELERI).read_only
    assert session.get(Allocation, allocation_id).status == "submitted"
    assert [a.field for a in history(session, "allocation", allocation_id)] == [f"centre:{one}", f"centre:{two}"]


def test_a_centre_whose_marks_changed_after_the_version_seen_is_not_submitted(session):
    allocation_id = make_sheet(session, 1)
    (only,) = entry_ids(session, allocation_id)
    save_marks(session, allocation_id, ELERI, {only: "4"}, 0, CTX)
    with pytest.raises(StaleSheet):
        submit_centre(session, allocation_id, ELERI, centre_numbers(session, allocation_id)[0], 0, CTX)


@pytest.mark.parametrize("centre", ["99999", "", "x" * 40, None])
def test_a_centre_not_on_the_sheet_cannot_be_submitted(session, centre):
    allocation_id = make_sheet(session, 1)
    with pytest.raises(NotFound):
        submit_centre(session, allocation_id, ELERI, centre, 0, CTX)


def test_list_counts_entered_left_to_submit_and_submitted(session):
    allocation_id = make_sheet(session, 2, centres=2)
    make_sheet(session, 2, owner=MORGAN, code="9522/01")
    one, _ = centre_numbers(session, allocation_id)
    a, b, c, _ = entry_ids(session, allocation_id)
    version = save_marks(session, allocation_id, ELERI, {a: "7", b: "A", c: "3"}, 0, CTX).version
    submit_centre(session, allocation_id, ELERI, one, version, CTX)
    (line,) = list_examiner_components(session, ELERI)
    assert (line.total, line.entered, line.left, line.to_submit, line.submitted) == (4, 3, 1, 1, 2)
    assert line.enter_label == "ENTER MARKS (1 LEFT)"
    assert line.submit_label == "SUBMIT MARKS (1) (2 SUBMITTED)"
