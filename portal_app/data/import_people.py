"""Importing who does what: allocations with their centres, and team membership (samples: import_samples)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_app.data.csvrows import (
    EMAIL,
    ImportReport,
    Row,
    component_of,
    components_by_key,
    first_seen,
    read_rows,
)
from portal_app.data.models import (
    ROLE_FOR_ASSESSMENT,
    ROLES,
    Allocation,
    AllocationCentre,
    Centre,
    ModerationReport,
    TeamMembership,
)
from portal_app.data.ownership import check_examiner_rows, reallocate_option, take_centres

ALLOCATION_COLUMNS = ("tenant_id", "object_id", "email", "series_code", "component_code", "role", "centres")


def import_allocations(session: Session, path: str | Path) -> ImportReport:
    """Upsert allocations by (tid, oid, component, role); email and centres may change, marks never do."""
    report = ImportReport()
    components = components_by_key(session)
    centres = {c.number: c.id for c in session.scalars(select(Centre))}
    parsed, seen = [], {}
    for row in read_rows(path, ALLOCATION_COLUMNS, report):
        fields = {
            "tenant_id": row.guid("tenant_id"),
            "object_id": row.guid("object_id"),
            "email": row.matching("email", EMAIL, "an email address"),
            "component": component_of(row, components),
            "role": row.choice("role", ROLES),
            "centres": _centre_ids(row, centres),
        }
        if fields["component"] is not None and fields["role"] is not None:
            _check_role_fits_component(row, fields["component"], fields["role"])
        reallocate = reallocate_option(row, fields["role"])
        if all(value is not None for value in fields.values()):
            key = (fields["tenant_id"], fields["object_id"], fields["component"].id, fields["role"])
            if first_seen(row, key, seen):
                parsed.append((row, {**fields, "reallocate": reallocate}))
    # One examiner per centre of a component (portal_app.data.ownership): overlaps are named, not merged.
    check_examiner_rows(session, parsed, {centre_id: number for number, centre_id in centres.items()})
    if report.ok:
        for _row, fields in parsed:
            report.count(_upsert_allocation(session, fields))
        session.flush()
    return report


def _check_role_fits_component(row: Row, component, role: str) -> None:
    """Examiners mark examined components; moderators review centre marks of internally assessed ones."""
    wanted = ROLE_FOR_ASSESSMENT[component.assessment_type]
    if role != wanted:
        kind = component.assessment_type.replace("_", " ")
        row.fail(f"component {component.code} is {kind}: it takes {wanted} allocations, not {role} "
                 f"(or set its assessment_type in components.csv)")


def _centre_ids(row: Row, centres: dict[str, int]) -> set[int] | None:
    """Parse "68001;68002" into centre ids; every centre must already exist (import entries first)."""
    text = row.text("centres", max_len=5000)
    if text is None:
        return None
    numbers = [n.strip() for n in text.split(";") if n.strip()]
    unknown = [n for n in numbers if n not in centres]
    if unknown:
        row.fail(f"centre(s) {', '.join(unknown[:5])[:80]} unknown; import entries first")
        return None
    return {centres[n] for n in numbers}


def _upsert_allocation(session: Session, fields: dict) -> str:
    allocation = session.scalars(
        select(Allocation).where(
            Allocation.tenant_id == fields["tenant_id"],
            Allocation.object_id == fields["object_id"],
            Allocation.component_id == fields["component"].id,
            Allocation.role == fields["role"],
        )
    ).one_or_none()
    outcome = "unchanged"
    if allocation is None:
        allocation = Allocation(
            tenant_id=fields["tenant_id"],
            object_id=fields["object_id"],
            component_id=fields["component"].id,
            role=fields["role"],
            email=fields["email"],
            status="draft",
            version=0,
        )
        session.add(allocation)
        session.flush()
        outcome = "created"
    elif allocation.email != fields["email"]:
        allocation.email, outcome = fields["email"], "updated"
    held = set(
        session.scalars(select(AllocationCentre.centre_id).where(AllocationCentre.allocation_id == allocation.id))
    )
    if held != fields["centres"]:
        # Centres are only added: removing one could orphan a completed centre report or a sample.
        for centre_id in fields["centres"] - held:
            session.add(AllocationCentre(allocation_id=allocation.id, centre_id=centre_id))
            if allocation.role == "moderator":  # each moderated centre has its report, a draft to begin with
                session.add(ModerationReport(allocation_id=allocation.id, centre_id=centre_id, status="draft"))
        outcome = "updated" if outcome == "unchanged" and fields["centres"] - held else outcome
    if fields["role"] == "examiner":
        take_centres(session, allocation, fields["centres"], fields["reallocate"])
    return outcome


TEAM_COLUMNS = (
    "series_code",
    "component_code",
    "leader_tenant_id",
    "leader_object_id",
    "member_tenant_id",
    "member_object_id",
)


def import_teams(session: Session, path: str | Path) -> ImportReport:
    """Upsert who leads whom on a component: one leader per member per component."""
    report = ImportReport()
    components = components_by_key(session)
    parsed, seen = [], {}
    for row in read_rows(path, TEAM_COLUMNS, report):
        component = component_of(row, components)
        leader = (row.guid("leader_tenant_id"), row.guid("leader_object_id"))
        member = (row.guid("member_tenant_id"), row.guid("member_object_id"))
        if component is None or None in leader or None in member:
            continue
        if leader == member:
            row.fail("an appointee cannot lead themselves")
        elif first_seen(row, (component.id, member), seen):
            parsed.append((component.id, leader, member))
    if report.ok:
        existing = {
            (m.component_id, m.member_tenant_id, m.member_object_id): m for m in session.scalars(select(TeamMembership))
        }
        for component_id, leader, member in parsed:
            report.count(
                _upsert_membership(session, existing.get((component_id, *member)), component_id, leader, member)
            )
        session.flush()
    return report


def _upsert_membership(session: Session, row: TeamMembership | None, component_id: int, leader, member) -> str:
    if row is None:
        session.add(
            TeamMembership(
                component_id=component_id,
                leader_tenant_id=leader[0],
                leader_object_id=leader[1],
                member_tenant_id=member[0],
                member_object_id=member[1],
            )
        )
        return "created"
    if (row.leader_tenant_id, row.leader_object_id) == leader:
        return "unchanged"
    row.leader_tenant_id, row.leader_object_id = leader
    return "updated"
