"""Small builders for data tests: a component with N candidates (in one or more centres) on one examiner's sheet."""

from __future__ import annotations

import zlib

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal_app.data.audit import Appointee
from portal_app.data.examining_models import ExaminerCentre
from portal_app.data.models import (
    Allocation,
    AllocationCentre,
    Candidate,
    Centre,
    Component,
    ComponentStatusCode,
    Entry,
    Mark,
    Series,
)

TENANT = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
ELERI = Appointee(TENANT, "11111111-1111-4111-8111-111111111111")
MORGAN = Appointee(TENANT, "22222222-2222-4222-8222-222222222222")
MALLORY = Appointee("b7c4e1f2-9a3d-4e8b-8c5f-1a2b3c4d5e6f", "99999999-9999-4999-8999-999999999999")


def make_sheet(session: Session, candidates: int, *, owner: Appointee = ELERI, code: str = "9521/01",
               centres: int = 1) -> int:
    """A component (max 60, code A) with ``candidates`` entries in each of ``centres`` centres, allocated to
    ``owner`` as examiner; the allocation's id."""
    series = session.scalar(select(Series).where(Series.code == "JAN17"))
    if series is None:
        series = Series(code="JAN17", title="GCSE JANUARY 2017")
    component = Component(series=series, code=code, title="LATIN LANGUAGE CORE: LEVEL 2", max_mark=60)
    component.status_codes = [ComponentStatusCode(code="A", meaning="Absent"),
                              ComponentStatusCode(code="NR", meaning="Not received")]
    base = zlib.crc32(code.encode()) % 1000
    made = [Centre(number=f"6{base:03d}{n}", name=f"Ysgol Test {n}") for n in range(centres)]
    session.add_all([component, *made])
    session.flush()
    for centre in made:
        rows = [{"centre_id": centre.id, "number": f"{n:04d}", "name": f"CANDIDATE {n}"}
                for n in range(1, candidates + 1)]
        if rows:
            session.execute(insert(Candidate), rows)
    ids = session.scalars(select(Candidate.id).where(Candidate.centre_id.in_([c.id for c in made]))).all()
    if ids:
        session.execute(insert(Entry), [{"candidate_id": i, "component_id": component.id} for i in ids])
    entry_ids = session.scalars(select(Entry.id).where(Entry.component_id == component.id)).all()
    if entry_ids:
        session.execute(insert(Mark), [{"entry_id": e} for e in entry_ids])
    allocation = Allocation(
        tenant_id=owner.tid, object_id=owner.oid, email="x@example.org", component=component, role="examiner"
    )
    session.add(allocation)
    session.flush()
    for centre in made:
        session.add(AllocationCentre(allocation_id=allocation.id, centre_id=centre.id))
        session.add(ExaminerCentre(allocation_id=allocation.id, centre_id=centre.id, component_id=component.id,
                                   status="open"))
    session.commit()
    return allocation.id
