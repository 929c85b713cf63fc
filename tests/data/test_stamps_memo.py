"""data.stamps_memo: an appointee's change stamps are read again only once the database has been written. On SQLite
a second look with nothing written anywhere costs no statement; a write by any connection, to anyone's data, makes
the next look read again and see it. PostgreSQL has no counter to ask, so every look reads. Counted, never timed."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from portal_app.data.audit import Appointee
from portal_app.data.change_counter import for_url
from portal_app.data.change_stamps import stamps_of
from portal_app.data.quick_reads import QuickReads
from portal_app.data.stamps_memo import StampsMemo
from tests.data.test_change_stamps import EXAMINER
from tests.support.sql import counting_statements


@pytest.fixture
def seeded_at(demo_engine, empty_db_url):
    """(url, engine) of a database at head holding the demo data."""
    return empty_db_url, demo_engine


def look(memo: StampsMemo, engine, who: Appointee = EXAMINER) -> tuple[tuple, int]:
    """(the stamps, the statements it took) for one page view's look."""
    reads = QuickReads(engine)
    with counting_statements(engine) as seen:
        found = memo.stamps_of(reads, who)
    reads.close()
    return found, len(seen)


def write_elsewhere(url: str, sql: str) -> None:
    """A write by a connection of its own, as `portal import` in another process or a fix typed into psql."""
    other = create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with other.begin() as connection:
        connection.execute(text(sql), {"oid": EXAMINER.oid})
    other.dispose()


def truth(engine) -> tuple:
    with engine.connect() as connection:
        return stamps_of(connection, EXAMINER)


def test_a_second_look_with_nothing_written_costs_no_sql_on_sqlite_and_one_read_on_postgresql(seeded_at):
    url, engine = seeded_at
    memo = StampsMemo(for_url(url))
    first, cost = look(memo, engine)
    assert first == truth(engine) and cost == 1
    again, cost = look(memo, engine)
    assert again == first
    assert cost == (0 if engine.dialect.name == "sqlite" else 1)


def test_a_write_to_the_appointees_data_by_another_connection_shows_at_the_next_look(seeded_at):
    url, engine = seeded_at
    memo = StampsMemo(for_url(url))
    before, _ = look(memo, engine)
    write_elsewhere(url, "UPDATE mark SET version = version + 1 WHERE entry_id IN (SELECT e.id FROM entry e "
                         "JOIN allocation a ON a.component_id = e.component_id WHERE a.object_id = :oid)")
    after, cost = look(memo, engine)
    assert after == truth(engine) != before and cost == 1


def test_a_write_to_anything_else_makes_the_next_look_read_again_and_find_the_same(seeded_at):
    url, engine = seeded_at
    memo = StampsMemo(for_url(url))
    before, _ = look(memo, engine)
    write_elsewhere(url, "INSERT INTO favourite_service (tenant_id, object_id, service_id, created_at) "
                         "VALUES ('t', :oid, 'somewhere', CURRENT_TIMESTAMP)")  # no list shows it: no stamp moves
    after, cost = look(memo, engine)
    assert after == before and cost == 1
    assert look(memo, engine)[1] == (0 if engine.dialect.name == "sqlite" else 1)


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_a_rolled_back_write_keeps_what_was_kept_and_a_commit_after_it_is_seen(seeded_at):
    url, engine = seeded_at
    memo = StampsMemo(for_url(url))
    before, _ = look(memo, engine)
    with engine.connect() as connection:
        connection.execute(text("UPDATE mark SET version = version + 1"))
        connection.rollback()
    assert look(memo, engine) == (before, 0)
    write_elsewhere(url, "UPDATE mark SET version = version + 1")
    after, cost = look(memo, engine)
    assert after == truth(engine) != before and cost == 1


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
def test_what_is_kept_is_bounded(seeded_at):
    url, engine = seeded_at
    memo = StampsMemo(for_url(url), max_entries=2)
    people = [Appointee(EXAMINER.tid, f"someone-{n}") for n in range(3)]
    for who in people:
        look(memo, engine, who)
    assert len(memo) == 2
    assert look(memo, engine, people[0])[1] == 1  # the oldest went first
    assert look(memo, engine, people[2])[1] == 0
