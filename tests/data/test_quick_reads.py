"""data.quick_reads: a failed read comes out as SQLAlchemy's DBAPIError, marked when the connection was lost."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.exc import DBAPIError

from portal_app.data.db import init_engine
from portal_app.data.quick_reads import QuickReads

_MISSING = Table("never_created", MetaData(), Column("id", Integer))
_NOT_THERE = select(_MISSING.c.id)


@pytest.fixture
def engine(tmp_path):
    engine = init_engine(f"sqlite:///{tmp_path / 'reads.sqlite3'}")
    yield engine
    engine.dispose()


def test_a_lost_connection_is_reported_as_lost_after_the_read_is_tried_again(engine, monkeypatch):
    """The driver's error, once the connection is invalidated and closed, is still the one raised: closing the
    read's cursor after its connection made sqlite3 raise a ProgrammingError of its own instead."""
    monkeypatch.setattr(engine.dialect, "is_disconnect", lambda *args: True)  # every failure a lost connection
    reads = QuickReads(engine)
    with pytest.raises(DBAPIError) as raised:
        reads.rows(_NOT_THERE, {})
    assert raised.value.connection_invalidated
    assert "never_created" in str(raised.value.orig)


def test_a_failed_read_leaves_the_connection_usable_for_the_next(engine):
    reads = QuickReads(engine)
    with pytest.raises(DBAPIError) as raised:
        reads.rows(_NOT_THERE, {})
    assert not raised.value.connection_invalidated
    assert reads.scalars(select(1), {}) == [1]
    reads.close()
