"""Loading, saving and submitting a sheet cost a constant number of SQL statements, whatever its size: counted."""

from __future__ import annotations

from datetime import UTC, datetime

from portal_app.data.audit import Appointee, AuditContext
from portal_app.data.emi_team import overseen_sheet, team_progress
from portal_app.data.export import marks_page, marks_to_export
from portal_app.data.marks import list_examiner_components, load_mark_sheet, save_marks, submit_centre
from portal_app.data.models import Allocation, TeamMembership
from tests.data.builders import ELERI, make_sheet
from tests.support.sql import counting_statements

LEADER = Appointee(ELERI.tid, "12121212-1212-4121-8121-121212121212")


def statements_for(engine, session, candidates: int, code: str, centres: int = 1) -> dict[str, int]:
    allocation_id = make_sheet(session, candidates, code=code, centres=centres)
    component_id = session.get(Allocation, allocation_id).component_id
    session.add(TeamMembership(component_id=component_id, leader_tenant_id=LEADER.tid,
                               leader_object_id=LEADER.oid, member_tenant_id=ELERI.tid, member_object_id=ELERI.oid))
    session.commit()
    session.expunge_all()
    counts = {}
    with counting_statements(engine) as seen:
        sheet = load_mark_sheet(session, allocation_id, ELERI)
    counts["load"] = len(seen)
    values = {row.entry_id: str(n % 60) for n, row in enumerate(sheet.rows)}
    received = {row.entry_id: n % 5 != 0 for n, row in enumerate(sheet.rows)}
    values.update({entry: "A" for entry, arrived in received.items() if not arrived})
    with counting_statements(engine) as seen:
        version = save_marks(session, allocation_id, ELERI, values, sheet.version, AuditContext(),
                             received=received).version
        session.commit()
    counts["save"] = len(seen)
    with counting_statements(engine) as seen:
        submit_centre(session, allocation_id, ELERI, sheet.centres[0].number, version, AuditContext())
        session.commit()
    counts["submit"] = len(seen)
    for name, run in [
        ("list", lambda: list_examiner_components(session, ELERI)),
        ("team", lambda: team_progress(session, LEADER, False, datetime.now(UTC))),
        ("member sheet", lambda: overseen_sheet(session, LEADER, False, allocation_id, datetime.now(UTC))),
        ("export", lambda: marks_to_export(session)),
        ("api page", lambda: marks_page(session, series_code="JAN17", component_code=None, since=None, after=None,
                                        limit=500)),
    ]:
        session.expunge_all()
        with counting_statements(engine) as seen:
            run()
        counts[name] = len(seen)
    return counts


def test_every_examining_operation_costs_the_same_for_10_or_1000_candidates_in_1_or_5_centres(engine, session):
    small = statements_for(engine, session, 10, "9521/01", centres=2)
    large = statements_for(engine, session, 250, "9522/01", centres=4)
    assert large == small
    assert small["load"] <= 6 and small["save"] <= 10 and small["submit"] <= 10
