"""`portal export-marks`, `portal reissue-export` and `portal set-marks-due` for operations staff."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from portal_app.data.audit import AuditContext
from portal_app.data.examining_models import MarksExport
from portal_app.data.marks import load_mark_sheet, save_marks, submit_centre
from portal_app.data.models import AuditLog, Component
from portal_app.examining_cli import EXPORT_COLUMNS, spreadsheet_safe
from tests.data.builders import ELERI
from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures

CTX = AuditContext("cli-test", "cli-test")


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["portal", *args])


def submit(app, centre: str = "68001") -> int:
    with app.extensions["portal.database"].sessions() as session:
        sheet = load_mark_sheet(session, 2, ELERI)
        values = {row.entry_id: str(n) for n, row in enumerate(sheet.rows_by_centre[centre])}
        version = save_marks(session, 2, ELERI, values, sheet.version, CTX).version
        submit_centre(session, 2, ELERI, centre, version, CTX, now=datetime(2017, 2, 9, 16, 59, 12, tzinfo=UTC))
        session.commit()
        return len(values)


def exports(app) -> int:
    with app.extensions["portal.database"].sessions() as session:
        return session.scalar(select(func.count()).select_from(MarksExport))


def test_an_export_writes_the_documented_columns_and_is_recorded(data_app, tmp_path):
    count = submit(data_app)
    out = tmp_path / "marks.csv"
    result = run(data_app, "export-marks", "--series", "JAN17", "--output", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_bytes().decode("utf-8")
    assert not text.startswith("\ufeff") and "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS and len(rows) == count + 1
    first = dict(zip(EXPORT_COLUMNS, rows[1], strict=True))
    assert first["series_code"] == "JAN17" and first["component_code"] == "9522/01"
    assert (first["centre_number"], first["candidate_number"], first["mark"], first["status_code"]) == (
        "68001", "0001", "0", "")
    assert (first["examiner_tenant_id"], first["examiner_object_id"]) == (ELERI.tid, ELERI.oid)
    assert first["submitted_at"] == "2017-02-09T16:59:12Z"
    assert f"Exported {count} marks (series=JAN17) as batch {first['export_batch_id']}" in result.output
    assert exports(data_app) == 1 and not list(tmp_path.glob(".export-*"))


def test_a_rerun_writes_only_what_changed_and_all_writes_everything_again(data_app, tmp_path):
    first = submit(data_app, "68001")
    assert run(data_app, "export-marks", "--output", str(tmp_path / "1.csv")).exit_code == 0
    nothing = run(data_app, "export-marks", "--output", str(tmp_path / "2.csv"))
    assert nothing.exit_code == 0 and "No new or changed submitted marks" in nothing.output
    assert not (tmp_path / "2.csv").exists() and exports(data_app) == 1
    second = submit(data_app, "68002")
    assert run(data_app, "export-marks", "--output", str(tmp_path / "3.csv")).exit_code == 0
    assert len((tmp_path / "3.csv").read_text().splitlines()) == second + 1
    everything = run(data_app, "export-marks", "--all")  # to standard output
    assert everything.exit_code == 0 and everything.output.count("JAN17,9522/01,") == first + second
    assert exports(data_app) == 3


def test_an_unwritable_output_records_nothing(data_app, tmp_path):
    submit(data_app)
    result = run(data_app, "export-marks", "--output", str(tmp_path / "no-such-folder" / "marks.csv"))
    assert result.exit_code == 1 and "nothing was recorded" in result.output
    assert exports(data_app) == 0


@pytest.mark.parametrize("value, written", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"), ("+1", "'+1"), ("-1+2", "'-1+2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("68001", "68001"), ("A", "A"), (None, ""),
    (42, "42"),
])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_made_inert(value, written):
    assert spreadsheet_safe(value) == written


def test_reissuing_needs_exported_marks_and_a_reason(data_app, tmp_path):
    nothing = run(data_app, "reissue-export", "JAN17", "9522/01", "68001", "--reason", "x")
    assert nothing.exit_code == 1 and "no exported marks of centre 68001" in nothing.output
    unknown = run(data_app, "reissue-export", "JAN17", "0000/00", "68001", "--reason", "x")
    assert unknown.exit_code == 1 and "no component 0000/00" in unknown.output
    count = submit(data_app)
    run(data_app, "export-marks", "--output", str(tmp_path / "1.csv"))
    blank = run(data_app, "reissue-export", "JAN17", "9522/01", "68001", "--reason", " ")
    assert blank.exit_code == 1 and "Give a reason" in blank.output
    done = run(data_app, "reissue-export", "JAN17", "9522/01", "68001", "--reason", "agreed with the board")
    assert done.exit_code == 0 and f"Withdrew {count} exported marks" in done.output
    again = run(data_app, "export-marks", "--output", str(tmp_path / "2.csv"))
    assert again.exit_code == 0 and len((tmp_path / "2.csv").read_text().splitlines()) == count + 1


def test_set_marks_due_reads_uk_time_and_is_audited(data_app):
    result = run(data_app, "set-marks-due", "JAN17", "9522/01", "--due", "2017-06-30 17:00")
    assert result.exit_code == 0 and "marks due 2017-06-30 17:00 (Europe/London)" in result.output
    with data_app.extensions["portal.database"].sessions() as session:
        assert session.scalar(select(Component.marks_due_at).where(Component.code == "9522/01")) == datetime(
            2017, 6, 30, 16, 0, tzinfo=UTC)
        (audit,) = session.scalars(select(AuditLog).where(AuditLog.field == "marks_due_at")).all()
    assert (audit.actor_tenant_id, audit.new_value) == ("operations", "2017-06-30 17:00")
    assert "unchanged" in run(data_app, "set-marks-due", "JAN17", "9522/01", "--due", "2017-06-30 17:00").output
    assert "cleared" in run(data_app, "set-marks-due", "JAN17", "9522/01", "--clear").output


@pytest.mark.parametrize("args, message", [
    (["JAN17", "9522/01"], "give exactly one of --due WHEN or --clear"),
    (["JAN17", "--due", "x", "--clear"], "give exactly one of --due WHEN or --clear"),
    (["JAN17", "--due", "2017-03-26 01:30"], "falls when the clocks change"),
    (["JAN17", "--due", "10/02/2017"], "is not a date and time like"),
    (["JUN99", "--due", "2017-02-10 17:00"], "series JUN99 is unknown"),
    (["JAN17", "0000/00", "--due", "2017-02-10 17:00"], "component 0000/00 of series JAN17 is unknown"),
])
def test_set_marks_due_refuses_what_it_cannot_use(data_app, args, message):
    result = run(data_app, "set-marks-due", *args)
    assert result.exit_code != 0 and message in result.output
