"""`flask --app wsgi portal migrate|import|seed-demo|prepare-data`: the database commands for operations."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from portal_app.data.csvrows import ImportReport
from portal_app.data.db import session_scope
from portal_app.data.imports import IMPORT_ORDER, import_directory
from portal_app.data.migrate import upgrade_to_head
from portal_app.data.seed import SeedError, seed_demo
from portal_app.database import database, schema_problem

KINDS = {name.removesuffix(".csv"): importer for name, importer in IMPORT_ORDER}


class _NothingWritten(Exception):
    """Raised inside the transaction so that a file with errors rolls back everything."""


def _migrate() -> None:
    state = database()
    upgrade_to_head(state.url)
    click.echo("Database schema is at head.")


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Bring the database schema to head (never drops marks)."""
    _migrate()


def _echo_report(name: str, report: ImportReport) -> None:
    click.echo(f"{name}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.errors)} error(s)")
    for error in report.errors:
        click.echo(f"  {name} {error}", err=True)


def _import(path: Path, kind: str | None) -> dict[str, ImportReport]:
    """Reports for a directory (every known file, in dependency order) or for one file of ``kind``."""
    state = database()
    try:
        with session_scope(state.sessions) as session:
            if path.is_dir():
                if kind:
                    raise click.UsageError("--kind applies to a single file, not a directory")
                reports = import_directory(session, path)
            else:
                kind = kind or path.stem
                if kind not in KINDS:
                    raise click.UsageError(f"cannot tell what {path.name} holds: pass --kind "
                                           f"({'|'.join(KINDS)})")
                reports = {path.name: KINDS[kind](session, path)}
            if not all(report.ok for report in reports.values()):
                raise _NothingWritten(reports)
    except _NothingWritten as exc:
        return exc.args[0]
    return reports


@click.command("import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--kind", type=click.Choice(list(KINDS)), help="What a single file holds (default: its name).")
@with_appcontext
def import_command(source: Path, kind: str | None) -> None:
    """Import CSVs: every row is checked; any error means nothing is written (exit status 1)."""
    problem = schema_problem()
    if problem:
        raise click.ClickException(problem)
    reports = _import(source, kind)
    if not reports:
        raise click.ClickException(f"no import files in {source} (expected: "
                                   f"{', '.join(name for name, _ in IMPORT_ORDER)})")
    for name, report in reports.items():
        _echo_report(name, report)
    if not all(report.ok for report in reports.values()):
        click.echo("Nothing was written: fix the lines above and import again.", err=True)
        raise SystemExit(1)


def _seed() -> None:
    state = database()
    try:
        with session_scope(state.sessions) as session:
            reports = seed_demo(session)
    except SeedError as exc:
        raise click.ClickException(str(exc)) from None
    for name, report in reports.items():
        _echo_report(name, report)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo data for the emulator's demo users (idempotent)."""
    problem = schema_problem()
    if problem:
        raise click.ClickException(problem)
    _seed()


@click.command("prepare-data")
@with_appcontext
def prepare_data_command() -> None:
    """Migrate, then seed the demo data; running it again changes nothing."""
    _migrate()
    _seed()


COMMANDS = (migrate_command, import_command, seed_demo_command, prepare_data_command)
