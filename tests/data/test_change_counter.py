"""data.change_counter: a SQLite file's change counter moves at every commit of any connection, never at a read,
and vouches for nothing where SQLite does not promise that it moves (WAL mode, a file that is not a database)."""

from __future__ import annotations

import sqlite3

import pytest

from portal_app.data.change_counter import ChangeCounter, for_url


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "counted.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
    connection.close()
    return path


def write(path, rows: int = 1) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany("INSERT INTO t (body) VALUES (?)", [(b"x" * 100,)] * rows)
    connection.close()


def test_the_counter_moves_at_every_commit_of_another_connection_and_not_at_reads(database):
    counter = ChangeCounter(database)
    first = counter.read()
    reader = sqlite3.connect(database)
    reader.execute("SELECT count(*) FROM t").fetchall()
    assert counter.read() == first
    seen = {first}
    for _ in range(3):
        write(database)
        now = counter.read()
        assert now not in seen
        seen.add(now)
    reader.close()
    counter.close()


def test_a_write_in_flight_shows_at_most_committed_plus_one_and_its_rollback_puts_the_counter_back(database):
    """What data.stamps_memo's rule rests on: a writer puts no counter but committed + 1 into the file, even when
    its transaction is bigger than its page cache and spills into the file before it commits."""
    counter = ChangeCounter(database)
    committed = int.from_bytes(counter.read(), "big")
    size = database.stat().st_size
    writer = sqlite3.connect(database)
    writer.execute("PRAGMA cache_size = 10")  # pages: the inserts below spill into the file before any commit
    writer.execute("BEGIN")
    writer.executemany("INSERT INTO t (body) VALUES (?)", [(b"y" * 1000,)] * 200)
    assert database.stat().st_size > size  # the uncommitted pages are in the file
    assert int.from_bytes(counter.read(), "big") in (committed, committed + 1)
    writer.rollback()
    assert int.from_bytes(counter.read(), "big") == committed
    writer.close()
    counter.close()


def test_a_file_in_wal_mode_vouches_for_nothing(database):
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.close()
    assert ChangeCounter(database).read() is None


@pytest.mark.parametrize("content", [b"", b"not a database at all, but long enough to hold a header " * 4])
def test_a_file_that_is_not_a_database_vouches_for_nothing(tmp_path, content):
    path = tmp_path / "other.sqlite3"
    path.write_bytes(content)
    assert ChangeCounter(path).read() is None


def test_a_file_not_created_yet_vouches_for_nothing_until_it_is(tmp_path):
    path = tmp_path / "later.sqlite3"
    counter = ChangeCounter(path)
    assert counter.read() is None
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    connection.close()
    assert counter.read() is not None
    counter.close()


@pytest.mark.parametrize("url", ["postgresql://localhost/portal", "sqlite://", "sqlite:///:memory:",
                                 "sqlite:///file:shared?mode=memory&cache=shared&uri=true"])
def test_only_a_sqlite_file_has_a_counter(url):
    assert for_url(url) is None


def test_a_sqlite_url_names_its_file(tmp_path):
    assert for_url(f"sqlite:///{tmp_path / 'portal.sqlite3'}").path == tmp_path / "portal.sqlite3"
