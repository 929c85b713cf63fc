"""SQL helpers for tests: counting the statements our code sends, and throwaway PostgreSQL databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event, make_url, text

from portal_app.data.quick_reads import QuickReads


@contextmanager
def counting_statements(engine):
    """Count the statements our code sends: an executemany counts once, even when the driver sends its rows in
    pages of 1000 (SQLAlchemy's insertmanyvalues), since each page belongs to the same execution; the quick
    reads (the change stamps, the favourites) count one each."""
    seen: list[str] = []
    contexts: list[object] = []  # kept alive, so no two executions share an id

    def count(_conn, _cursor, statement, _params, context, _executemany):
        if not any(context is known for known in contexts):
            contexts.append(context)
            seen.append(statement)

    # The small reads pages make on the driver's cursor (portal_app.data.quick_reads) pass no SQLAlchemy event:
    # they are counted where they are sent, and still run.
    send = QuickReads.rows_and  # QuickReads.rows reads through it too

    def counted_rows(reads, statement, params, then):
        if reads._engine.url == engine.url:  # the read engine (PostgreSQL) has the same database
            seen.append(str(statement))
        return send(reads, statement, params, then)

    event.listen(engine, "before_cursor_execute", count)
    QuickReads.rows_and = counted_rows
    try:
        yield seen
    finally:
        QuickReads.rows_and = send
        event.remove(engine, "before_cursor_execute", count)


@contextmanager
def temporary_database(server_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new, uniquely named database on the PostgreSQL at ``server_url``, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:  # a test or a seed that failed leaves no database behind either
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
