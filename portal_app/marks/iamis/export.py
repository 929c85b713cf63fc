"""`flask --app wsgi portal export-moderation --output FOLDER`: the outcomes of accepted moderation reports as
two CSV files for the board's results processing, and a record in the database of what was exported.

By default each accepted report is exported once: a later run writes only reports accepted since. The files get
their final names only once the record is committed, so a failed run leaves no file that looks complete.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from portal_app.data.db import session_scope
from portal_app.data.moderation_export import MARK_COLUMNS, REPORT_COLUMNS, accepted_reports, record_export, write_csv
from portal_app.database import database, schema_problem


def _operator() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli:unknown"


@click.command("export-moderation")
@click.option("--output", "folder", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the two CSV files (made if missing).")
@click.option("--series", help="Only reports of this series code (e.g. JUN17).")
@click.option("--component", help="Only reports of this component code (e.g. 3000N1).")
@click.option("--include-exported", is_flag=True, help="Also the reports an earlier export wrote.")
@with_appcontext
def export_moderation_command(folder: Path, series: str | None, component: str | None,
                              include_exported: bool) -> None:
    """Write the centre marks, moderated marks and report fields of accepted reports as CSV (UTF-8)."""
    problem = schema_problem()
    if problem:
        raise click.ClickException(problem)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    marks_file, reports_file = folder / f"moderated-marks-{stamp}.csv", folder / f"moderation-reports-{stamp}.csv"
    partial = [path.with_name(path.name + ".partial") for path in (marks_file, reports_file)]
    try:
        with session_scope(database().sessions) as session:
            content = accepted_reports(session, series=series, component=component,
                                       include_exported=include_exported)
            if not content.report_ids:
                click.echo("No accepted reports to export" + ("" if include_exported else " that were not "
                                                              "exported before (--include-exported writes them "
                                                              "again)") + ".")
                return
            write_csv(partial[0], MARK_COLUMNS, content.marks)
            write_csv(partial[1], REPORT_COLUMNS, content.reports)
            export = record_export(session, _operator(), marks_file, reports_file, content)
            number = export.id
    except FileExistsError as exc:
        raise click.ClickException(f"{exc.filename} already exists; nothing was exported") from None
    except BaseException:
        for path in partial:
            path.unlink(missing_ok=True)
        raise
    for done, final in zip(partial, (marks_file, reports_file), strict=True):
        done.rename(final)
    click.echo(f"Export {number}: {len(content.report_ids)} accepted report(s), {len(content.marks)} candidate "
               f"row(s).\n  {reports_file}\n  {marks_file}")
