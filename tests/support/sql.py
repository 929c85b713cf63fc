"""Counting the SQL our code sends, for the tests that hold pages and saves to a constant number of statements."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def counting_statements(engine):
    """Count the statements our code sends: an executemany counts once, even when the driver sends its rows in
    pages of 1000 (SQLAlchemy's insertmanyvalues), since each page belongs to the same execution."""
    seen: list[str] = []
    contexts: list[object] = []  # kept alive, so no two executions share an id

    def count(_conn, _cursor, statement, _params, context, _executemany):
        if not any(context is known for known in contexts):
            contexts.append(context)
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
