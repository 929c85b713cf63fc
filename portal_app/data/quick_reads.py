"""Small reads a page makes at every view, run on the driver's own connection and cursor.

The mark lists read their change stamps at every view, and the header menu reads the favourites whenever the
session is written. For a statement of a few rows SQLAlchemy's Connection costs more than the database does:
checking a connection out as a Connection, finding the compiled statement by its cache key, building a
result. Measured on SQLite in process (the stamps of a principal, best of three runs of 1000): through a
Connection checked out per request 96 microseconds, through the bare driver cursor about 20. Here each
statement is compiled once per dialect, the pool hands over its DBAPI connection (on PostgreSQL from an
engine of its own, in autocommit and without pre-ping: ``data.db.init_read_engine``), and a driver error
comes out as SQLAlchemy's own (``DBAPIError``), as from a Connection, so callers handle an outage the same
way; a connection found dead is invalidated and the read tried once more on a new one.

Only for SELECTs whose columns the driver returns as they are (integers, strings): no result processing runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Engine, Select
from sqlalchemy.exc import DBAPIError

_T = TypeVar("_T")
_Compiled = tuple[str, Callable[[Mapping[str, Any]], Any]]
_compiled: dict[tuple[Select, str, str], _Compiled] = {}


class QuickReads:
    """One pooled driver connection for a request's small reads; each read ends its own transaction."""

    def __init__(self, engine: Engine, *, autocommit: bool = False) -> None:
        """``autocommit``: ``engine``'s connections are in autocommit, so a read leaves no transaction to end."""
        self._engine = engine
        self._autocommit = autocommit
        self._connection: Any = None  # the pool's DBAPI connection proxy, checked out at the first read

    def rows(self, statement: Select, params: Mapping[str, Any]) -> list[tuple]:
        """All rows of ``statement`` (a module-level constant: it is compiled once per dialect)."""
        return self.rows_and(statement, params, None)[0]

    def rows_and(self, statement: Select, params: Mapping[str, Any],
                 then: Callable[[], _T] | None) -> tuple[list[tuple], _T | None]:
        """``rows``, and what ``then()`` gives before the read's transaction ends (None without ``then``).

        On SQLite the read then runs in a transaction of its own, so ``then`` runs while the read's shared lock
        still holds: no writer can be half-way through writing the file, and what ``then`` reads of it (its
        change counter: data.stamps_memo) belongs to the rows' snapshot.

        A connection the server has dropped (a restart, a failover) is invalidated and the read tried once more
        on a new one: a read can always be sent again, and the read engine has no pre-ping to catch it first.
        """
        try:
            return self._read(statement, params, then)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            return self._read(statement, params, then)

    def _read(self, statement: Select, params: Mapping[str, Any],
              then: Callable[[], _T] | None) -> tuple[list[tuple], _T | None]:
        dialect = self._engine.dialect
        sql, arguments = _compiled_for(statement, dialect)
        values = arguments(params)
        if self._connection is None:
            try:
                self._connection = self._engine.raw_connection()  # the pool's checkout
            except dialect.loaded_dbapi.Error as exc:  # the pool hands the driver's error over unwrapped
                raise DBAPIError.instance(None, None, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc
        connection = self._connection
        cursor = None
        try:
            cursor = connection.cursor()
            if then is not None and dialect.name == "sqlite":
                cursor.execute("BEGIN")  # sqlite3 begins none before a SELECT: its lock would end with the rows
            cursor.execute(sql, values)
            found = cursor.fetchall()
            seen = then() if then is not None else None
            cursor.close()
            if not self._autocommit:
                connection.rollback()  # the read's transaction ends here
            return found, seen
        except dialect.loaded_dbapi.Error as exc:
            gone = dialect.is_disconnect(exc, connection.dbapi_connection, cursor)
            # The cursor before the connection: once an invalidated connection is closed, sqlite3 refuses to
            # close its cursors, and that error would replace this one (no retry, a 500 instead of a 503).
            if cursor is not None:
                with contextlib.suppress(dialect.loaded_dbapi.Error):
                    cursor.close()
            self.close(invalidate=exc if gone else None)
            raise DBAPIError.instance(sql, values, exc, dialect.loaded_dbapi.Error, connection_invalidated=gone,
                                      dialect=dialect) from exc

    def scalars(self, statement: Select, params: Mapping[str, Any]) -> list:
        """The first column of ``rows``."""
        return [row[0] for row in self.rows(statement, params)]

    def close(self, invalidate: BaseException | None = None) -> None:
        """Give the connection back to the pool (or, after a disconnect, make the pool drop it)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if invalidate is not None:
            connection.invalidate(invalidate)
        connection.close()


def _compiled_for(statement: Select, dialect: Any) -> _Compiled:
    key = (statement, dialect.name, dialect.paramstyle)  # by identity: a statement is compiled once
    found = _compiled.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        # The statement's own literals (a constant in a WHERE), the caller's values put over them per read.
        fixed = compiled.construct_params(_check=False)
        if dialect.positional:
            order = tuple(compiled.positiontup or ())
            found = (compiled.string, lambda params: tuple({**fixed, **params}[name] for name in order))
        else:
            found = (compiled.string, lambda params: {**fixed, **params})
        _compiled[key] = found
    return found
