"""Migration 0003 on a database that holds data (SQLite and PostgreSQL): today's centre marks move to their own
columns without loss, completed reports stay completed, and an entry found in two samples keeps one, audited."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from portal_app.data import init_engine
from portal_app.data.migrate import alembic_config
from portal_app.data.models import Base

T = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
DONE = datetime(2026, 6, 20, 14, 30, tzinfo=UTC)
# Today's data, as revision 0002 holds it: an examined component (EX) with an examiner, an internally assessed one
# (IA) with two moderators who both sampled entry 3, and one (MIX) with an examiner and a moderator.
ROWS = [
    "INSERT INTO series (id, code, title) VALUES (1, 'JUN17', 'GCSE JUNE 2017')",
    "INSERT INTO component (id, series_id, code, title, max_mark) VALUES (1, 1, 'EX', 'Examined', 60), "
    "(2, 1, 'IA', 'Assessed', 80), (3, 1, 'MIX', 'Both', 50)",
    "INSERT INTO component_status_code (component_id, code, meaning) VALUES (2, 'CF', 'Carried forward')",
    "INSERT INTO centre (id, number, name) VALUES (1, '68101', 'Ysgol Un')",
    "INSERT INTO candidate (id, centre_id, number, name) VALUES (1, 1, '0001', 'A'), (2, 1, '0002', 'B'), "
    "(3, 1, '0003', 'C')",
    "INSERT INTO entry (id, candidate_id, component_id) VALUES (1, 1, 1), (2, 1, 2), (3, 2, 2), (4, 3, 2), "
    "(5, 1, 3)",
    "INSERT INTO mark (id, entry_id, examiner_mark, status_code, moderated_mark, version, moderated_version) VALUES "
    "(1, 1, 41, NULL, NULL, 3, 0), (2, 2, 70, NULL, 68, 0, 2), (3, 3, NULL, 'CF', NULL, 0, 0), "
    "(4, 4, 12, NULL, NULL, 0, 0), (5, 5, 33, NULL, NULL, 1, 0)",
    f"INSERT INTO allocation (id, tenant_id, object_id, email, component_id, role, status, version) VALUES "
    f"(1, '{T}', 'e1', 'e1@x.org', 1, 'examiner', 'submitted', 3), "
    f"(2, '{T}', 'm1', 'm1@x.org', 2, 'moderator', 'draft', 2), "
    f"(3, '{T}', 'm2', 'm2@x.org', 2, 'moderator', 'draft', 0), "
    f"(4, '{T}', 'e2', 'e2@x.org', 3, 'examiner', 'draft', 1), "
    f"(5, '{T}', 'm3', 'm3@x.org', 3, 'moderator', 'draft', 0)",
    "INSERT INTO allocation_centre (allocation_id, centre_id, report_completed_at) VALUES (1, 1, NULL), "
    "(2, 1, :done), (3, 1, NULL), (4, 1, NULL), (5, 1, NULL)",
    "INSERT INTO moderation_sample (allocation_id, entry_id) VALUES (2, 2), (2, 4), (3, 4), (3, 3)",
]


def rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_upgrade_moves_centre_marks_reports_and_samples_without_loss_and_downgrade_restores(empty_db_url):
    config = alembic_config(empty_db_url)
    command.upgrade(config, "0002")
    engine = init_engine(empty_db_url)
    with engine.begin() as conn:
        for statement in ROWS:
            conn.execute(text(statement), {"done": DONE} if ":done" in statement else {})
    command.upgrade(config, "0003")

    assert rows(engine, "SELECT code, assessment_type, tolerance FROM component ORDER BY id") == [
        ("EX", "examined", None), ("IA", "internally_assessed", None), ("MIX", "internally_assessed", None)]
    marks = "SELECT entry_id, examiner_mark, status_code, centre_mark, centre_code, moderated_mark FROM mark ORDER BY 1"
    assert rows(engine, marks) == [
        (1, 41, None, None, None, None),   # examined: the examiner's mark stays where it was
        (2, None, None, 70, None, 68),     # internally assessed: the centre's mark moves, the moderated one stays
        (3, None, None, None, "CF", None),
        (4, None, None, 12, None, None),
        (5, 33, None, 33, None, None),     # an examiner is allocated too: nothing they typed is dropped
    ]
    reports = "SELECT allocation_id, centre_id, status, submitted_at IS NOT NULL FROM moderation_report ORDER BY 1"
    assert rows(engine, reports) == [(2, 1, "submitted", True), (3, 1, "draft", False), (5, 1, "draft", False)]
    samples = "SELECT allocation_id, entry_id, reason, work, replaced_by_entry_id FROM moderation_sample ORDER BY 2"
    assert rows(engine, samples) == [(2, 2, "generated", "received", None), (3, 3, "generated", "received", None),
                                     (2, 4, "generated", "received", None)]
    audit = "SELECT actor_tenant_id, entity, entity_id, field, old_value, new_value FROM audit_log"
    assert rows(engine, audit) == [("migration", "moderation_sample", 4, "sample", "allocation 3", None)]
    command.upgrade(config, "head")  # later migrations build on 0003: the models describe the head
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diffs == []

    command.downgrade(config, "0002")
    assert rows(engine, "SELECT entry_id, examiner_mark, status_code, moderated_mark FROM mark ORDER BY 1") == [
        (1, 41, None, None), (2, 70, None, 68), (3, None, "CF", None), (4, 12, None, None), (5, 33, None, None)]
    completed = rows(engine, "SELECT allocation_id FROM allocation_centre WHERE report_completed_at IS NOT NULL")
    assert completed == [(2,)]
    engine.dispose()
