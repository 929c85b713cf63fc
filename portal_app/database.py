"""The marks database in the web app: one engine per app, one SQLAlchemy session per request, the schema check
for /readyz, and the operations commands (`portal migrate|import|seed-demo|prepare-data`).

Production never migrates implicitly (``portal migrate`` is an operations step, and /readyz reports a schema
behind head); only dev mode on the embedded SQLite default migrates itself, so ``./scripts/run`` just works.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from auth.reloading_file import ReloadingFile
from portal_app.data import change_counter
from portal_app.data.audit import Appointee
from portal_app.data.csvrows import ImportReport
from portal_app.data.db import init_engine, init_read_engine, make_session_factory, session_scope
from portal_app.data.import_context import ImportContext
from portal_app.data.imports import IMPORT_ORDER, import_directory, run_importer
from portal_app.data.migrate import upgrade_to_head
from portal_app.data.moderation_rules import ModerationRules, ModerationRulesError
from portal_app.data.quick_reads import QuickReads
from portal_app.data.seed import SeedError, seed_demo
from portal_app.data.stamps_memo import Stamps, StampsMemo
from portal_app.settings import PROJECT_ROOT, ConfigError, PortalSettings
from portal_app.web.errors import error_page
from portal_app.web.health import add_readiness_check
from portal_app.web.logs import request_id

log = logging.getLogger(__name__)
DEFAULT_SQLITE_FILE = PROJECT_ROOT / "var" / "portal.sqlite3"
EXTENSION = "portal.database"
RULES_EXTENSION = "portal.moderation_rules"


@dataclass
class Database:
    """The app's engine and session factory, and whether it may migrate itself at first use."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    migrate_at_first_use: bool
    read_engine: Engine  # the small reads' (data.db.init_read_engine): ``engine`` itself on SQLite
    stamps: StampsMemo  # the mark lists' change stamps, kept while a SQLite file is unwritten (data.stamps_memo)
    _migrated: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def quick_reads(self) -> QuickReads:
        # A read engine of its own is PostgreSQL's, in autocommit.
        return QuickReads(self.read_engine, autocommit=self.read_engine is not self.engine)

    def dispose(self) -> None:
        """Close every pooled connection (tests, before their database is dropped)."""
        if self.stamps.counter is not None:
            self.stamps.counter.close()
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()

    def ensure_migrated(self) -> None:
        """Dev convenience: bring the embedded SQLite file to head once per process."""
        if not self.migrate_at_first_use or self._migrated:
            return
        with self._lock:
            if not self._migrated:
                log.info("dev mode: migrating the embedded SQLite database %s", self.url)
                upgrade_to_head(self.url)
                self._migrated = True


def effective_url(settings: PortalSettings) -> str:
    """``database.url`` (DATABASE_URL), else the embedded SQLite file under var/."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{DEFAULT_SQLITE_FILE}"


def database() -> Database:
    return current_app.extensions[EXTENSION]


def moderation_rules() -> ModerationRules:
    """The moderation rules in force (config/moderation.toml, reloaded after an edit; the last good ones kept)."""
    return current_app.extensions[RULES_EXTENSION].current()


def _import_context() -> ImportContext:
    return ImportContext(rules=moderation_rules())


def db_session() -> Session:
    """This request's session (opened on first use, closed at teardown); views commit explicitly."""
    if "db_session" not in g:
        state = database()
        state.ensure_migrated()
        g.db_session = state.sessions()
    return g.db_session


def reader() -> QuickReads:
    """This request's connection for small reads beside its unit of work (data.quick_reads), with no ORM session.

    For what pages read at every view (the mark lists' change stamps) or often (the favourites): cheaper than
    the request's session, and it never touches a view's uncommitted work. Checked out once per request at its
    first read (one pool checkout however many reads; on PostgreSQL from the read engine, in autocommit and
    without pre-ping: data.db.init_read_engine), and given back at teardown.
    """
    reads = g.get("db_reader")
    if reads is None:
        state = database()
        state.ensure_migrated()
        reads = g.db_reader = state.quick_reads()
    return reads


def change_stamps_of(appointee: Appointee) -> Stamps:
    """The change stamps of what ``appointee``'s mark lists show, as of now (data.stamps_memo)."""
    return database().stamps.stamps_of(reader(), appointee)


def _close_session(_exc: BaseException | None) -> None:
    here = g._get_current_object()  # every request ends here: one context lookup, not one per name
    reads = here.pop("db_reader", None)
    if reads is not None:
        reads.close()
    session = here.pop("db_session", None)
    if session is not None:
        # close() rolls back anything uncommitted: a failed request never leaves half a save behind.
        session.close()


def schema_problem(app: Flask | None = None) -> str | None:
    """None when the database answers and its schema is at head; otherwise a sentence saying what is wrong."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from portal_app.data.migrate import alembic_config

    state: Database = (app or current_app).extensions[EXTENSION]
    try:
        with state.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        return f"database unreachable: {type(exc).__name__}"
    heads = set(ScriptDirectory.from_config(alembic_config(state.url)).get_heads())
    if current != heads:
        return "database schema not at head: run `flask --app wsgi portal migrate`"
    return None


def _database_unavailable(exc: SQLAlchemyError):
    """Any database failure outside a view's own handling: a 503 page, never a traceback."""
    log.error("database unavailable (reference %s): %s", request_id(), type(exc).__name__, exc_info=exc)
    return error_page(503, _("The portal cannot reach its database right now. Please try again in a moment."))



# --- Operations commands

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
                reports = import_directory(session, path, _import_context())
            else:
                kind = kind or path.stem
                if kind not in KINDS:
                    raise click.UsageError(f"cannot tell what {path.name} holds: pass --kind "
                                           f"({'|'.join(KINDS)})")
                reports = {path.name: run_importer(KINDS[kind], session, path, _import_context())}
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
            reports = seed_demo(session, context=_import_context())
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


def init_app(app: Flask, settings: PortalSettings) -> None:
    """Bind the engine (no connection is made here), the per-request session and the readiness check."""
    url = effective_url(settings)
    if not settings.database_url:
        DEFAULT_SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
    engine = init_engine(url)
    app.extensions[EXTENSION] = Database(
        url=url,
        engine=engine,
        sessions=make_session_factory(engine),
        migrate_at_first_use=settings.dev_mode and not settings.database_url,
        read_engine=init_read_engine(url, engine),
        stamps=StampsMemo(change_counter.for_url(url)),
    )
    try:
        app.extensions[RULES_EXTENSION] = ReloadingFile(
            settings.moderation_rules_file, ModerationRules.load, what="moderation rules",
            kept="still using the previous rules", errors=ModerationRulesError, applies="they apply from now on")
    except ModerationRulesError as exc:
        raise ConfigError(exc.problems) from None
    app.teardown_appcontext(_close_session)
    app.register_error_handler(SQLAlchemyError, _database_unavailable)
    add_readiness_check(app, "database", lambda: schema_problem(app))
