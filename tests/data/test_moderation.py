"""IAMIS on the demo data: the guide's table, sample review, moderated marks, centre reports, View Team."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from portal_app.data.audit import Appointee, AuditContext, history
from portal_app.data.errors import DataError, IncompleteSheet, InvalidMarks, NotFound, SheetLocked, StaleSheet
from portal_app.data.marks import load_mark_sheet
from portal_app.data.models import Mark
from portal_app.data.moderation import (
    complete_centre_report,
    load_centre_sample,
    moderator_components,
    save_moderated_marks,
)
from portal_app.data.seed import seed_demo
from portal_app.data.teams import team_progress
from tests.data.builders import ELERI, MORGAN, TENANT

TOMOS = Appointee(TENANT, "33333333-3333-4333-8333-333333333333")
PAT = Appointee(TENANT, "44444444-4444-4444-8444-444444444444")
CTX = AuditContext("sess-m", "req-m")


@pytest.fixture
def seeded(session):
    seed_demo(session)
    session.commit()
    return session


def morgans(session):
    (row,) = moderator_components(session, MORGAN)
    return row


def test_moderator_table_matches_the_seed_guide(seeded):
    row = morgans(seeded)
    assert row.label == "GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)"
    assert (row.total_centres, row.total_sample_cands, row.total_reports_completed) == (6, 74, 0)
    assert row.review_label == "REVIEW MARKS(74) REMAINING"
    assert (row.total_entered, row.total_cf_abs, row.total_with_new_marks) == (506, 0, 506)


def test_review_saves_moderated_marks_beside_centre_marks_and_completes_the_report(seeded):
    row = morgans(seeded)
    sample = load_centre_sample(seeded, row.allocation_id, MORGAN, "68101")
    assert len(sample.rows) == 12 and all(r.centre_value.mark is not None for r in sample.rows)
    with pytest.raises(IncompleteSheet):
        complete_centre_report(seeded, row.allocation_id, MORGAN, "68101", sample.version, CTX)
    values = {r.entry_id: str(r.centre_value.mark) for r in sample.rows}
    version = save_moderated_marks(seeded, row.allocation_id, MORGAN, "68101", values, sample.version, CTX)
    complete_centre_report(seeded, row.allocation_id, MORGAN, "68101", version, CTX)
    seeded.commit()
    after = morgans(seeded)
    assert (after.total_reports_completed, after.review_remaining) == (1, 62)
    assert history(seeded, "entry", sample.rows[0].entry_id)[0].field == "moderated_mark"
    with pytest.raises(SheetLocked):
        save_moderated_marks(seeded, row.allocation_id, MORGAN, "68101", values, version + 1, CTX)


@pytest.mark.parametrize("raw", ["81", "A", "-2", "1.5"])
def test_moderated_mark_must_be_a_whole_number_within_the_maximum(seeded, raw):
    row = morgans(seeded)
    sample = load_centre_sample(seeded, row.allocation_id, MORGAN, "68101")
    with pytest.raises(InvalidMarks) as refused:
        save_moderated_marks(seeded, row.allocation_id, MORGAN, "68101", {sample.rows[0].entry_id: raw}, 0, CTX)
    assert "0 to 80" in refused.value.errors[sample.rows[0].entry_id] or "maximum" in str(refused.value.errors)


def test_stale_moderation_save_is_refused(seeded):
    row = morgans(seeded)
    first = load_centre_sample(seeded, row.allocation_id, MORGAN, "68101").rows[0].entry_id
    save_moderated_marks(seeded, row.allocation_id, MORGAN, "68101", {first: "10"}, 0, CTX)
    with pytest.raises(StaleSheet) as stale:
        save_moderated_marks(seeded, row.allocation_id, MORGAN, "68101", {first: "11"}, 0, CTX)
    assert stale.value.conflicts == {first: 10}


@pytest.mark.parametrize("centre", ["68107", "00000", "68101' OR 1=1"])
def test_centre_not_on_the_allocation_is_not_found(seeded, centre):
    row = morgans(seeded)
    with pytest.raises(NotFound):
        load_centre_sample(seeded, row.allocation_id, MORGAN, centre)


def test_examiner_cannot_open_a_moderator_allocation_nor_the_reverse(seeded):
    row = morgans(seeded)
    with pytest.raises(NotFound):
        load_centre_sample(seeded, row.allocation_id, ELERI, "68101")
    with pytest.raises(NotFound):
        load_mark_sheet(seeded, row.allocation_id, MORGAN)


def test_principal_sees_team_leader_and_moderator_progress(seeded):
    progress = team_progress(seeded, PAT)
    assert {(p.email, p.leader) for p in progress} == {
        ("teamleader@wjec-appointees.co.uk", PAT),
        ("moderator@wjec-appointees.co.uk", TOMOS),
    }
    morgan = next(p for p in progress if p.member == MORGAN)
    assert (morgan.sample_cands, morgan.review_remaining, morgan.entered) == (74, 74, 506)


def test_team_leader_sees_members_but_cannot_open_their_sample(seeded):
    assert [p.member for p in team_progress(seeded, TOMOS)] == [MORGAN]
    assert team_progress(seeded, MORGAN) == []
    with pytest.raises(NotFound):
        load_centre_sample(seeded, morgans(seeded).allocation_id, TOMOS, "68101")


# --- a sampled entry without a centre mark (issue 13: it was a 500) -----------------------------------------


def _without_centre_mark(session, entry_id: int, *, row: bool) -> None:
    """The centre never sent a mark for ``entry_id``: no Mark row at all, or one with neither mark nor code."""
    if row:
        session.execute(update(Mark).where(Mark.entry_id == entry_id).values(examiner_mark=None, status_code=None))
    else:
        session.execute(delete(Mark).where(Mark.entry_id == entry_id))


@pytest.mark.parametrize("row", [False, True], ids=["no-mark-row", "empty-mark-row"])
def test_a_moderated_mark_for_a_candidate_without_a_centre_mark_is_refused_clearly(seeded, row):
    allocation = morgans(seeded).allocation_id
    sample = load_centre_sample(seeded, allocation, MORGAN, "68101")
    entry = sample.rows[0].entry_id
    _without_centre_mark(seeded, entry, row=row)
    seeded.commit()

    with pytest.raises(InvalidMarks) as refused:
        save_moderated_marks(seeded, allocation, MORGAN, "68101", {entry: "5"}, sample.version, CTX)

    assert "not sent a mark" in str(refused.value.errors[entry])
    # An empty field for it (every form posts one) is no change, so the rest of the sample still saves.
    others = {r.entry_id: str(r.centre_value.mark) for r in sample.rows[1:]}
    assert save_moderated_marks(seeded, allocation, MORGAN, "68101", {entry: "", **others}, sample.version, CTX)


FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
VALUES = st.one_of(st.sampled_from(["", " ", "0", "5", "60", "61", "-1", "A", "x", "1e1", "٣"]),
                   st.text(max_size=8), st.integers(-10, 100).map(str))


@FUZZ
@given(data=st.data())
def test_saving_moderated_marks_only_ever_refuses_with_a_data_error(seeded, data):
    # Which sampled candidates lack a centre mark, and what is posted for whom, drawn at random: the fuzz case
    # that would have found the KeyError (a 500) above.
    allocation = morgans(seeded).allocation_id
    sample = load_centre_sample(seeded, allocation, MORGAN, "68101")
    entries = [r.entry_id for r in sample.rows]
    savepoint = seeded.begin_nested()
    try:
        for entry in data.draw(st.lists(st.sampled_from(entries), unique=True, max_size=4)):
            _without_centre_mark(seeded, entry, row=data.draw(st.booleans()))
        chosen = data.draw(st.lists(st.one_of(st.sampled_from(entries), st.integers(-3, 10**6)), unique=True,
                                    max_size=6))
        values = {entry: data.draw(VALUES) for entry in chosen}
        try:
            save_moderated_marks(seeded, allocation, MORGAN, "68101", values, sample.version, CTX)
        except DataError:
            pass
    finally:
        savepoint.rollback()
