"""Change stamps: a counter per component that the database moves on at every write to the component's data.

The mark lists (EMI, IAMIS) are rendered once and kept per process under a key that holds the stamps of the
components the user's page is made of (``stamps_of``): one small statement per view says whether anything a
list shows has changed since, and a change made anywhere (a page of another worker, ``portal import`` in
another process, a fix typed into psql) makes a new key at the next page load. The stamps are moved by
triggers, not by the code that writes, so no writer can forget them.

Each stamped table finds the component its rows belong to by a rule (``RULES``): its own ``component_id``,
its entry's or its allocation's component, or, for data that many components share (series, centres,
candidates, exports), the shared stamp ``SHARED``, which every list's key includes. An update stamps the
components of the row before and after it. On PostgreSQL the triggers run once per statement over its
changed rows and move each stamp once per transaction (an import of thousands of marks moves it once);
TRUNCATE stamps ``SHARED``. SQLite, which has only row triggers, moves a stamp once per row.

What it costs a writer (measured on this machine, a bulk ORM update of marks as a sheet save sends it, best
of 12): on PostgreSQL about 0.12 ms per statement (900 marks 154 -> 199 ms; 20 marks 5.9 -> 8.3 ms), on SQLite
about 8 microseconds per row (900 marks 11.4 -> 18.6 ms). Writers of one component take turns on its stamp
row until they commit (a short wait, the length of a mark save); readers never wait for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import BigInteger, Connection, Integer, bindparam, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal_app.data.audit import Appointee
from portal_app.data.models import Allocation, Base, TeamMembership
from portal_app.data.quick_reads import QuickReads

_T = TypeVar("_T")
SHARED = 0  # the stamp of data no single component owns; component ids start at 1
TABLE = "change_stamp"


class ChangeStamp(Base):
    """How many times the data of one component (or, for ``SHARED``, shared data) has been written."""

    __tablename__ = TABLE
    component_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


@dataclass(frozen=True)
class Rule:
    """How a row of a table names its component: ``column`` of the row itself, or of its row in ``via``.

    ``via`` is "entry" or "allocation" (the row's ``column`` is that table's id); ``column`` None: ``SHARED``.
    """

    column: str | None
    via: str | None = None


OWN_COMPONENT, SHARED_DATA = Rule("component_id"), Rule(None)
# Every table but these is stamped; tests/data/test_change_stamps.py fails on a table in neither.
UNSTAMPED = {
    "audit_log": "who changed what, written beside a change that stamps; no list shows it",
    "favourite_service": "the header menu reads favourites at every view",
    TABLE: "the stamps themselves",
}
RULES: Mapping[str, Rule] = {
    "series": SHARED_DATA,
    "centre": SHARED_DATA,
    "candidate": SHARED_DATA,
    "marks_export": SHARED_DATA,
    "moderation_export": SHARED_DATA,
    "moderation_export_item": SHARED_DATA,
    "component": Rule("id"),
    "component_status_code": OWN_COMPONENT,
    "entry": OWN_COMPONENT,
    "allocation": OWN_COMPONENT,
    "examiner_centre": OWN_COMPONENT,
    "team_membership": OWN_COMPONENT,
    "mark": Rule("entry_id", via="entry"),
    "exported_mark": Rule("entry_id", via="entry"),
    "moderation_sample": Rule("entry_id", via="entry"),
    "allocation_centre": Rule("allocation_id", via="allocation"),
    "marking_extension": Rule("allocation_id", via="allocation"),
    "moderation_report": Rule("allocation_id", via="allocation"),
}

# --- reading -------------------------------------------------------------------------------------------------

_TID, _OID = bindparam("tid"), bindparam("oid")
# The stamps of the components the user is allocated to or leads a team in, and the shared one: what their
# EMI and IAMIS lists are made of. One statement, so the stamps and the set of components come from one
# snapshot; a new allocation stamps its component, so it shows here too.
_STAMPS_OF = (
    select(ChangeStamp.component_id, ChangeStamp.version)
    .where(or_(
        ChangeStamp.component_id == SHARED,
        ChangeStamp.component_id.in_(
            select(Allocation.component_id).where(Allocation.tenant_id == _TID, Allocation.object_id == _OID)),
        ChangeStamp.component_id.in_(
            select(TeamMembership.component_id)
            .where(TeamMembership.leader_tenant_id == _TID, TeamMembership.leader_object_id == _OID)),
    ))
    .order_by(ChangeStamp.component_id)
)


def stamps_of(reader: QuickReads | Session | Connection, appointee: Appointee) -> tuple[tuple[int, int], ...]:
    """(component id, version) of everything the appointee's lists show: part of their cache key.

    Read before the data it stands for: a write committed in between makes the next view's key newer than the
    entry, never the other way round. Pages read it through ``data.stamps_memo`` (the driver's cursor, and on
    SQLite only once the file has been written since).
    """
    if isinstance(reader, QuickReads):
        return stamps_and(reader, appointee, None)[0]
    return tuple((c, v) for c, v in reader.execute(_STAMPS_OF, {"tid": appointee.tid, "oid": appointee.oid}))


def stamps_and(reader: QuickReads, appointee: Appointee,
               then: Callable[[], _T] | None) -> tuple[tuple[tuple[int, int], ...], _T | None]:
    """``stamps_of``, and ``then()`` called in the same read (QuickReads.rows_and: on SQLite, under its lock)."""
    found, seen = reader.rows_and(_STAMPS_OF, {"tid": appointee.tid, "oid": appointee.oid}, then)
    return tuple((c, v) for c, v in found), seen


# --- the triggers --------------------------------------------------------------------------------------------

# The rows a row trigger sees per event (SQLite); the events themselves, for both databases.
_ROWS = {"insert": ("NEW",), "update": ("NEW", "OLD"), "delete": ("OLD",)}
_EVENTS = tuple(_ROWS)


def _components(rule: Rule, rows: str) -> str:
    """SQL selecting, as c, the component ids of ``rows`` (a transition table of a statement trigger)."""
    if rule.column is None:
        return f"SELECT {SHARED} AS c FROM {rows} r"
    if rule.via is None:
        return f"SELECT r.{rule.column} AS c FROM {rows} r WHERE r.{rule.column} IS NOT NULL"
    return f"SELECT v.component_id AS c FROM {rows} r JOIN {rule.via} v ON v.id = r.{rule.column}"


def _row_components(rule: Rule, rows: tuple[str, ...]) -> str:
    """SQL selecting, as c, the component ids of a row trigger's NEW and/or OLD row."""
    if rule.column is None:
        return f"SELECT {SHARED} AS c"
    if rule.via is None:
        return " UNION ".join(f"SELECT {row}.{rule.column} AS c WHERE {row}.{rule.column} IS NOT NULL" for row in rows)
    ids = ", ".join(f"{row}.{rule.column}" for row in rows)
    return f"SELECT v.component_id AS c FROM {rule.via} v WHERE v.id IN ({ids})"


