"""Marks-due dates: Europe/London times, the deadline in force for an allocation, and extensions.

A component's date wins over its series' date; an allocation's extension wins over both. Times are stored in
UTC and typed and shown in Europe/London, the awarding body's clock, whatever the server's zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from portal_app.data.audit import Appointee, AuditContext, Change, record_changes
from portal_app.data.examining_errors import InvalidRequest
from portal_app.data.examining_models import MarkingExtension
from portal_app.data.messages import N_, Message
from portal_app.data.models import Allocation, Component, Series

LONDON = ZoneInfo("Europe/London")
LONDON_FORMAT = "%Y-%m-%d %H:%M"
_TYPED = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})")
LONGEST_REASON = 500


def parse_london_time(text: str) -> datetime | Message:
    """"2017-02-10 17:00" (Europe/London) as an aware UTC datetime, or the message saying what is wrong.

    Times in the hour the clocks skip, or the hour they repeat, are refused: nobody can tell which is meant.
    """
    match = _TYPED.fullmatch(text.strip())
    if not match:
        return Message(N_("%(text)s is not a date and time like 2017-02-10 17:00."), text=text.strip()[:40])
    try:
        local = datetime(*(int(part) for part in match.groups()), tzinfo=LONDON)
    except ValueError:
        return Message(N_("%(text)s is not a real date and time."), text=text.strip()[:40])
    earlier, later = local.replace(fold=0), local.replace(fold=1)
    if earlier.utcoffset() != later.utcoffset() or earlier.astimezone(UTC).astimezone(LONDON) != earlier:
        return Message(N_("%(text)s falls when the clocks change in the UK; choose another time."),
                       text=text.strip()[:40])
    return local.astimezone(UTC)


def london_text(moment: datetime) -> str:
    """A stored UTC time as typed: "2017-02-10 17:00" in Europe/London."""
    return moment.astimezone(LONDON).strftime(LONDON_FORMAT)


@dataclass(frozen=True)
class Deadline:
    """The marks-due time in force for one allocation (None: no deadline), and the extension behind it."""

    due_at: datetime | None = None
    set_due_at: datetime | None = None
    extension_reason: str | None = None
    extension_granted_by: Appointee | None = None

    @property
    def extended(self) -> bool:
        return self.extension_reason is not None

    def passed(self, now: datetime) -> bool:
        return self.due_at is not None and now >= self.due_at


def deadline_of(component: Component, extension: MarkingExtension | None) -> Deadline:
    """The component's date (else its series'), unless an extension gives the allocation a later one."""
    set_due = component.marks_due_at or component.series.marks_due_at
    if extension is None:
        return Deadline(set_due, set_due)
    granted_by = Appointee(extension.granted_by_tenant_id, extension.granted_by_object_id)
    return Deadline(extension.due_at, set_due, extension.reason, granted_by)


# Built once (the ids an expanding parameter): on the EMI list, building costs more CPU than running it.
_EXTENSIONS = select(MarkingExtension).where(MarkingExtension.allocation_id.in_(bindparam("ids", expanding=True)))


def extensions_for(session: Session, allocation_ids: Iterable[int]) -> dict[int, MarkingExtension]:
    """The extensions of these allocations, in one query."""
    ids = list(allocation_ids)
    if not ids:
        return {}
    return {extension.allocation_id: extension for extension in session.scalars(_EXTENSIONS, {"ids": ids})}


def allocation_deadline(session: Session, allocation: Allocation) -> Deadline:
    return deadline_of(allocation.component, extensions_for(session, [allocation.id]).get(allocation.id))


def grant_extension(session: Session, allocation: Allocation, granted_by: Appointee, due_at: datetime,
                    reason: str, now: datetime, audit_context: AuditContext) -> Deadline:
    """Give the allocation (already checked to be in the granter's oversight) a later marks-due time.

    The caller checks who may grant; here: the component must have a deadline, a reason is required, and the
    time must be in the future and later than the deadline set for the component (or it would shorten it).
    """
    reason = required_reason(reason)
    current = allocation_deadline(session, allocation)
    if current.set_due_at is None:
        raise InvalidRequest(Message(N_("This component has no deadline, so there is nothing to extend.")))
    if due_at <= now:
        raise InvalidRequest(Message(N_("An extension must end in the future.")))
    if due_at <= current.set_due_at:
        raise InvalidRequest(Message(N_("An extension must end after the deadline of %(due)s."),
                                     due=london_text(current.set_due_at)))
    extension = session.get(MarkingExtension, allocation.id)
    old = None if extension is None else london_text(extension.due_at)
    if extension is None:
        extension = MarkingExtension(allocation_id=allocation.id)
        session.add(extension)
    extension.due_at, extension.reason, extension.granted_at = due_at, reason, now
    extension.granted_by_tenant_id, extension.granted_by_object_id = granted_by.tid, granted_by.oid
    record_changes(session, granted_by, audit_context, [
        Change("allocation", allocation.id, "extension", old, london_text(due_at)),
        Change("allocation", allocation.id, "extension_reason", None, reason),
    ])
    session.flush()
    return deadline_of(allocation.component, extension)


def required_reason(text: object) -> str:
    """A reason typed for an audited action: required, at most LONGEST_REASON characters."""
    reason = text.strip() if isinstance(text, str) else ""
    if not reason:
        raise InvalidRequest(Message(N_("Give a reason: it is kept in the audit and shown to the examiner.")))
    if len(reason) > LONGEST_REASON:
        raise InvalidRequest(Message(N_("The reason is longer than %(max)s characters."), max=LONGEST_REASON))
    return reason


def set_marks_due(session: Session, series_code: str, component_code: str | None, due_at: datetime | None,
                  actor: Appointee, audit_context: AuditContext) -> list[str]:
    """Set (or with None clear) the marks-due time of a component, or of a series' own date; audited.

    Returns what changed, e.g. ["JAN17 9521/01"]; LookupError names an unknown series or component.
    """
    series = session.scalar(select(Series).where(Series.code == series_code))
    if series is None:
        raise LookupError(f"series {series_code} is unknown")
    if component_code is None:
        target, entity, label = series, "series", series_code
    else:
        component = session.scalar(select(Component).where(Component.series_id == series.id,
                                                           Component.code == component_code))
        if component is None:
            raise LookupError(f"component {component_code} of series {series_code} is unknown")
        target, entity, label = component, "component", f"{series_code} {component_code}"
    if target.marks_due_at == due_at:
        return []
    old = None if target.marks_due_at is None else london_text(target.marks_due_at)
    target.marks_due_at = due_at
    new = None if due_at is None else london_text(due_at)
    record_changes(session, actor, audit_context, [Change(entity, target.id, "marks_due_at", old, new)])
    session.flush()
    return [label]
