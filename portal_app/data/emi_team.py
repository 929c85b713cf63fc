"""Oversight of examining: which examiner allocations a team leader or principal sees, and their progress.

A leader sees the examiner allocations of the members they lead on that component (``teams.csv``), and of the
members those members lead on the same component (a principal over team leaders over examiners). With the
all-teams permission (administrators) every examiner allocation is in view. Outside that, an allocation is
NotFound, indistinguishable from one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from portal_app.data.access import id_or_none
from portal_app.data.audit import Appointee
from portal_app.data.deadlines import Deadline, deadline_of, extensions_for
from portal_app.data.errors import NotFound
from portal_app.data.examining_models import ExaminerCentre
from portal_app.data.marks import progress_counts
from portal_app.data.models import Allocation, AuditLog, Candidate, Component, Entry, Series, TeamMembership
from portal_app.data.sheet import DEFAULT_NOT_RECEIVED_CODES, MarkSheet, sheet_of
from portal_app.data.types import aware_utc

# The audit fields a save writes: the latest of them by the examiner is their "last save".
SAVED_FIELDS = ("examiner_mark", "script_received")


@dataclass(frozen=True)
class ExaminerProgress:
    """One examiner allocation as the team page shows it."""

    allocation_id: int
    examiner: Appointee
    email: str
    component_label: str
    centres: int
    total: int
    entered: int
    submitted: int
    last_saved_at: datetime | None
    deadline: Deadline
    overdue: bool

    @property
    def percent_entered(self) -> int:
        """How far the examiner has got: marks or codes entered, as a whole percentage of the allocation."""
        return 100 * self.entered // self.total if self.total else 0


def in_view(leader: Appointee, all_teams: bool) -> Select:
    """The ids of the examiner allocations ``leader`` oversees (every one with ``all_teams``)."""
    query = select(Allocation.id).where(Allocation.role == "examiner")
    if all_teams:
        return query
    direct = aliased(TeamMembership)
    upper, lower = aliased(TeamMembership), aliased(TeamMembership)
    led_directly = select(direct.id).where(
        direct.leader_tenant_id == leader.tid, direct.leader_object_id == leader.oid,
        direct.component_id == Allocation.component_id, direct.member_tenant_id == Allocation.tenant_id,
        direct.member_object_id == Allocation.object_id,
    )
    # A principal leads team leaders, who lead examiners: the same component at both levels.
    led_through_a_leader = select(lower.id).join(upper, and_(
        upper.component_id == lower.component_id, upper.member_tenant_id == lower.leader_tenant_id,
        upper.member_object_id == lower.leader_object_id,
    )).where(
        upper.leader_tenant_id == leader.tid, upper.leader_object_id == leader.oid,
        lower.component_id == Allocation.component_id, lower.member_tenant_id == Allocation.tenant_id,
        lower.member_object_id == Allocation.object_id,
    )
    return query.where(or_(led_directly.exists(), led_through_a_leader.exists()))


def overseen_allocation(session: Session, leader: Appointee, all_teams: bool, allocation_id: object) -> Allocation:
    """An examiner allocation in the leader's view; NotFound for any other (or a malformed id)."""
    wanted = id_or_none(allocation_id)
    if wanted is None:
        raise NotFound("allocation id is not a plain number")
    query = (
        select(Allocation)
        .where(Allocation.id == wanted, Allocation.id.in_(in_view(leader, all_teams)))
        .options(joinedload(Allocation.component).joinedload(Component.series),
                 joinedload(Allocation.component).selectinload(Component.status_codes))
    )
    allocation = session.scalars(query).unique().one_or_none()
    if allocation is None:
        raise NotFound(f"allocation {wanted} is not overseen by {leader.tid}/{leader.oid}")
    return allocation


def team_progress(session: Session, leader: Appointee, all_teams: bool, now: datetime) -> list[ExaminerProgress]:
    """Every examiner allocation the leader oversees, with its progress, in a fixed number of queries."""
    query = (
        select(Allocation)
        .join(Component, Component.id == Allocation.component_id)
        .join(Series, Series.id == Component.series_id)
        .where(Allocation.id.in_(in_view(leader, all_teams)))
        .options(joinedload(Allocation.component).joinedload(Component.series))
        .order_by(Series.title, Component.code, Allocation.email)
    )
    allocations = list(session.scalars(query).unique())
    ids = [a.id for a in allocations]
    counts, extensions = progress_counts(session, ids), extensions_for(session, ids)
    last_saves, centres = last_saved(session, ids), _centre_counts(session, ids)
    rows = []
    for a in allocations:
        total, entered, submitted = counts.get(a.id, (0, 0, 0))
        deadline = deadline_of(a.component, extensions.get(a.id))
        rows.append(ExaminerProgress(
            allocation_id=a.id, examiner=Appointee(a.tenant_id, a.object_id), email=a.email,
            component_label=a.component.label, centres=centres.get(a.id, 0), total=total, entered=entered,
            submitted=submitted, last_saved_at=last_saves.get(a.id), deadline=deadline,
            overdue=deadline.passed(now) and submitted < total,
        ))
    return rows


def last_saved(session: Session, allocation_ids: Iterable[int]) -> dict[int, datetime]:
    """allocation id -> when its examiner last changed a mark on it, from the audit, in one query."""
    ids = list(allocation_ids)
    if not ids:
        return {}
    query = (
        select(ExaminerCentre.allocation_id, func.max(AuditLog.at))
        .join(Allocation, Allocation.id == ExaminerCentre.allocation_id)
        .join(Candidate, Candidate.centre_id == ExaminerCentre.centre_id)
        .join(Entry, and_(Entry.candidate_id == Candidate.id, Entry.component_id == ExaminerCentre.component_id))
        .join(AuditLog, and_(AuditLog.entity == "entry", AuditLog.entity_id == Entry.id))
        .where(ExaminerCentre.allocation_id.in_(ids), AuditLog.field.in_(SAVED_FIELDS),
               AuditLog.actor_tenant_id == Allocation.tenant_id, AuditLog.actor_object_id == Allocation.object_id)
        .group_by(ExaminerCentre.allocation_id)
    )
    return {allocation: aware_utc(at) for allocation, at in session.execute(query)}


def _centre_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    query = (select(ExaminerCentre.allocation_id, func.count())
             .where(ExaminerCentre.allocation_id.in_(ids)).group_by(ExaminerCentre.allocation_id))
    return dict(session.execute(query).all())


def overseen_sheet(session: Session, leader: Appointee, all_teams: bool, allocation_id: object, now: datetime,
                   not_received_codes: Iterable[str] = DEFAULT_NOT_RECEIVED_CODES) -> MarkSheet:
    """A member's sheet for the leader to read (never to type on): NotFound outside their view."""
    allocation = overseen_allocation(session, leader, all_teams, allocation_id)
    return sheet_of(session, allocation, now, not_received_codes)
