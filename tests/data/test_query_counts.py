"""Loading and saving a sheet costs a constant number of SQL statements, whatever its size."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from portal_app.data.audit import AuditContext
from portal_app.data.marks import list_examiner_components, load_mark_sheet, save_marks
from tests.data.builders import ELERI, make_sheet


@contextmanager
def counting_statements(engine):
    """Count statements sent to the database (an executemany counts once, as one round of the driver)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_for(engine, session, candidates: int, code: str) -> tuple[int, int, int]:
    allocation_id = make_sheet(session, candidates, code=code)
    session.expunge_all()
    with counting_statements(engine) as loads:
        sheet = load_mark_sheet(session, allocation_id, ELERI)
    values = {row.entry_id: str(n % 60) for n, row in enumerate(sheet.rows)}
    with counting_statements(engine) as saves:
        save_marks(session, allocation_id, ELERI, values, sheet.version, AuditContext())
        session.commit()
    with counting_statements(engine) as lists:
        list_examiner_components(session, ELERI)
    return len(loads), len(saves), len(lists)


def test_load_and_save_do_not_grow_from_10_to_1000_candidates(engine, session):
    small = statements_for(engine, session, 10, "9521/01")
    large = statements_for(engine, session, 1000, "9522/01")
    assert large == small
    assert small[0] <= 5 and small[1] <= 10
