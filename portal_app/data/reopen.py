"""Reopening a submitted centre: by a principal of the component or an administrator, with a reason, audited.

Never once the centre's marks have gone to the board in an export, unless operations staff reissue that export
for the centre (``portal reissue-export``): the board would otherwise hold marks the portal no longer stands by.
The caller has checked the allocation is in the actor's oversight and that they hold the permission to reopen.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from portal_app.data.audit import Appointee, AuditContext, Change, record_changes
from portal_app.data.deadlines import required_reason
from portal_app.data.examining_errors import CentreExported, InvalidRequest
from portal_app.data.examining_models import ExaminerCentre, ExportedMark, MarksExport
from portal_app.data.marks_save import held_centre, lock_sheet, sync_allocation_status
from portal_app.data.messages import N_, Message
from portal_app.data.models import Allocation, Candidate, Centre, Entry


def exported_batch(session: Session, component_id: int, centre_id: int) -> str | None:
    """The batch that exported marks of this centre and has not been reissued for it, if any."""
    query = (
        select(MarksExport.batch_id)
        .join(ExportedMark, ExportedMark.export_id == MarksExport.id)
        .join(Entry, Entry.id == ExportedMark.entry_id)
        .join(Candidate, Candidate.id == Entry.candidate_id)
        .where(Entry.component_id == component_id, Candidate.centre_id == centre_id,
               ExportedMark.withdrawn_at.is_(None))
        .order_by(MarksExport.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def reopen_centre(session: Session, allocation: Allocation, actor: Appointee, centre_number: object, reason: object,
                  now: datetime, audit_context: AuditContext) -> None:
    """Open a submitted centre again so its examiner can correct it; they are told why on their list."""
    reason = required_reason(reason)
    lock_sheet(session, allocation)
    held = held_centre(session, allocation.id, centre_number)
    number = str(centre_number)
    if held.status != "submitted":
        raise InvalidRequest(Message(N_("Centre %(centre)s is not submitted, so there is nothing to reopen."),
                                     centre=number))
    batch = exported_batch(session, allocation.component_id, held.centre_id)
    if batch is not None:
        raise CentreExported(batch)
    held.status, held.submitted_at = "open", None
    held.reopened_at, held.reopen_reason = now, reason
    held.reopened_by_tenant_id, held.reopened_by_object_id = actor.tid, actor.oid
    record_changes(session, actor, audit_context, [
        Change("allocation", allocation.id, f"centre:{number}"[:32], "submitted", "reopened"),
        Change("allocation", allocation.id, f"reopen:{number}"[:32], None, reason),
    ])
    session.flush()
    sync_allocation_status(session, allocation, now)


def exported_centres(session: Session, allocation: Allocation) -> dict[str, str]:
    """Centre number -> the batch that exported its marks (not reissued), for the allocation's centres."""
    query = (
        select(Centre.number, func.max(MarksExport.batch_id))
        .select_from(ExaminerCentre)
        .join(Centre, Centre.id == ExaminerCentre.centre_id)
        .join(Candidate, Candidate.centre_id == ExaminerCentre.centre_id)
        .join(Entry, and_(Entry.candidate_id == Candidate.id, Entry.component_id == ExaminerCentre.component_id))
        .join(ExportedMark, and_(ExportedMark.entry_id == Entry.id, ExportedMark.withdrawn_at.is_(None)))
        .join(MarksExport, MarksExport.id == ExportedMark.export_id)
        .where(ExaminerCentre.allocation_id == allocation.id)
        .group_by(Centre.number)
    )
    return dict(session.execute(query).all())
