"""CSV imports: every row validated with its line number, nothing written on error, re-import is a no-op."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal_app.data.imports import import_allocations, import_components, import_entries, import_teams
from portal_app.data.models import Allocation, Entry, Series

COMPONENTS = (
    "series_code,series_title,component_code,component_title,max_mark,status_codes,agenda_document,"
    "assessment_type\n"
    "JUN17,GCSE JUNE 2017,3000N1,WELSH LANGUAGE UNED 1 - LLAFAR,80,A=Absent;CF=Carried forward,agenda.pdf,"
    "internally_assessed\n"
)
ENTRIES = (
    "series_code,component_code,centre_number,centre_name,candidate_number,candidate_name,centre_mark\n"
    "JUN17,3000N1,68101,Ysgol Un,0001,JONES Aled,40\n"
    "JUN17,3000N1,68101,Ysgol Un,0002,EVANS Elin,\n"
)
ALLOCATIONS = (
    "tenant_id,object_id,email,series_code,component_code,role,centres\n"
    "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70,22222222-2222-4222-8222-222222222222,"
    "moderator@wjec-appointees.co.uk,JUN17,3000N1,moderator,68101\n"
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_basics(session, tmp_path):
    for name, text, importer in [
        ("components.csv", COMPONENTS, import_components),
        ("entries.csv", ENTRIES, import_entries),
        ("allocations.csv", ALLOCATIONS, import_allocations),
    ]:
        report = importer(session, write(tmp_path, name, text))
        assert report.ok, report.errors
    session.commit()


def test_importing_the_same_files_twice_changes_nothing(session, tmp_path):
    load_basics(session, tmp_path)
    again = import_entries(session, tmp_path / "entries.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert import_components(session, tmp_path / "components.csv").unchanged == 1
    assert import_allocations(session, tmp_path / "allocations.csv").unchanged == 1
    assert session.scalar(select(func.count()).select_from(Entry)) == 2


def test_changed_name_counts_as_updated(session, tmp_path):
    load_basics(session, tmp_path)
    renamed = write(tmp_path, "renamed.csv", ENTRIES.replace("JONES Aled", "JONES Aled Rhys"))
    report = import_entries(session, renamed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("JUN17,3000N1,68101,Ysgol Un,0003,,", "candidate_name is empty"),
        ("JUN17,9999X,68101,Ysgol Un,0003,X,", "component 9999X of series JUN17 is unknown"),
        ("JUN17,3000N1,68 101,Ysgol Un,0003,X,", "centre_number '68 101' is not"),
        ("JUN17,3000N1,68101,Ysgol Un,0003,X,81", "more than the maximum mark of 80"),
        ("JUN17,3000N1,68101,Ysgol Un,0003,X,-1", "centre_mark '-1' is not a whole number"),
        ("JUN17,3000N1,68101,Ysgol Un,0003,X,W", "centre_mark 'W' is not a whole number from 0 to 10000 or one "
                                                 "of the codes A, CF"),
        ("JUN17,3000N1,68101,Ysgol Un,0001,JONES Aled,", "repeats line 2"),
        ("JUN17,3000N1,68101", "same number of fields"),
    ],
)
def test_bad_entry_row_is_reported_with_its_line_and_nothing_is_written(session, tmp_path, bad_row, message):
    import_components(session, write(tmp_path, "components.csv", COMPONENTS))
    session.commit()
    report = import_entries(session, write(tmp_path, "entries.csv", ENTRIES + bad_row + "\n"))
    assert not report.ok
    assert [e.line for e in report.errors] == [4]
    assert message in report.errors[0].message
    assert session.scalar(select(func.count()).select_from(Entry)) == 0


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("22222222-2222-4222-8222-222222222222", "not-a-guid", "object_id 'not-a-guid' is not a GUID"),
        (",moderator,", ",admin,", "role 'admin' is not one of: examiner, moderator"),
        (",68101\n", ",68101;99999\n", "centre(s) 99999 unknown"),
        ("moderator@wjec-appointees.co.uk", "moderator", "is not an email address"),
    ],
)
def test_bad_allocation_row_writes_nothing(session, tmp_path, replace, by, message):
    import_components(session, write(tmp_path, "components.csv", COMPONENTS))
    import_entries(session, write(tmp_path, "entries.csv", ENTRIES))
    report = import_allocations(session, write(tmp_path, "allocations.csv", ALLOCATIONS.replace(replace, by)))
    assert [str(e) for e in report.errors][0].startswith("line 2: ")
    assert message in report.errors[0].message
    assert session.scalar(select(func.count()).select_from(Allocation)) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("series_code,component_code\nJUN17,3000N1\n", "header lacks column(s): centre_number"),
        (b"\xff\xfe bad bytes", "not a readable UTF-8 CSV"),
    ],
)
def test_unusable_file_is_refused(session, tmp_path, text, message):
    path = tmp_path / "entries.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    report = import_entries(session, path)
    assert message in report.errors[0].message


def test_missing_file_is_reported(session, tmp_path):
    report = import_components(session, tmp_path / "nope.csv")
    assert "does not exist" in report.errors[0].message
    assert session.scalar(select(func.count()).select_from(Series)) == 0


def test_team_member_cannot_lead_themselves(session, tmp_path):
    import_components(session, write(tmp_path, "components.csv", COMPONENTS))
    oid = "33333333-3333-4333-8333-333333333333"
    tid = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
    text = (
        "series_code,component_code,leader_tenant_id,leader_object_id,member_tenant_id,member_object_id\n"
        f"JUN17,3000N1,{tid},{oid},{tid},{oid}\n"
    )
    report = import_teams(session, write(tmp_path, "teams.csv", text))
    assert [str(e) for e in report.errors] == ["line 2: an appointee cannot lead themselves"]