def _sqlite_bump(select_components: str) -> str:
    # DISTINCT: one statement may move a stamp once. WHERE true: SQLite's documented way to tell the upsert's
    # ON CONFLICT from a join's ON.
    return (f"INSERT INTO {TABLE} (component_id, version) SELECT DISTINCT c, 1 FROM ({select_components}) AS s "
            f"WHERE true ON CONFLICT (component_id) DO UPDATE SET version = version + 1")


def sqlite_statements(table: str, rule: Rule) -> list[str]:
    """CREATE TRIGGER statements stamping ``table``'s writes on SQLite (row triggers, one per event)."""
    return [f"CREATE TRIGGER stamp_{table}_{event} AFTER {event.upper()} ON {table} FOR EACH ROW "
            f"BEGIN {_sqlite_bump(_row_components(rule, rows))}; END"
            for event, rows in _ROWS.items()]


def postgresql_statements(table: str, rule: Rule) -> list[str]:
    """A function and statement triggers (with transition tables) stamping ``table``'s writes on PostgreSQL."""
    loops = {rows: f"FOR c IN SELECT DISTINCT s.c FROM ({_components(rule, rows)}) AS s ORDER BY 1 LOOP "
                   f"PERFORM stamp_component(c); END LOOP;" for rows in ("new_rows", "old_rows")}
    function = (
        f"CREATE FUNCTION stamp_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE c integer; BEGIN "
        f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {loops['new_rows']} END IF; "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {loops['old_rows']} END IF; "
        f"RETURN NULL; END $$")
    referencing = {"insert": "NEW TABLE AS new_rows", "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                   "delete": "OLD TABLE AS old_rows"}
    triggers = [f"CREATE TRIGGER stamp_{table}_{event} AFTER {event.upper()} ON {table} "
                f"REFERENCING {referencing[event]} FOR EACH STATEMENT EXECUTE FUNCTION stamp_{table}()"
                for event in _EVENTS]
    truncate = (f"CREATE TRIGGER stamp_{table}_truncate AFTER TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION stamp_shared()")
    return [function, *triggers, truncate]


# Once per component per transaction: readers see a transaction's writes together at its commit, so one move
# stands for all of them, and a sheet save sent as hundreds of one-row UPDATEs (psycopg2's executemany) takes
# one stamp row's lock and writes it once instead of hundreds of times. The trigger's own call per statement
# remains (about 0.12 ms: the module docstring). The flag is a transaction-local setting: it ends, or rolls
# back with a savepoint, together with the move it records.
_POSTGRESQL_FUNCTIONS = (
    "CREATE FUNCTION stamp_component(c integer) RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
    "IF current_setting('portal_stamp.c' || c, true) IS DISTINCT FROM 'y' THEN "
    f"INSERT INTO {TABLE} (component_id, version) VALUES (c, 1) "
    f"ON CONFLICT (component_id) DO UPDATE SET version = {TABLE}.version + 1; "
    "PERFORM set_config('portal_stamp.c' || c, 'y', true); END IF; END $$",
    "CREATE FUNCTION stamp_shared() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"PERFORM stamp_component({SHARED}); RETURN NULL; END $$",
)


def install(connection: Connection, rules: Mapping[str, Rule]) -> None:
    """Create the triggers of ``rules`` (a migration's own copy, as the schema stood at that revision)."""
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        for function in _POSTGRESQL_FUNCTIONS:
            connection.exec_driver_sql(function)
    for table, rule in rules.items():
        for statement in (postgresql_statements if postgresql else sqlite_statements)(table, rule):
            connection.exec_driver_sql(statement)


def uninstall(connection: Connection, tables: list[str]) -> None:
    """Drop the triggers (and on PostgreSQL their functions) of ``tables``."""
    postgresql = connection.dialect.name == "postgresql"
    for table in tables:
        if postgresql:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS stamp_{table}() CASCADE")
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS stamp_{table}_truncate ON {table}")
        else:
            for event in _EVENTS:
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS stamp_{table}_{event}")
    if postgresql:
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS stamp_shared() CASCADE")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS stamp_component(integer)")


def installed_triggers(connection: Connection) -> set[str]:
    """The names of the stamp triggers in the database (for the checks that every stamped table has its own)."""
    if connection.dialect.name == "postgresql":
        found = connection.exec_driver_sql(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND substr(tgname, 1, 6) = 'stamp_'")
    else:
        found = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, 6) = 'stamp_'")
    return {name for (name,) in found}
