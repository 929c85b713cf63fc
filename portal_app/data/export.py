"""Submitted marks on their way to the board: export batches, reissues, and the paged feed of the marks API.

Only marks of submitted centres leave the portal. Each export is recorded with every mark it wrote, so a
re-run writes only marks that are new or changed since (or every one, when asked), and a centre whose
marks went out cannot be reopened until operations staff reissue the export for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from portal_app.data.audit import Appointee, AuditContext, Change, record_changes
from portal_app.data.deadlines import required_reason
from portal_app.data.examining_models import ExaminerCentre, ExportedMark, MarksExport
from portal_app.data.models import Allocation, Candidate, Centre, Component, Entry, Mark, Series
from portal_app.data.types import aware_utc


@dataclass(frozen=True)
class MarkOut:
    """One submitted mark as it leaves the portal; ``batch_id`` is the export that last wrote it unchanged."""

    entry_id: int
    allocation_id: int
    series_code: str
    component_code: str
    centre_number: str
    candidate_number: str
    mark: int | None
    code: str | None
    examiner_tenant_id: str
    examiner_object_id: str
    submitted_at: datetime
    batch_id: str | None


def _latest_exports() -> tuple:
    """The newest exported_mark row of each entry, with its batch id (an aliased select to join against)."""
    newest = select(ExportedMark.entry_id, func.max(ExportedMark.export_id).label("export_id")).group_by(
        ExportedMark.entry_id).subquery()
    latest = aliased(ExportedMark)
    return newest, latest


def submitted_marks(series_code: str | None = None, component_code: str | None = None) -> Select:
    """Every mark of a submitted centre (optionally of one series or component), with its latest export."""
    newest, latest = _latest_exports()
    query = (
        select(Entry.id, Allocation.id, Series.code, Component.code, Centre.number, Candidate.number)
        .add_columns(Mark.examiner_mark, Mark.status_code, Allocation.tenant_id, Allocation.object_id)
        .add_columns(ExaminerCentre.submitted_at, latest, MarksExport.batch_id)
        .select_from(ExaminerCentre)
        .join(Allocation, Allocation.id == ExaminerCentre.allocation_id)
        .join(Component, Component.id == ExaminerCentre.component_id)
        .join(Series, Series.id == Component.series_id)
        .join(Centre, Centre.id == ExaminerCentre.centre_id)
        .join(Candidate, Candidate.centre_id == ExaminerCentre.centre_id)
        .join(Entry, and_(Entry.candidate_id == Candidate.id, Entry.component_id == ExaminerCentre.component_id))
        .join(Mark, Mark.entry_id == Entry.id)
        .outerjoin(newest, newest.c.entry_id == Entry.id)
        .outerjoin(latest, and_(latest.entry_id == Entry.id, latest.export_id == newest.c.export_id))
        .outerjoin(MarksExport, MarksExport.id == latest.export_id)
        # A submitted centre has a mark or a code on every entry; the filter keeps an export from ever writing
        # a row with neither, whatever put it there.
        .where(ExaminerCentre.status == "submitted", Mark.examiner_mark.is_not(None) | Mark.status_code.is_not(None))
    )
    if series_code is not None:
        query = query.where(Series.code == series_code)
    if component_code is not None:
        query = query.where(Component.code == component_code)
    return query


def _mark_out(row) -> tuple[MarkOut, bool]:
    """The mark, and whether it must be exported again (never exported, withdrawn, or changed since)."""
    (entry_id, allocation_id, series, component, centre, candidate, mark, code, tid, oid, submitted_at,
     latest, batch_id) = row
    unchanged = (latest is not None and latest.withdrawn_at is None and latest.examiner_mark == mark
                 and latest.status_code == code and latest.allocation_id == allocation_id)
    out = MarkOut(entry_id, allocation_id, series, component, centre, candidate, mark, code, tid, oid,
                  aware_utc(submitted_at), batch_id if unchanged else None)
    return out, not unchanged


def marks_to_export(session: Session, series_code: str | None = None, component_code: str | None = None, *,
                    everything: bool = False) -> list[MarkOut]:
    """What an export would write now: new or changed submitted marks, or every one with ``everything``."""
    query = submitted_marks(series_code, component_code).order_by(Series.code, Component.code, Centre.number,
                                                                   Candidate.number)
    found = (_mark_out(row) for row in session.execute(query))
    return [mark for mark, due in found if everything or due]


def record_export(session: Session, marks: list[MarkOut], *, scope: str, everything: bool, operator: str,
                  now: datetime) -> str:
    """Record a batch with every mark it writes (inside the caller's transaction); its batch id."""
    batch_id = str(uuid.uuid4())
    export = MarksExport(batch_id=batch_id, created_at=now, scope=scope[:200], everything=everything,
                         row_count=len(marks), operator=operator[:64])
    session.add(export)
    session.flush()
    if marks:
        session.execute(insert(ExportedMark), [
            {"export_id": export.id, "entry_id": m.entry_id, "allocation_id": m.allocation_id,
             "examiner_mark": m.mark, "status_code": m.code, "submitted_at": m.submitted_at}
            for m in marks
        ])
    record_changes(session, operations_actor(operator), AuditContext(),
                   [Change("marks_export", export.id, "batch", None, f"{batch_id}: {len(marks)} marks, {scope}")])
    return batch_id


def operations_actor(operator: str) -> Appointee:
    """Who the audit names for an operations command: the operator's login on the server."""
    return Appointee("operations", operator[:36] or "unknown")


def reissue_centre(session: Session, series_code: str, component_code: str, centre_number: str, reason: object,
                   *, operator: str, now: datetime) -> int:
    """Withdraw the exported marks of one centre: it may be reopened, and goes out again in the next export.

    Returns how many exported marks were withdrawn (0: nothing of that centre is exported); LookupError names
    an unknown series, component or centre.
    """
    reason = required_reason(reason)
    component = session.scalar(select(Component).join(Series).where(Series.code == series_code,
                                                                     Component.code == component_code))
    centre = session.scalar(select(Centre).where(Centre.number == centre_number))
    if component is None or centre is None:
        raise LookupError(f"no component {component_code} of series {series_code}, or no centre {centre_number}")
    entries = select(Entry.id).join(Candidate, Candidate.id == Entry.candidate_id).where(
        Entry.component_id == component.id, Candidate.centre_id == centre.id)
    withdrawn = session.execute(
        update(ExportedMark)
        .where(ExportedMark.entry_id.in_(entries), ExportedMark.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if withdrawn:
        record_changes(session, operations_actor(operator), AuditContext(), [
            Change("component", component.id, f"reissue:{centre_number}"[:32], None, f"{withdrawn} marks: {reason}")])
    return withdrawn


def marks_page(session: Session, *, series_code: str | None, component_code: str | None, since: datetime | None,
               after: tuple[datetime, int] | None, limit: int) -> list[MarkOut]:
    """One page of submitted marks for the API, oldest submission first; ``after`` is the previous page's last."""
    query = submitted_marks(series_code, component_code)
    if since is not None:
        query = query.where(ExaminerCentre.submitted_at > since)
    if after is not None:
        at, entry_id = after
        query = query.where(or_(ExaminerCentre.submitted_at > at,
                                and_(ExaminerCentre.submitted_at == at, Entry.id > entry_id)))
    query = query.order_by(ExaminerCentre.submitted_at, Entry.id).limit(limit)
    return [mark for mark, _ in (_mark_out(row) for row in session.execute(query))]


def known_scope(session: Session, series_code: str | None, component_code: str | None) -> bool:
    """Whether the series (and component) named by a request exist, so a typo is a 404 and not an empty list."""
    if series_code is None:
        return component_code is None or session.scalar(
            select(func.count()).select_from(Component).where(Component.code == component_code)) > 0
    query = select(func.count()).select_from(Series).where(Series.code == series_code)
    if component_code is not None:
        query = select(func.count()).select_from(Component).join(Series).where(
            Series.code == series_code, Component.code == component_code)
    return session.scalar(query) > 0
