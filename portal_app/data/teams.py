"""View Team: a team leader or principal sees each member's progress, read-only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from portal_app.data.audit import Appointee
from portal_app.data.models import Allocation, Component, TeamMembership
from portal_app.data.moderation import entry_counts, sample_counts


@dataclass(frozen=True)
class MemberProgress:
    """One member's allocation on a component the leader leads; ``leader`` shows who they report to."""

    member: Appointee
    leader: Appointee
    email: str
    component_label: str
    role: str
    status: str
    sample_cands: int
    review_remaining: int
    entered: int


def team_progress(session: Session, leader: Appointee) -> list[MemberProgress]:
    """Progress of everyone the appointee leads, directly or through a team leader (principal over leaders)."""
    memberships = _led_by(session, [leader])
    memberships += _led_by(session, [Appointee(m.member_tenant_id, m.member_object_id) for m in memberships])
    if not memberships:
        return []
    leaders = {(m.component_id, m.member_tenant_id, m.member_object_id): m for m in memberships}
    query = select(Allocation).where(
        or_(
            *(
                and_(
                    Allocation.component_id == m.component_id,
                    Allocation.tenant_id == m.member_tenant_id,
                    Allocation.object_id == m.member_object_id,
                )
                for m in memberships
            )
        )
    )
    query = query.options(joinedload(Allocation.component).joinedload(Component.series))
    allocations = list(session.scalars(query))
    ids = [a.id for a in allocations]
    samples, entries = sample_counts(session, ids), entry_counts(session, ids)
    return [
        MemberProgress(
            member=Appointee(a.tenant_id, a.object_id),
            leader=_leader_of(leaders[(a.component_id, a.tenant_id, a.object_id)]),
            email=a.email,
            component_label=a.component.label,
            role=a.role,
            status=a.status,
            sample_cands=samples.get(a.id, (0, 0))[0],
            review_remaining=samples.get(a.id, (0, 0))[1],
            entered=entries.get(a.id, (0, 0, 0))[0],
        )
        for a in sorted(allocations, key=lambda a: (a.email, a.component_id, a.role))
    ]


def _led_by(session: Session, leaders: list[Appointee]) -> list[TeamMembership]:
    if not leaders:
        return []
    query = select(TeamMembership).where(
        or_(
            *(and_(TeamMembership.leader_tenant_id == x.tid, TeamMembership.leader_object_id == x.oid) for x in leaders)
        )
    )
    return list(session.scalars(query))


def _leader_of(membership: TeamMembership) -> Appointee:
    return Appointee(membership.leader_tenant_id, membership.leader_object_id)
