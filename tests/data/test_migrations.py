"""Alembic's head revision builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal_app.data import init_engine, upgrade_to_head
from portal_app.data.models import Base


def test_upgrade_head_on_empty_database_matches_models(empty_db_url):
    upgrade_to_head(empty_db_url)
    engine = init_engine(empty_db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diffs == []


def test_upgrade_head_twice_is_harmless(empty_db_url):
    upgrade_to_head(empty_db_url)
    upgrade_to_head(empty_db_url)
    engine = init_engine(empty_db_url)
    assert "mark" in inspect(engine).get_table_names()
    engine.dispose()
