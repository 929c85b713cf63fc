"""Change stamps (portal_app/data/change_stamps.py): every write to a list's data moves its component's stamp,
on SQLite and PostgreSQL, whoever writes, because the database's own triggers move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from portal_app.data.audit import Appointee, AuditContext
from portal_app.data.change_stamps import RULES, SHARED, UNSTAMPED, installed_triggers, stamps_of
from portal_app.data.deadlines import grant_extension
from portal_app.data.migrate import alembic_config
from portal_app.data.models import Allocation, Base

EXAMINER = Appointee("3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70", "11111111-1111-4111-8111-111111111111")


def stamps(engine) -> dict[int, int]:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT component_id, version FROM change_stamp")).all())


def component_of(connection, table: str, row) -> int:
    """The component a row belongs to, worked out here from the rule's words, not from the trigger's SQL."""
    rule = RULES[table]
    if rule.column is None:
        return SHARED
    value = row._mapping[rule.column]
    if rule.via is None:
        return value
    return connection.execute(text(f"SELECT component_id FROM {rule.via} WHERE id = :id"), {"id": value}).scalar_one()


def test_every_table_is_either_stamped_or_named_with_the_reason_it_is_not():
    tables = set(Base.metadata.tables)
    assert set(RULES) | set(UNSTAMPED) == tables
    assert not set(RULES) & set(UNSTAMPED)


def test_at_head_every_stamped_table_has_its_triggers_and_no_other_table_has_any(demo_engine):
    with demo_engine.connect() as connection:
        found = installed_triggers(connection)
        postgresql = connection.dialect.name == "postgresql"
    events = ("insert", "update", "delete", "truncate") if postgresql else ("insert", "update", "delete")
    assert found == {f"stamp_{table}_{event}" for table in RULES for event in events}


def test_an_update_of_any_row_of_any_stamped_table_moves_its_components_stamp_and_no_other(demo_engine):
    inspector = inspect(demo_engine)
    tried = []
    for table in RULES:
        with demo_engine.connect() as connection:
            row = connection.execute(text(f"SELECT * FROM {table} LIMIT 1")).first()
            if row is None:
                continue  # empty in the demo data: the tests below write these through the data layer
            component = component_of(connection, table, row)
        key = inspector.get_pk_constraint(table)["constrained_columns"]
        column = next((c["name"] for c in inspector.get_columns(table) if c["name"] not in key), key[0])
        before = stamps(demo_engine)
        with demo_engine.begin() as connection:  # a write that changes nothing still counts: it may have
            connection.execute(text(f"UPDATE {table} SET {column} = {column} WHERE "
                                    + " AND ".join(f"{k} = :{k}" for k in key)), {k: row._mapping[k] for k in key})
        after = stamps(demo_engine)
        moved = {c for c in after if after[c] != before.get(c)}
        assert moved == {component}, table
        tried.append(table)
    assert len(tried) >= 13, tried  # every table the demo data fills


def test_inserting_and_deleting_a_row_move_the_stamp_too(demo_engine):
    with demo_engine.connect() as connection:
        entry, component = connection.execute(text("SELECT id, component_id FROM entry LIMIT 1")).one()
    before = stamps(demo_engine)
    with demo_engine.begin() as connection:
        connection.execute(text("DELETE FROM mark WHERE entry_id = :e"), {"e": entry})
    deleted = stamps(demo_engine)
    with demo_engine.begin() as connection:
        connection.execute(text("INSERT INTO mark (entry_id, version, moderated_version, centre_version, "
                                "script_received) VALUES (:e, 0, 0, 0, :t)"), {"e": entry, "t": True})
    inserted = stamps(demo_engine)
    assert before[component] < deleted[component] < inserted[component]
    assert {c: v for c, v in inserted.items() if c != component} == {c: v for c, v in before.items()
                                                                       if c != component}


def test_one_statement_writing_many_rows_moves_each_stamp_it_touches(demo_engine):
    with demo_engine.connect() as connection:
        components = set(connection.execute(text("SELECT DISTINCT component_id FROM entry")).scalars())
    before = stamps(demo_engine)
    with demo_engine.begin() as connection:
        connection.execute(text("UPDATE mark SET version = version + 1"))
    after = stamps(demo_engine)
    assert {c for c in after if after[c] > before.get(c, 0)} == components


def test_an_extension_granted_through_the_data_layer_moves_the_allocations_component(demo_engine):
    with Session(demo_engine) as session:
        allocation = session.scalars(select(Allocation).where(Allocation.role == "examiner")).first()
        allocation.component.marks_due_at = datetime.now(UTC) + timedelta(days=1)
        session.commit()
        before = stamps(demo_engine)
        grant_extension(session, allocation, Appointee("t", "leader"), datetime.now(UTC) + timedelta(days=3),
                        "ill", datetime.now(UTC), AuditContext(None, None))
        session.commit()
        assert stamps(demo_engine)[allocation.component_id] > before.get(allocation.component_id, 0)


def test_a_rolled_back_write_moves_nothing(demo_engine):
    before = stamps(demo_engine)
    with demo_engine.connect() as connection:
        connection.execute(text("UPDATE mark SET version = version + 1"))
        connection.rollback()
    assert stamps(demo_engine) == before


def test_an_appointees_stamps_are_their_components_and_the_shared_one_and_grow_with_a_new_allocation(demo_engine):
    with demo_engine.connect() as connection:
        mine = set(connection.execute(text("SELECT component_id FROM allocation WHERE object_id = :o"),
                                      {"o": EXAMINER.oid}).scalars())
        other = connection.execute(text("SELECT id FROM component WHERE id NOT IN (SELECT component_id FROM "
                                        "allocation WHERE object_id = :o) LIMIT 1"), {"o": EXAMINER.oid}).scalar_one()
        first = stamps_of(connection, EXAMINER)
    assert {c for c, _ in first} == mine | {SHARED}
    with demo_engine.begin() as connection:
        connection.execute(text("INSERT INTO allocation (tenant_id, object_id, email, component_id, role, status, "
                                "version) VALUES (:t, :o, 'e@x', :c, 'examiner', 'draft', 0)"),
                           {"t": EXAMINER.tid, "o": EXAMINER.oid, "c": other})
    with demo_engine.connect() as connection:
        assert {c for c, _ in stamps_of(connection, EXAMINER)} == mine | {SHARED, other}


@pytest.mark.parametrize("empty_db_url", ["postgresql"], indirect=True)  # SQLite has no TRUNCATE
def test_on_postgresql_truncate_moves_the_shared_stamp(demo_engine):
    before = stamps(demo_engine)
    with demo_engine.begin() as connection:
        connection.execute(text("TRUNCATE exported_mark"))
    assert stamps(demo_engine)[SHARED] > before.get(SHARED, 0)


def test_a_write_after_a_rolled_back_savepoint_still_moves_the_stamp(demo_engine):
    """On PostgreSQL a stamp moves once per transaction; a savepoint rolled back takes its move with it."""
    with demo_engine.connect() as connection:
        entry, component = connection.execute(text("SELECT id, component_id FROM entry LIMIT 1")).one()
    before = stamps(demo_engine)
    with demo_engine.connect() as connection, connection.begin():
        savepoint = connection.begin_nested()
        connection.execute(text("UPDATE mark SET version = version + 1 WHERE entry_id = :e"), {"e": entry})
        savepoint.rollback()
        connection.execute(text("UPDATE mark SET version = version + 1 WHERE entry_id = :e"), {"e": entry})
    assert stamps(demo_engine)[component] > before.get(component, 0)


def test_0006_downgrades_to_no_triggers_and_no_stamps_and_upgrades_again(demo_engine, empty_db_url):
    config = alembic_config(empty_db_url)
    command.downgrade(config, "0005")
    with demo_engine.connect() as connection:
        assert installed_triggers(connection) == set()
        assert "change_stamp" not in inspect(connection).get_table_names()
    with demo_engine.begin() as connection:  # the data is written as before, with nothing to stamp
        connection.execute(text("UPDATE mark SET version = version + 1"))
    command.upgrade(config, "head")
    with demo_engine.connect() as connection:
        events = 4 if demo_engine.dialect.name == "postgresql" else 3
        assert len(installed_triggers(connection)) == len(RULES) * events
