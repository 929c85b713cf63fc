"""Centre marks apart from examiner marks: assessment types, role checks, codes, re-imports (audited until
moderation begins, refused after), and files written before the new columns existed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal_app.data.audit import Appointee, AuditContext
from portal_app.data.models import AuditLog, Candidate, Component, Entry, Mark
from portal_app.data.moderation import moderator_components
from portal_app.data.moderation_centre import moderator_centre
from portal_app.data.moderation_marks import CentreForm, save_centre
from portal_app.data.moderation_reports import submit_report
from tests.data.import_files import (
    COMPONENT_HEADER,
    GOOD_SAMPLE,
    MARKS,
    MORGAN,
    TENANT,
    TOMOS,
    allocations_csv,
    basics,
    components_csv,
    entries_csv,
    load,
    samples_csv,
    small_rules,
)

MODERATOR = Appointee(TENANT, MORGAN)


def errors(reports) -> list[str]:
    return [f"{name} {error}" for name, report in reports.items() for error in report.errors]


def centre_value(session, number: str) -> tuple:
    query = (select(Mark.centre_mark, Mark.centre_code, Mark.centre_version, Mark.examiner_mark, Mark.status_code)
             .join(Entry, Entry.id == Mark.entry_id).join(Candidate, Candidate.id == Entry.candidate_id)
             .where(Candidate.number == number))
    return tuple(session.execute(query).one())


def test_centre_marks_and_codes_go_to_the_centre_columns_never_the_examiners(session, tmp_path):
    assert errors(load(session, tmp_path, **basics())) == []
    assert centre_value(session, "0001") == (70, None, 0, None, None)
    assert centre_value(session, "0010") == (None, "CF", 0, None, None)
    (row,) = moderator_components(session, MODERATOR)
    assert (row.total_entered, row.total_cf_abs, row.total_with_new_marks) == (12, 2, 10)


def test_files_without_the_new_columns_still_import_as_examined_with_no_tolerance(session, tmp_path):
    old = {"components": components_csv(kind=None), "entries": entries_csv({"0001": ""}),
           "allocations": allocations_csv((MORGAN, "examiner", "68101"))}
    assert errors(load(session, tmp_path, **old)) == []
    component = session.scalar(select(Component))
    assert (component.assessment_type, component.tolerance) == ("examined", None)


def test_a_file_without_the_column_leaves_an_existing_components_assessment_type(session, tmp_path):
    assert errors(load(session, tmp_path / "a", **basics())) == []
    assert errors(load(session, tmp_path / "b", components=components_csv(kind=None))) == []
    assert session.scalar(select(Component.assessment_type)) == "internally_assessed"


@pytest.mark.parametrize(("row", "message"), [
    (",marked,", "assessment_type 'marked' is not one of: examined, internally_assessed"),
    (",examined,81", "tolerance 81 is more than the maximum mark of 80"),
    (",examined,-1", "tolerance '-1' is not a whole number from 0 to 10000"),
])
def test_bad_moderation_columns_are_refused_with_their_line(session, tmp_path, row, message):
    text = (f"{COMPONENT_HEADER},assessment_type,tolerance\n"
            f"JUN17,GCSE JUNE 2017,3000N1,T,80,A=Absent{row}\n")
    assert errors(load(session, tmp_path, components=text)) == [f"components.csv line 2: {message}"]


def test_the_assessment_type_of_an_allocated_component_cannot_change(session, tmp_path):
    assert errors(load(session, tmp_path / "a", **basics())) == []
    found = errors(load(session, tmp_path / "b", components=components_csv(kind="examined")))
    assert found == ["components.csv line 2: component 3000N1 has allocations, so its assessment_type cannot "
                     "change from internally_assessed to examined"]


@pytest.mark.parametrize(("kind", "role", "message"), [
    ("internally_assessed", "examiner", "component 3000N1 is internally assessed: it takes moderator allocations, "
                                        "not examiner"),
    ("examined", "moderator", "component 3000N1 is examined: it takes examiner allocations, not moderator"),
])
def test_allocations_must_fit_the_components_assessment_type(session, tmp_path, kind, role, message):
    files = basics(components=components_csv(kind=kind), entries=entries_csv({"0001": ""}),
                   allocations=allocations_csv((TOMOS, "moderator" if role == "examiner" else "examiner", "68101"),
                                               (MORGAN, role, "68101")))
    found = errors(load(session, tmp_path, **files))
    assert len(found) == 1 and found[0].startswith(f"allocations.csv line 3: {message}")


def test_a_centre_mark_on_an_examined_component_is_refused(session, tmp_path):
    found = errors(load(session, tmp_path, components=components_csv(kind="examined"),
                        entries=entries_csv({"0001": "40", "0002": ""})))
    assert found == ["entries.csv line 2: centre_mark is for internally assessed components; 3000N1 is examined "
                     "(set assessment_type in components.csv)"]


def test_a_changed_centre_mark_updates_and_is_audited_until_moderation_begins(session, tmp_path):
    assert errors(load(session, tmp_path / "a", **basics())) == []
    changed = {**MARKS, "0002": "67", "0003": "a", "0004": ""}  # 0004 left empty: kept as it was
    reports = load(session, tmp_path / "b", entries=entries_csv(changed))
    assert (reports["entries.csv"].updated, reports["entries.csv"].unchanged) == (2, 10)
    assert centre_value(session, "0002")[:3] == (67, None, 1)
    assert centre_value(session, "0003")[:3] == (None, "A", 1)
    assert centre_value(session, "0004")[:3] == (55, None, 0)
    audit = list(session.scalars(select(AuditLog).where(AuditLog.field == "centre_mark").order_by(AuditLog.id)))
    assert [(a.old_value, a.new_value) for a in audit] == [("66", "67"), ("60", "A")]
    assert {a.actor_tenant_id for a in audit} == {"cli"} and audit[0].session_ref.startswith("import ")


def test_a_changed_centre_mark_is_refused_once_the_entry_has_a_moderated_mark(session, tmp_path):
    assert errors(load(session, tmp_path / "a", **basics(samples=samples_csv(*GOOD_SAMPLE)), rules=small_rules())) == []
    (row,) = moderator_components(session, MODERATOR)
    view = moderator_centre(session, row.allocation_id, MODERATOR, "68101")
    first = next(r for r in view.rows if r.candidate_number == "0001")
    save_centre(session, row.allocation_id, MODERATOR, "68101", CentreForm(marks={str(first.entry_id): "68"}), 0,
                AuditContext(), small_rules(), "NR")
    session.commit()
    found = errors(load(session, tmp_path / "b", entries=entries_csv({**MARKS, "0001": "71", "0002": "65"})))
    assert found == ["entries.csv line 2: the centre mark of 68101/0001 cannot change from 70 to 71: this "
                     "candidate has a moderated mark"]
    assert centre_value(session, "0002")[0] == 66  # nothing written, not even the allowed change


def test_every_centre_mark_is_refused_once_the_centres_report_is_submitted(session, tmp_path):
    assert errors(load(session, tmp_path / "a", **basics(samples=samples_csv(*GOOD_SAMPLE)), rules=small_rules())) == []
    (row,) = moderator_components(session, MODERATOR)
    view = moderator_centre(session, row.allocation_id, MODERATOR, "68101")
    marks = {str(r.entry_id): "40" for r in view.rows}
    version = save_centre(session, row.allocation_id, MODERATOR, "68101",
                          CentreForm(marks=marks, report={"judgement": "accurate"}), 0, AuditContext(), small_rules(),
                          "NR")
    submit_report(session, row.allocation_id, MODERATOR, "68101", version, AuditContext(), small_rules())
    session.commit()
    found = errors(load(session, tmp_path / "b", entries=entries_csv({**MARKS, "0002": "65"})))
    assert found == ["entries.csv line 3: the centre mark of 68101/0002 cannot change from 66 to 65: the centre's "
                     "moderation report has been submitted"]
