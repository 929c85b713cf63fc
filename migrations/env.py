"""Alembic environment: migrates the mark-input schema described by portal_app.data.models."""

from __future__ import annotations

from alembic import context

from portal_app.data.db import init_engine
from portal_app.data.models import Base

target_metadata = Base.metadata


def _url() -> str:
    # `-x url=...` on the command line wins over the value the app sets programmatically.
    return context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )


def _configure(**kwargs) -> None:
    # Batch mode lets later ALTERs work on SQLite, which cannot alter most constraints in place.
    context.configure(target_metadata=target_metadata, render_as_batch=True, compare_type=True, **kwargs)


def run_offline() -> None:
    """Emit SQL without a database connection (alembic upgrade --sql)."""
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate a live database in one transaction."""
    engine = init_engine(_url())
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table (copy, drop, rename); with foreign keys on, SQLite refuses to drop a
            # table that others reference once it holds data. Off for the migration (it cannot change inside a
            # transaction), then checked, as Alembic's batch documentation advises.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows without their parent: {broken[:5]}")
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
