"""Engines and sessions for the data layer: a SQLite file by default, PostgreSQL through DATABASE_URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Pin PostgreSQL URLs to psycopg2, the driver in requirements.txt; accept the ``postgres://`` spelling.

    SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, which is not installed.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def init_engine(url: str) -> Engine:
    """An engine for ``url``; on SQLite, foreign keys are enforced as they are on PostgreSQL."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # The sheet save is one short transaction; wait for a concurrent writer instead of failing at once.
        engine = create_engine(url, connect_args={"timeout": 15})
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_engine(url, pool_pre_ping=True)


def init_read_engine(url: str, engine: Engine) -> Engine:
    """The engine of the small reads pages make at every view (portal_app.data.quick_reads).

    On PostgreSQL an engine of its own: in autocommit, so a read of one statement is one round trip (no BEGIN
    before it, no ROLLBACK after), and without the pool's pre-ping (one more round trip per checkout); a read
    that meets a connection the server has dropped is tried once more on a new one instead. Measured in
    process, a page's stamps read: 650-950 -> 330-355 microseconds of wall time, 260-370 -> 110-120 of CPU.
    On SQLite the main engine (a read there is no round trip).
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return engine
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=False)


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    # SQLite ignores REFERENCES unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit (views render after the transaction)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block succeeds, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
