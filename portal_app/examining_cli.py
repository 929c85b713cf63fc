"""Operations commands for examining: `portal export-marks`, `portal reissue-export`, `portal set-marks-due`.

Registered by ``portal_app.cli``. Each runs in one transaction: an export is recorded only once its file is
written whole, so a failed run leaves neither a half file nor a batch the board never received.
"""

from __future__ import annotations

import csv
import getpass
import io
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from portal_app.data.audit import AuditContext
from portal_app.data.db import session_scope
from portal_app.data.deadlines import london_text, parse_london_time, set_marks_due
from portal_app.data.examining_errors import InvalidRequest
from portal_app.data.export import MarkOut, marks_to_export, operations_actor, record_export, reissue_centre
from portal_app.database import database, schema_problem

# The export's columns, documented in docs/marks-export.md; never rename or reorder them (append new ones).
EXPORT_COLUMNS = ("series_code", "component_code", "centre_number", "candidate_number", "mark", "status_code",
                  "examiner_tenant_id", "examiner_object_id", "submitted_at", "export_batch_id")
# A cell starting with one of these is a formula to a spreadsheet (CSV injection); it is written with a leading '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """The cell as text, made inert if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_csv(marks: list[MarkOut], batch_id: str) -> str:
    """The CSV text of an export: a header and one row per mark (UTF-8, comma separated, CRLF as RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for m in marks:
        submitted = m.submitted_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerow([spreadsheet_safe(v) for v in (
            m.series_code, m.component_code, m.centre_number, m.candidate_number, m.mark, m.code,
            m.examiner_tenant_id, m.examiner_object_id, submitted, batch_id)])
    return buffer.getvalue()


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container: the audit still says it was operations
        return "unknown"


def _require_schema() -> None:
    problem = schema_problem()
    if problem:
        raise click.ClickException(problem)


@click.command("export-marks")
@click.option("--series", "series_code", help="Only this series (e.g. JAN17).")
@click.option("--component", "component_code", help="Only this component (e.g. 9521/01).")
@click.option("--all", "everything", is_flag=True, help="Every submitted mark, not only those new or changed "
                                                        "since the last export.")
@click.option("--output", "output", default="-", show_default=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write the CSV; - is standard output.")
@with_appcontext
def export_marks_command(series_code: str | None, component_code: str | None, everything: bool, output: str) -> None:
    """Write submitted marks as CSV for the board's results system, and record the export."""
    _require_schema()
    scope = " ".join(filter(None, [f"series={series_code}" if series_code else "",
                                   f"component={component_code}" if component_code else ""])) or "all series"
    with session_scope(database().sessions) as session:
        marks = marks_to_export(session, series_code, component_code, everything=everything)
        if not marks:
            click.echo(f"No {'' if everything else 'new or changed '}submitted marks to export ({scope}).", err=True)
            return
        batch_id = record_export(session, marks, scope=scope, everything=everything, operator=_operator(),
                                 now=datetime.now(UTC))
        place = _write(output, export_csv(marks, batch_id))
    # Recorded: only now does the file take its name, so a pickup job never sees an unrecorded export.
    place()
    click.echo(f"Exported {len(marks)} marks ({scope}) as batch {batch_id}"
               f"{'' if output == '-' else ' to ' + output}.", err=True)


def _write(output: str, text: str):
    """Write the whole file beside its target (or to standard output); returns what puts it in place."""
    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return lambda: None
    target = Path(output)
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".export-", suffix=".csv")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
    except OSError as exc:
        if temporary:
            Path(temporary).unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {output}: {exc.strerror}; nothing was recorded") from None
    return lambda: os.replace(temporary, target)


@click.command("reissue-export")
@click.argument("series_code")
@click.argument("component_code")
@click.argument("centre_number")
@click.option("--reason", required=True, help="Why the exported marks are reissued (kept in the audit).")
@with_appcontext
def reissue_export_command(series_code: str, component_code: str, centre_number: str, reason: str) -> None:
    """Withdraw a centre's exported marks: it may be reopened, and its marks go out again in the next export."""
    _require_schema()
    try:
        with session_scope(database().sessions) as session:
            withdrawn = reissue_centre(session, series_code, component_code, centre_number, reason,
                                       operator=_operator(), now=datetime.now(UTC))
    except (LookupError, InvalidRequest) as exc:
        raise click.ClickException(str(exc)) from None
    if not withdrawn:
        raise click.ClickException(f"no exported marks of centre {centre_number} on {series_code} {component_code}")
    click.echo(f"Withdrew {withdrawn} exported marks of centre {centre_number} ({series_code} {component_code}): "
               "the centre may be reopened, and the next export-marks writes them again.")


@click.command("set-marks-due")
@click.argument("series_code")
@click.argument("component_code", required=False)
@click.option("--due", "due_text", help='When marks are due, in UK time: "2017-02-10 17:00".')
@click.option("--clear", is_flag=True, help="Remove the date (the series' date, if any, then applies).")
@with_appcontext
def set_marks_due_command(series_code: str, component_code: str | None, due_text: str | None, clear: bool) -> None:
    """Set when examiners' marks are due for a component, or for a whole series (Europe/London)."""
    if bool(due_text) == clear:
        raise click.UsageError("give exactly one of --due WHEN or --clear")
    _require_schema()
    due = None
    if due_text:
        due = parse_london_time(due_text)
        if not isinstance(due, datetime):
            raise click.BadParameter(str(due), param_hint="--due")
    try:
        with session_scope(database().sessions) as session:
            changed = set_marks_due(session, series_code, component_code, due, operations_actor(_operator()),
                                    AuditContext())
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    what = f"{series_code} {component_code}" if component_code else f"series {series_code}"
    if not changed:
        click.echo(f"{what}: unchanged.")
    else:
        click.echo(f"{what}: marks due {london_text(due) + ' (Europe/London)' if due else 'cleared'}.")


COMMANDS = (export_marks_command, reissue_export_command, set_marks_due_command)
