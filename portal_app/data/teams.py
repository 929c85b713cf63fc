"""Review by the team: whose moderation a team leader or principal may see, and View Team's rows.

On each component, team rows (teams.csv) say who leads whom. A reviewer's line is everyone below them on that
component, directly or through a team leader, never across components. A principal (``all_teams``, from
``iamis:view-all-teams``) also sees every moderator allocation of the components they lead (where they lead
someone and nobody leads them), whether or not team rows exist for it. Nobody reviews their own allocation.
A fixed number of queries, whatever the size of the teams.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from portal_app.data.access import id_or_none
from portal_app.data.audit import Appointee
from portal_app.data.errors import NotFound
from portal_app.data.models import Allocation, Component, Series, TeamMembership
from portal_app.data.moderation import report_counts, sample_counts


@dataclass(frozen=True)
class Reviewable:
    """A moderator allocation in the reviewer's view, and who leads its moderator on the component (if anyone)."""

    allocation: Allocation
    leader: Appointee | None


# Built once, bound values as parameters: building a statement costs more CPU than running it (profiled).
_COMPONENTS = bindparam("components", expanding=True)
_LED = select(TeamMembership.component_id).where(
    TeamMembership.leader_tenant_id == bindparam("tid"), TeamMembership.leader_object_id == bindparam("oid"))
_MEMBERSHIPS = select(TeamMembership).where(TeamMembership.component_id.in_(_COMPONENTS))
_MODERATORS_OF = (
    select(Allocation)
    .join(Component, Component.id == Allocation.component_id)
    .join(Series, Series.id == Component.series_id)
    .where(Allocation.component_id.in_(_COMPONENTS), Allocation.role == "moderator")
    .options(joinedload(Allocation.component).joinedload(Component.series),
             joinedload(Allocation.component).selectinload(Component.status_codes))
    .order_by(Series.title, Component.code, Allocation.email)
)


def review_scope(session: Session, reviewer: Appointee, *, all_teams: bool) -> dict[int, Reviewable]:
    """allocation id -> Reviewable for every moderator allocation the reviewer may open (three queries)."""
    led = set(session.scalars(_LED, {"tid": reviewer.tid, "oid": reviewer.oid}))
    if not led:
        return {}
    memberships = list(session.scalars(_MEMBERSHIPS, {"components": list(led)}))
    leaders = {(m.component_id, m.member_tenant_id, m.member_object_id):
               Appointee(m.leader_tenant_id, m.leader_object_id) for m in memberships}
    below = _below(memberships, reviewer)
    principal_of = {c for c in led if (c, reviewer.tid, reviewer.oid) not in leaders} if all_teams else set()
    scope = {}
    for allocation in session.scalars(_MODERATORS_OF, {"components": list(led)}).unique():
        who = (allocation.component_id, allocation.tenant_id, allocation.object_id)
        if who[1:] == (reviewer.tid, reviewer.oid):
            continue
        if who in below or allocation.component_id in principal_of:
            scope[allocation.id] = Reviewable(allocation, leaders.get(who))
    return scope


def _below(memberships: list[TeamMembership], reviewer: Appointee) -> set[tuple[str, str, str] | tuple]:
    """(component id, tid, oid) of everyone under the reviewer, per component, at any depth."""
    children = defaultdict(list)
    for m in memberships:
        children[(m.component_id, m.leader_tenant_id, m.leader_object_id)].append(
            (m.component_id, m.member_tenant_id, m.member_object_id))
    found: set[tuple] = set()
    frontier = [key for key in children if key[1:] == (reviewer.tid, reviewer.oid)]
    while frontier:
        key = frontier.pop()
        for child in children.get(key, ()):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def reviewable_allocation(session: Session, allocation_id: object, reviewer: Appointee, *,
                          all_teams: bool) -> Reviewable:
    """The allocation when it is in the reviewer's line; NotFound otherwise (missing and forbidden look alike)."""
    wanted = id_or_none(allocation_id)
    found = review_scope(session, reviewer, all_teams=all_teams).get(wanted) if wanted is not None else None
    if found is None:
        raise NotFound(f"allocation {str(allocation_id)[:12]!r} is not in the line of {reviewer.tid}/{reviewer.oid}")
    return found


@dataclass(frozen=True)
class MemberProgress:
    """One row of View Team: a moderator's allocation and how far their centres have got."""

    allocation_id: int
    member: Appointee
    leader: Appointee | None
    email: str
    component_label: str
    centres: int
    submitted: int
    returned: int
    accepted: int
    sample_remaining: int
    last_activity: datetime | None


def team_progress(session: Session, reviewer: Appointee, *, all_teams: bool = False) -> list[MemberProgress]:
    """View Team's rows: every allocation of the reviewer's scope with its counts (five queries)."""
    scope = review_scope(session, reviewer, all_teams=all_teams)
    reports, samples = report_counts(session, scope), sample_counts(session, scope)
    rows = []
    for allocation_id, item in scope.items():
        a, counts = item.allocation, reports.get(allocation_id)
        rows.append(MemberProgress(
            allocation_id, Appointee(a.tenant_id, a.object_id), item.leader, a.email, a.component.label,
            counts.centres if counts else 0, counts.submitted if counts else 0, counts.returned if counts else 0,
            counts.accepted if counts else 0, samples.get(allocation_id, (0, 0))[1],
            counts.last_activity if counts else None))
    return rows
