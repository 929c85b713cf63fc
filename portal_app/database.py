"""The mark-input database in the web app: one engine per app, one SQLAlchemy session per request.

Production never migrates implicitly (``portal migrate`` is an operations step, and /readyz reports a schema
behind head); only dev mode on the embedded SQLite default migrates itself, so ``./scripts/run`` just works.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field

from flask import Flask, current_app, g, render_template
from flask_babel import gettext as _
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from portal_app.data.db import init_engine, make_session_factory
from portal_app.data.migrate import upgrade_to_head
from portal_app.settings import PROJECT_ROOT, PortalSettings

log = logging.getLogger(__name__)
DEFAULT_SQLITE_FILE = PROJECT_ROOT / "var" / "portal.sqlite3"
EXTENSION = "portal.database"


@dataclass
class Database:
    """The app's engine and session factory, and whether it may migrate itself at first use."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    migrate_at_first_use: bool
    _migrated: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

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


def db_session() -> Session:
    """This request's session (opened on first use, closed at teardown); views commit explicitly."""
    if "db_session" not in g:
        state = database()
        state.ensure_migrated()
        g.db_session = state.sessions()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
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
    reference = uuid.uuid4().hex[:12]
    log.error("database unavailable (reference %s): %s", reference, type(exc).__name__, exc_info=exc)
    page = render_template("error.html", status=503, title=_("The portal is busy"), error_code=None,
                           reference=reference,
                           description=_("The portal cannot reach its database right now. Please try again "
                                         "in a moment."))
    return page, 503, {"Retry-After": "10", "Cache-Control": "no-store"}


def init_app(app: Flask, settings: PortalSettings) -> None:
    """Bind the engine (no connection is made here), the per-request session and the data CLI commands."""
    from portal_app.cli import portal_cli
    from portal_app.database_cli import COMMANDS

    url = effective_url(settings)
    if not settings.database_url:
        DEFAULT_SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
    engine = init_engine(url)
    app.extensions[EXTENSION] = Database(
        url=url,
        engine=engine,
        sessions=make_session_factory(engine),
        migrate_at_first_use=settings.dev_mode and not settings.database_url,
    )
    app.teardown_appcontext(_close_session)
    app.register_error_handler(SQLAlchemyError, _database_unavailable)
    for command in COMMANDS:
        portal_cli.add_command(command)
