"""Object-level authorization: an appointee reaches only their own allocations and the entries on them."""

from __future__ import annotations

from sqlalchemy import Select, and_, bindparam, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal_app.data.audit import Appointee
from portal_app.data.errors import NotFound, StaleSheet
from portal_app.data.models import (
    Allocation,
    AllocationCentre,
    Candidate,
    Centre,
    Component,
    Entry,
    ModerationSample,
    Series,
)


def own_allocation(session: Session, allocation_id: object, appointee: Appointee, role: str) -> Allocation:
    """The allocation when it is this appointee's in ``role``; NotFound otherwise.

    A missing, malformed or someone else's id all give the same NotFound, so ids cannot be probed.
    """
    wanted = id_or_none(allocation_id)
    if wanted is None:
        raise NotFound("allocation id is not a plain number")
    query = (
        select(Allocation)
        .where(
            Allocation.id == wanted,
            Allocation.tenant_id == appointee.tid,
            Allocation.object_id == appointee.oid,
            Allocation.role == role,
        )
        .options(
            joinedload(Allocation.component).joinedload(Component.series),
            joinedload(Allocation.component).selectinload(Component.status_codes),
        )
    )
    allocation = session.scalars(query).unique().one_or_none()
    if allocation is None:
        raise NotFound(f"allocation {wanted} is not a {role} allocation of {appointee.tid}/{appointee.oid}")
    return allocation


# Built once (bound values as parameters): on the mark lists, building a statement costs more CPU than running it.
_OWN_ALLOCATIONS = (
    select(Allocation)
    .join(Component, Component.id == Allocation.component_id)
    .join(Series, Series.id == Component.series_id)
    .where(Allocation.tenant_id == bindparam("tid"), Allocation.object_id == bindparam("oid"),
           Allocation.role == bindparam("role"))
    .options(joinedload(Allocation.component).joinedload(Component.series))
    .order_by(Series.title, Component.code)
)


def own_allocations(session: Session, appointee: Appointee, role: str) -> list[Allocation]:
    """The appointee's allocations in ``role``, with their components and series, by series title and code."""
    params = {"tid": appointee.tid, "oid": appointee.oid, "role": role}
    return list(session.scalars(_OWN_ALLOCATIONS, params).unique())


def id_or_none(value: object) -> int | None:
    """A database id from a URL or form key, or None; only ASCII digits count (int("١") is 1)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        return int(value)
    return None


def allocation_entries(allocation_ids) -> Select:
    """(allocation id, entry id) for the component's entries in each allocation's centres."""
    return (
        select(Allocation.id.label("allocation_id"), Entry.id.label("entry_id"))
        .join(AllocationCentre, AllocationCentre.allocation_id == Allocation.id)
        .join(Candidate, Candidate.centre_id == AllocationCentre.centre_id)
        .join(Entry, and_(Entry.candidate_id == Candidate.id, Entry.component_id == Allocation.component_id))
        .where(Allocation.id.in_(allocation_ids))
    )


def sheet_fields(session: Session, allocation_id: object, centre_number: object | None = None) -> set[int]:
    """The entry ids a sheet's form has fields for: an allocation's entries, or one centre's sample of them.

    Asked before anyone is signed in (marks kept across a sign-in), so it checks nobody's access: it only says
    which field names the form can have, and reveals nothing to the caller.
    """
    wanted = id_or_none(allocation_id)
    if wanted is None:
        return set()
    if centre_number is None:
        return set(session.scalars(allocation_entries([wanted]).with_only_columns(Entry.id)))
    query = (
        select(ModerationSample.entry_id)
        .join(Entry, Entry.id == ModerationSample.entry_id)
        .join(Candidate, Candidate.id == Entry.candidate_id)
        .join(Centre, Centre.id == Candidate.centre_id)
        .where(ModerationSample.allocation_id == wanted, Centre.number == str(centre_number)[:16])
    )
    return set(session.scalars(query))


def bump_version(session: Session, allocation: Allocation, expected_version: int) -> int:
    """Advance the sheet version only if nobody else has; the compare-and-set closes the check/write race."""
    result = session.execute(
        update(Allocation)
        .where(Allocation.id == allocation.id, Allocation.version == expected_version)
        .values(version=Allocation.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        current = session.scalar(select(Allocation.version).where(Allocation.id == allocation.id))
        raise StaleSheet(current if current is not None else expected_version, {})
    # Record the new value as loaded, so the flush does not issue a second UPDATE for it.
    set_committed_value(allocation, "version", expected_version + 1)
    return expected_version + 1


def status_code_map(component: Component) -> dict[str, str]:
    """The component's allowed status codes, code to meaning (in English, with the board's Welsh)."""
    return {row.code: row.text for row in component.status_codes}
