"""IAMIS services on the demo data: the seed guide's table, a centre's sample and report, the work-not-received
code, submission, and read-only once submitted (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from portal_app.data.audit import Appointee, AuditContext, history
from portal_app.data.errors import DataError, InvalidMarks, NotFound, StaleSheet
from portal_app.data.marks import load_mark_sheet
from portal_app.data.models import Mark
from portal_app.data.moderation import centre_listing, moderator_components
from portal_app.data.moderation_centre import moderator_centre
from portal_app.data.moderation_errors import IncompleteReport, ReportLocked
from portal_app.data.moderation_marks import CentreForm, save_centre
from portal_app.data.moderation_reports import submit_report
from portal_app.data.moderation_rules import ModerationRules
from portal_app.data.seed import seed_demo
from tests.data.builders import ELERI, MORGAN, TENANT

TOMOS = Appointee(TENANT, "33333333-3333-4333-8333-333333333333")
PAT = Appointee(TENANT, "44444444-4444-4444-8444-444444444444")
CTX = AuditContext("sess-m", "req-m")
RULES = ModerationRules.load()
REPORT = {"judgement": "severe", "rank_order": "does_not_hold", "assessment_comment": "Rhy llym.\r\nAil linell"}


@pytest.fixture
def seeded(session):
    seed_demo(session)
    session.commit()
    return session


def morgans(session):
    (row,) = moderator_components(session, MORGAN)
    return row


def save(session, form: CentreForm, version: int, centre: str = "68101") -> int:
    return save_centre(session, morgans(session).allocation_id, MORGAN, centre, form, version, CTX, RULES, "NR")


def all_marks(view, value: str = "40") -> dict[str, str]:
    return {str(row.entry_id): value for row in view.active_rows}


def test_moderator_table_matches_the_seed_guide(seeded):
    row = morgans(seeded)
    assert row.label == "GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)"
    assert (row.total_centres, row.total_sample_cands, row.total_reports_completed) == (6, 74, 0)
    assert row.review_label == "REVIEW MARKS(74) REMAINING"
    assert (row.total_entered, row.total_cf_abs, row.total_with_new_marks) == (506, 0, 506)


def test_centre_marks_and_codes_are_counted_from_the_centre_columns(seeded):
    (tomos,) = moderator_components(seeded, TOMOS)
    assert (tomos.total_entered, tomos.total_cf_abs, tomos.total_with_new_marks) == (84, 2, 82)


def test_saving_marks_work_and_report_then_submitting_counts_the_report(seeded):
    view = moderator_centre(seeded, morgans(seeded).allocation_id, MORGAN, "68101")
    assert len(view.rows) == 12 and view.report.status == "draft" and view.version == 0
    with pytest.raises(IncompleteReport) as refused:
        submit_report(seeded, view.allocation_id, MORGAN, "68101", 0, CTX, RULES)
    assert len(refused.value.missing) == 12 and set(refused.value.missing_fields) == {
        "judgement", "rank_order", "assessment_comment"}
    version = save(seeded, CentreForm(marks=all_marks(view), report=REPORT), 0)
    submit_report(seeded, view.allocation_id, MORGAN, "68101", version, CTX, RULES)
    seeded.commit()
    after = morgans(seeded)
    assert (after.total_reports_completed, after.review_remaining) == (1, 62)
    report = moderator_centre(seeded, view.allocation_id, MORGAN, "68101").report
    assert report.status == "submitted" and report.assessment_comment == "Rhy llym.\nAil linell"
    assert history(seeded, "entry", view.rows[0].entry_id)[0].field == "moderated_mark"
    assert [line.status for line in centre_listing(seeded, view.allocation_id)][:2] == ["submitted", "draft"]
    with pytest.raises(ReportLocked):
        save(seeded, CentreForm(marks=all_marks(view, "41")), version + 1)


def test_a_sample_row_whose_work_did_not_arrive_takes_the_code_and_the_report_can_be_submitted(seeded):
    view = moderator_centre(seeded, morgans(seeded).allocation_id, MORGAN, "68101")
    first = str(view.rows[0].entry_id)
    with pytest.raises(InvalidMarks) as refused:
        save(seeded, CentreForm(marks={**all_marks(view), first: "NR"}), 0)
    assert "only for work that was not received" in refused.value.errors[int(first)]
    version = save(seeded, CentreForm(marks={**all_marks(view), first: "nr"}, work={first: "incomplete"},
                                      report=REPORT), 0)
    submit_report(seeded, view.allocation_id, MORGAN, "68101", version, CTX, RULES)
    row = moderator_centre(seeded, view.allocation_id, MORGAN, "68101").rows[0]
    assert (row.moderated.code, row.work, row.difference) == ("NR", "incomplete", None)


@pytest.mark.parametrize("raw", ["81", "A", "-2", "1.5", "CF"])
def test_moderated_mark_must_be_a_whole_number_within_the_maximum(seeded, raw):
    view = moderator_centre(seeded, morgans(seeded).allocation_id, MORGAN, "68101")
    with pytest.raises(InvalidMarks) as refused:
        save(seeded, CentreForm(marks={str(view.rows[0].entry_id): raw}), 0)
    assert view.rows[0].entry_id in refused.value.errors


def test_differences_and_tolerance_summary(seeded):
    view = moderator_centre(seeded, morgans(seeded).allocation_id, MORGAN, "68101")
    marks = {str(row.entry_id): str(row.centre_value.mark) for row in view.rows}
    low, high = view.rows[0], view.rows[1]
    marks[str(low.entry_id)] = str(low.centre_value.mark - 6) if low.centre_value.mark >= 6 else "0"
    marks[str(high.entry_id)] = str(min(80, high.centre_value.mark + 2))
    save(seeded, CentreForm(marks=marks), 0)
    view = moderator_centre(seeded, view.allocation_id, MORGAN, "68101")
    summary = view.summary
    assert summary.compared == 12 and summary.within == 11 and summary.largest == view.rows[0].difference
    assert view.outside_tolerance(view.rows[0]) and not view.outside_tolerance(view.rows[2])
    assert summary.mean == pytest.approx(sum(r.difference for r in view.rows) / 12)


def test_stale_save_is_refused_with_the_conflicting_mark(seeded):
    view = moderator_centre(seeded, morgans(seeded).allocation_id, MORGAN, "68101")
    first = view.rows[0].entry_id
    save(seeded, CentreForm(marks={str(first): "10"}), 0)
    with pytest.raises(StaleSheet) as stale:
        save(seeded, CentreForm(marks={str(first): "11"}), 0)
    assert stale.value.conflicts == {first: "10"}


def test_a_centres_version_is_its_own(seeded):
    view = moderator_centre(seeded, morgans(seeded).allocation_id, MORGAN, "68101")
    save(seeded, CentreForm(marks={str(view.rows[0].entry_id): "10"}), 0)
    other = moderator_centre(seeded, view.allocation_id, MORGAN, "68102")
    assert save(seeded, CentreForm(marks={str(other.rows[0].entry_id): "10"}), 0, centre="68102") == 1


@pytest.mark.parametrize("centre", ["68107", "00000", "68101' OR 1=1", "x" * 40])
def test_centre_not_on_the_allocation_is_not_found(seeded, centre):
    with pytest.raises(NotFound):
        moderator_centre(seeded, morgans(seeded).allocation_id, MORGAN, centre)


def test_examiner_cannot_open_a_moderator_allocation_nor_the_reverse(seeded):
    row = morgans(seeded)
    with pytest.raises(NotFound):
        moderator_centre(seeded, row.allocation_id, ELERI, "68101")
    with pytest.raises(NotFound):
        load_mark_sheet(seeded, row.allocation_id, MORGAN)
    with pytest.raises(NotFound):
        moderator_centre(seeded, row.allocation_id, TOMOS, "68101")  # a leader reviews, never enters marks


# --- a sampled candidate the centre sent no mark for (issue 13's review: it was a 500) --------------------------


def _without_centre_mark(session, entry_id: int, *, row: bool) -> None:
    """The centre never sent a mark for ``entry_id``: no Mark row at all, or one with neither mark nor code."""
    if row:
        session.execute(update(Mark).where(Mark.entry_id == entry_id).values(centre_mark=None, centre_code=None))
    else:
        session.execute(delete(Mark).where(Mark.entry_id == entry_id))


@pytest.mark.parametrize("row", [False, True], ids=["no-mark-row", "empty-mark-row"])
def test_a_moderated_mark_for_a_candidate_without_a_centre_mark_never_fails_unexpectedly(seeded, row):
    view = moderator_centre(seeded, morgans(seeded).allocation_id, MORGAN, "68101")
    entry = view.rows[0].entry_id
    _without_centre_mark(seeded, entry, row=row)
    seeded.commit()
    view = moderator_centre(seeded, view.allocation_id, MORGAN, "68101")
    try:
        save(seeded, CentreForm(marks=all_marks(view, "5")), view.version)
    except DataError as refused:  # a clear refusal is fine; anything else would be a 500
        assert refused.status_code < 500


FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
VALUES = st.one_of(st.sampled_from(["", " ", "0", "5", "80", "81", "-1", "A", "NR", "x", "1e1", "٣"]),
                   st.text(max_size=8), st.integers(-10, 100).map(str))


@FUZZ
@given(data=st.data())
def test_saving_a_centre_only_ever_refuses_with_a_data_error(seeded, data):
    """Which sampled candidates lack a centre mark, and what is posted for whom, drawn at random."""
    view = moderator_centre(seeded, morgans(seeded).allocation_id, MORGAN, "68101")
    entries = [row.entry_id for row in view.rows]
    savepoint = seeded.begin_nested()
    try:
        for entry in data.draw(st.lists(st.sampled_from(entries), unique=True, max_size=4)):
            _without_centre_mark(seeded, entry, row=data.draw(st.booleans()))
        chosen = data.draw(st.lists(st.one_of(st.sampled_from(entries), st.integers(-3, 10**6)), unique=True,
                                    max_size=6))
        marks = {str(entry): data.draw(VALUES) for entry in chosen}
        work = {str(entry): data.draw(st.sampled_from(["received", "not_received", "incomplete", "x", ""]))
                for entry in data.draw(st.lists(st.sampled_from(entries), unique=True, max_size=3))}
        try:
            save(seeded, CentreForm(marks=marks, work=work), view.version)
        except DataError as refused:
            assert refused.status_code < 500
    finally:
        savepoint.rollback()
