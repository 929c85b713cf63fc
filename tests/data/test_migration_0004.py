"""Revision 0004 on a database with data in it, on SQLite and PostgreSQL: every examined centre gets one owner,
submitted work keeps its submission, overlaps are resolved without moving submitted work, and nothing is lost."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import MetaData, insert, select

from portal_app.data import init_engine
from portal_app.data.migrate import alembic_config

TENANT = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
SUBMITTED_AT = datetime(2017, 2, 9, 12, 0, tzinfo=UTC)


def fill_at_0002(engine) -> dict[str, int]:
    """A series at revision 0002: two examiners overlapping on centre B (the second submitted), a moderator."""
    tables = MetaData()
    tables.reflect(engine)
    t = tables.tables
    with engine.begin() as db:
        series = db.execute(insert(t["series"]).values(code="JAN17", title="GCSE JANUARY 2017")).inserted_primary_key[0]
        component = db.execute(insert(t["component"]).values(series_id=series, code="9521/01", title="LATIN",
                                                             max_mark=60)).inserted_primary_key[0]
        centres = [db.execute(insert(t["centre"]).values(number=n, name=f"Ysgol {n}")).inserted_primary_key[0]
                   for n in ("68001", "68002")]
        entries = []
        for centre in centres:
            candidate = db.execute(insert(t["candidate"]).values(centre_id=centre, number="0001", name="A N Other")
                                   ).inserted_primary_key[0]
            entry = db.execute(insert(t["entry"]).values(candidate_id=candidate, component_id=component)
                               ).inserted_primary_key[0]
            db.execute(insert(t["mark"]).values(entry_id=entry, examiner_mark=10, version=7, moderated_version=0))
            entries.append(entry)

        def allocation(oid: str, role: str, status: str, version: int) -> int:
            return db.execute(insert(t["allocation"]).values(
                tenant_id=TENANT, object_id=oid, email=f"{oid[:4]}@example.org", component_id=component, role=role,
                status=status, version=version, submitted_at=SUBMITTED_AT if status == "submitted" else None,
            )).inserted_primary_key[0]

        first = allocation("11111111-1111-4111-8111-111111111111", "examiner", "draft", 3)
        second = allocation("77777777-7777-4777-8777-777777777777", "examiner", "submitted", 9)
        moderator = allocation("22222222-2222-4222-8222-222222222222", "moderator", "draft", 0)
        for allocation_id, centre in [(first, centres[0]), (first, centres[1]), (second, centres[1]),
                                      (moderator, centres[0]), (moderator, centres[1])]:
            db.execute(insert(t["allocation_centre"]).values(allocation_id=allocation_id, centre_id=centre))
    return {"first": first, "second": second, "moderator": moderator, "centre_a": centres[0],
            "centre_b": centres[1], "entry_b": entries[1], "entry_a": entries[0]}


def test_upgrading_to_0004_gives_each_examined_centre_one_owner_and_keeps_the_data(empty_db_url):
    config = alembic_config(empty_db_url)
    command.upgrade(config, "0002")
    engine = init_engine(empty_db_url)
    ids = fill_at_0002(engine)
    command.upgrade(config, "0004")

    tables = MetaData()
    tables.reflect(engine)
    t = tables.tables
    with engine.connect() as db:
        held = {(r.allocation_id, r.centre_id): r for r in db.execute(select(t["examiner_centre"]))}
        links = set(db.execute(select(t["allocation_centre"].c.allocation_id, t["allocation_centre"].c.centre_id)))
        marks = {r.entry_id: r for r in db.execute(select(t["mark"]))}
        audit = list(db.execute(select(t["audit_log"])))
    engine.dispose()

    # Centre B was submitted by the second examiner: it stays theirs, submitted at the allocation's time.
    assert set(held) == {(ids["first"], ids["centre_a"]), (ids["second"], ids["centre_b"])}
    b = held[(ids["second"], ids["centre_b"])]
    assert b.status == "submitted" and b.submitted_at.replace(tzinfo=UTC) == SUBMITTED_AT
    assert held[(ids["first"], ids["centre_a"])].status == "open"
    # The first examiner lost centre B (audited); the moderator's centres are untouched.
    assert (ids["first"], ids["centre_b"]) not in links
    assert {(ids["moderator"], ids["centre_a"]), (ids["moderator"], ids["centre_b"])} <= links
    assert [(a.entity, a.entity_id, a.field, a.actor_object_id) for a in audit] == [
        ("allocation", ids["first"], "centre:68002", "migration 0004")]
    # Marks are kept, scripts count as received; the moved entry now carries its owner's sheet version.
    assert marks[ids["entry_b"]].examiner_mark == 10 and marks[ids["entry_b"]].version == 9
    assert marks[ids["entry_a"]].version == 7 and all(m.script_received for m in marks.values())


def test_0004_downgrades_cleanly_and_upgrades_again(empty_db_url):
    config = alembic_config(empty_db_url)
    command.upgrade(config, "0002")
    engine = init_engine(empty_db_url)
    fill_at_0002(engine)
    command.upgrade(config, "0004")
    command.downgrade(config, "0002")
    tables = MetaData()
    tables.reflect(engine)
    assert "examiner_centre" not in tables.tables and "script_received" not in tables.tables["mark"].c
    command.upgrade(config, "0004")
    tables = MetaData()
    tables.reflect(engine)
    assert "examiner_centre" in tables.tables
    engine.dispose()
