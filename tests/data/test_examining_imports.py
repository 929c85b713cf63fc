"""Imports for examining: one examiner per centre (overlaps named), explicit reallocation, marks-due dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal_app.data.audit import Appointee, AuditContext, history
from portal_app.data.errors import InvalidMarks
from portal_app.data.examining_models import ExaminerCentre
from portal_app.data.imports import import_allocations, import_components
from portal_app.data.marks import list_examiner_components, load_mark_sheet, save_marks, submit_centre
from portal_app.data.models import AllocationCentre, Centre, Component
from portal_app.data.seed import seed_demo
from tests.data.builders import ELERI, TENANT

NIA = Appointee(TENANT, "77777777-7777-4777-8777-777777777777")
GWEN = Appointee(TENANT, "66666666-6666-4666-8666-666666666666")
CTX = AuditContext("sess", "req")
HEADER = "tenant_id,object_id,email,series_code,component_code,role,centres,reallocate\n"


def nia_row(centres: str, component: str = "9521/01", reallocate: str = "") -> str:
    return f"{TENANT},{NIA.oid},nomfa@wjec-appointees.co.uk,JAN17,{component},examiner,{centres},{reallocate}\n"


def gwen_row(centres: str, component: str = "4370/01") -> str:
    return f"{TENANT},{GWEN.oid},manygroups@wjec-appointees.co.uk,JAN17,{component},examiner,{centres},\n"


@pytest.fixture
def seeded(session):
    seed_demo(session)
    session.commit()
    return session


def import_text(session, tmp_path, text: str, name: str = "allocations.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return import_allocations(session, path)


def elis_latin(session) -> int:
    return next(line.allocation_id for line in list_examiner_components(session, ELERI)
                if line.component_code == "9521/01")


def nias(session, component: str = "9521/01") -> int:
    return next(line.allocation_id for line in list_examiner_components(session, NIA)
                if line.component_code == component)


def test_a_centre_another_examiner_holds_is_refused_naming_them_and_nothing_is_written(seeded, tmp_path):
    report = import_text(seeded, tmp_path, HEADER + nia_row("68005"))
    assert [str(e) for e in report.errors] == [
        "line 2: centre 68005 of 9521/01 is marked by examiner examiner@wjec-appointees.co.uk "
        "(11111111-1111-4111-8111-111111111111); set reallocate to keep-marks or clear-marks to move it"]
    seeded.rollback()
    assert [line.component_code for line in list_examiner_components(seeded, NIA)] == ["4370/01"]


def test_two_examiners_given_one_centre_in_a_file_are_refused_naming_both_lines(seeded, tmp_path):
    report = import_text(seeded, tmp_path, HEADER + gwen_row("68004") + nia_row("68003;68004", "4370/01"))
    assert [str(e) for e in report.errors] == [
        "line 3: centre 68004 of 4370/01 is also given to another examiner on line 2; a centre has one examiner"]


def test_the_schema_itself_refuses_a_second_examiner_for_a_centre(seeded):
    from sqlalchemy.exc import IntegrityError

    held = seeded.scalars(select(ExaminerCentre)).first()
    seeded.add(ExaminerCentre(allocation_id=nias(seeded, "4370/01"), centre_id=held.centre_id,
                              component_id=held.component_id, status="open"))
    with pytest.raises(IntegrityError):
        seeded.flush()


def test_reallocating_keeps_the_marks_moves_the_centre_and_ends_the_first_examiners_access(seeded, tmp_path):
    latin = elis_latin(seeded)
    sheet = load_mark_sheet(seeded, latin, ELERI)
    moving = [row.entry_id for row in sheet.rows_by_centre["68005"]]
    save_marks(seeded, latin, ELERI, {moving[0]: "33", sheet.rows[0].entry_id: "7"}, sheet.version, CTX)
    seeded.commit()

    report = import_text(seeded, tmp_path, HEADER + nia_row("68005", reallocate="keep-marks"))
    assert report.ok and (report.created, report.updated) == (1, 0)
    seeded.commit()

    eleri_now = load_mark_sheet(seeded, latin, ELERI)
    assert [c.number for c in eleri_now.centres] == ["68001", "68002", "68003", "68004"]
    nia_sheet = load_mark_sheet(seeded, nias(seeded), NIA)
    assert [c.number for c in nia_sheet.centres] == ["68005"]
    assert nia_sheet.rows[0].value.display == "33"
    with pytest.raises(InvalidMarks) as refused:  # Eleri's open tab, saving the moved centre
        save_marks(seeded, latin, ELERI, {moving[1]: "5"}, eleri_now.version, CTX)
    assert refused.value.errors == {str(moving[1]): "This candidate is not on your mark sheet."}
    seeded.rollback()
    centre_id = seeded.scalar(select(Centre.id).where(Centre.number == "68005"))
    assert seeded.get(AllocationCentre, (latin, centre_id)) is None
    assert [(a.actor_object_id, a.field, a.new_value) for a in history(seeded, "allocation", latin)] == [
        ("portal import", "centre:68005", f"moved to allocation {nias(seeded)}")]
    again = import_text(seeded, tmp_path, HEADER + nia_row("68005", reallocate="keep-marks"))
    assert again.ok and again.unchanged == 1


def test_reallocating_with_clear_marks_clears_them_and_audits_each(seeded, tmp_path):
    latin = elis_latin(seeded)
    sheet = load_mark_sheet(seeded, latin, ELERI)
    first = sheet.rows_by_centre["68004"][0].entry_id
    save_marks(seeded, latin, ELERI, {first: "21"}, sheet.version, CTX)
    seeded.commit()
    assert import_text(seeded, tmp_path, HEADER + nia_row("68004", reallocate="clear-marks")).ok
    seeded.commit()
    nia_sheet = load_mark_sheet(seeded, nias(seeded), NIA)
    assert all(row.value.display == "" for row in nia_sheet.rows)
    assert [(a.old_value, a.new_value, a.actor_object_id) for a in history(seeded, "entry", first)][-1] == (
        "21", None, "portal import")


def test_a_submitted_centre_never_moves(seeded, tmp_path):
    latin = elis_latin(seeded)
    sheet = load_mark_sheet(seeded, latin, ELERI)
    values = {row.entry_id: "10" for row in sheet.rows_by_centre["68003"]}
    version = save_marks(seeded, latin, ELERI, values, sheet.version, CTX).version
    submit_centre(seeded, latin, ELERI, "68003", version, CTX)
    seeded.commit()
    report = import_text(seeded, tmp_path, HEADER + nia_row("68003", reallocate="keep-marks"))
    assert [str(e) for e in report.errors] == [
        "line 2: centre 68003 of 9521/01 was submitted by examiner@wjec-appointees.co.uk; a principal examiner "
        "must reopen it before it can move"]


@pytest.mark.parametrize("value, message", [
    ("move", "reallocate 'move' is not one of: no, keep-marks, clear-marks"),
    ("yes", "reallocate 'yes' is not one of: no, keep-marks, clear-marks"),
])
def test_an_unknown_reallocate_value_is_refused(seeded, tmp_path, value, message):
    report = import_text(seeded, tmp_path, HEADER + nia_row("68005", reallocate=value))
    assert message in [e.message for e in report.errors]


def test_reallocate_is_for_examiners_only(seeded, tmp_path):
    row = (f"{TENANT},22222222-2222-4222-8222-222222222222,moderator@wjec-appointees.co.uk,JUN17,3000N1,"
           "moderator,68101,keep-marks\n")
    report = import_text(seeded, tmp_path, HEADER + row)
    assert [e.message for e in report.errors] == ["reallocate applies to examiner allocations only"]


def test_files_without_the_reallocate_column_still_import(seeded, tmp_path):
    text = "tenant_id,object_id,email,series_code,component_code,role,centres\n" + nia_row("68003", "4370/01")[:-2]
    assert import_text(seeded, tmp_path, text + "\n").ok


COMPONENTS = "series_code,series_title,component_code,component_title,max_mark,status_codes,marks_due\n"


@pytest.mark.parametrize("typed, stored", [
    ("2017-02-10 17:00", datetime(2017, 2, 10, 17, 0, tzinfo=UTC)),  # GMT
    ("2017-06-30T17:00", datetime(2017, 6, 30, 16, 0, tzinfo=UTC)),  # BST
])
def test_marks_due_is_read_in_europe_london(session, tmp_path, typed, stored):
    path = tmp_path / "components.csv"
    path.write_text(COMPONENTS + f"JAN17,GCSE JANUARY 2017,9521/01,LATIN,60,A=Absent,{typed}\n", encoding="utf-8")
    assert import_components(session, path).ok
    assert session.scalar(select(Component.marks_due_at)) == stored


@pytest.mark.parametrize("typed", ["10/02/2017 17:00", "2017-02-30 17:00", "2017-03-26 01:30", "2017-10-29 01:30",
                                   "tomorrow"])
def test_a_marks_due_that_is_not_one_london_time_is_refused(session, tmp_path, typed):
    path = tmp_path / "components.csv"
    path.write_text(COMPONENTS + f"JAN17,GCSE JANUARY 2017,9521/01,LATIN,60,A=Absent,{typed}\n", encoding="utf-8")
    report = import_components(session, path)
    assert [e.message.split(" is not")[0] for e in report.errors] == [f"marks_due {typed!r}"]


def test_an_empty_marks_due_keeps_the_date_in_force(session, tmp_path):
    path = tmp_path / "components.csv"
    path.write_text(COMPONENTS + "JAN17,GCSE JANUARY 2017,9521/01,LATIN,60,A=Absent,2017-02-10 17:00\n",
                    encoding="utf-8")
    import_components(session, path)
    path.write_text(COMPONENTS + "JAN17,GCSE JANUARY 2017,9521/01,LATIN,60,A=Absent,\n", encoding="utf-8")
    assert import_components(session, path).unchanged == 1
    assert session.scalar(select(Component.marks_due_at)) == datetime(2017, 2, 10, 17, 0, tzinfo=UTC)



ENTRIES = "series_code,component_code,centre_number,centre_name,candidate_number,candidate_name\n"


def test_a_late_entry_at_a_submitted_centre_is_refused_until_the_centre_is_reopened(seeded, tmp_path):
    from portal_app.data.imports import import_entries

    latin = elis_latin(seeded)
    sheet = load_mark_sheet(seeded, latin, ELERI)
    values = {row.entry_id: "10" for row in sheet.rows_by_centre["68003"]}
    version = save_marks(seeded, latin, ELERI, values, sheet.version, CTX).version
    submit_centre(seeded, latin, ELERI, "68003", version, CTX)
    seeded.commit()
    path = tmp_path / "entries.csv"
    path.write_text(ENTRIES + "JAN17,9521/01,68003,Ysgol Tri,0999,LATE Entry\n"
                    "JAN17,9521/01,68004,Ysgol Pedwar,0999,LATE Entry\n", encoding="utf-8")
    report = import_entries(seeded, path)
    assert [str(e) for e in report.errors] == [
        "line 2: centre 68003 of 9521/01 was submitted by examiner@wjec-appointees.co.uk; a principal examiner "
        "must reopen it before a candidate is added"]
    centre_name = next(c.name for c in sheet.centres if c.number == "68003")
    known = sheet.rows_by_centre["68003"][0]
    path.write_text(ENTRIES + f"JAN17,9521/01,68003,{centre_name},{known.candidate_number},{known.candidate_name}\n",
                    encoding="utf-8")
    again = import_entries(seeded, path)  # the centre's own candidates import again as before
    assert again.ok and again.unchanged == 1
