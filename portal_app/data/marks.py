"""EMI services for examiners: the component list, the mark sheet, saving drafts and submitting by centre.

Saving and submitting live in ``portal_app.data.marks_save`` and are re-exported here, so callers need only
this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from portal_app.data.access import own_allocation, own_allocations
from portal_app.data.audit import Appointee
from portal_app.data.deadlines import Deadline, deadline_of, extensions_for
from portal_app.data.examining_models import ExaminerCentre
from portal_app.data.marks_save import SaveResult, save_marks, submit_centre
from portal_app.data.models import Candidate, Centre, Entry, Mark
from portal_app.data.sheet import DEFAULT_NOT_RECEIVED_CODES, CentreState, MarkSheet, SheetRow, sheet_of

__all__ = ["CentreState", "EmiComponent", "MarkSheet", "ReopenedCentre", "SaveResult", "SheetRow",
           "list_examiner_components", "load_mark_sheet", "progress_counts", "save_marks", "submit_centre"]


@dataclass(frozen=True)
class ReopenedCentre:
    """A submitted centre opened again, with the reason the examiner is told on their list."""

    number: str
    reopened_at: datetime
    reason: str


@dataclass(frozen=True)
class EmiComponent:
    """One line of the examiner's EMI list, with the counts its buttons show."""

    allocation_id: int
    label: str
    component_code: str
    agenda_document: str | None
    total: int
    entered: int
    submitted: int
    deadline: Deadline
    overdue: bool
    reopened: tuple[ReopenedCentre, ...] = ()

    @property
    def left(self) -> int:
        """Candidates still without a mark or status code."""
        return self.total - self.entered

    @property
    def to_submit(self) -> int:
        """Marks entered in centres not yet submitted."""
        return self.entered - self.submitted

    @property
    def status(self) -> str:
        return "submitted" if self.total and self.submitted == self.total else "draft"

    @property
    def enter_label(self) -> str:
        return f"ENTER MARKS ({self.left} LEFT)"

    @property
    def submit_label(self) -> str:
        if self.to_submit:
            return f"SUBMIT MARKS ({self.to_submit}) ({self.submitted} SUBMITTED)"
        return f"NO MARKS TO SUBMIT ({self.submitted} SUBMITTED)"


_IDS = bindparam("ids", expanding=True)
# Built once, the allocation ids as an expanding parameter: building costs more CPU than running (profiled).
_PROGRESS_COUNTS = (
    select(ExaminerCentre.allocation_id, func.count(Entry.id),
           func.sum(case((Mark.examiner_mark.is_not(None) | Mark.status_code.is_not(None), 1), else_=0)),
           func.sum(case((ExaminerCentre.status == "submitted", 1), else_=0)))
    .join(Candidate, Candidate.centre_id == ExaminerCentre.centre_id)
    .join(Entry, and_(Entry.candidate_id == Candidate.id, Entry.component_id == ExaminerCentre.component_id))
    .outerjoin(Mark, Mark.entry_id == Entry.id)
    .where(ExaminerCentre.allocation_id.in_(_IDS))
    .group_by(ExaminerCentre.allocation_id)
)
_REOPENED = (
    select(ExaminerCentre.allocation_id, Centre.number, ExaminerCentre.reopened_at, ExaminerCentre.reopen_reason)
    .join(Centre, Centre.id == ExaminerCentre.centre_id)
    .where(ExaminerCentre.allocation_id.in_(_IDS), ExaminerCentre.status == "open",
           ExaminerCentre.reopened_at.is_not(None))
    .order_by(Centre.number)
)


def progress_counts(session: Session, allocation_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """allocation id -> (candidates, entered, in submitted centres), in one query."""
    ids = list(allocation_ids)
    if not ids:
        return {}
    return {a: (total, int(n or 0), int(s or 0)) for a, total, n, s in session.execute(_PROGRESS_COUNTS, {"ids": ids})}


def list_examiner_components(session: Session, appointee: Appointee, *,
                             now: datetime | None = None) -> list[EmiComponent]:
    """The appointee's examiner allocations with entered/left/submitted counts, deadlines and reopenings."""
    now = now or datetime.now(UTC)
    allocations = own_allocations(session, appointee, "examiner")
    ids = [allocation.id for allocation in allocations]
    counts, extensions, reopened = progress_counts(session, ids), extensions_for(session, ids), _reopened(session, ids)
    lines = []
    for allocation in allocations:
        total, entered, submitted = counts.get(allocation.id, (0, 0, 0))
        deadline = deadline_of(allocation.component, extensions.get(allocation.id))
        lines.append(EmiComponent(
            allocation_id=allocation.id, label=allocation.component.label,
            component_code=allocation.component.code, agenda_document=allocation.component.agenda_document,
            total=total, entered=entered, submitted=submitted, deadline=deadline,
            overdue=deadline.passed(now) and submitted < total, reopened=tuple(reopened.get(allocation.id, ())),
        ))
    return lines


def _reopened(session: Session, ids: list[int]) -> dict[int, list[ReopenedCentre]]:
    if not ids:
        return {}
    found: dict[int, list[ReopenedCentre]] = {}
    for allocation_id, number, at, reason in session.execute(_REOPENED, {"ids": ids}):
        found.setdefault(allocation_id, []).append(ReopenedCentre(number, at, reason or ""))
    return found


def load_mark_sheet(session: Session, allocation_id: object, appointee: Appointee, *, now: datetime | None = None,
                    not_received_codes: Iterable[str] = DEFAULT_NOT_RECEIVED_CODES) -> MarkSheet:
    """The appointee's own examiner sheet; NotFound for anyone else's (indistinguishable from missing)."""
    allocation = own_allocation(session, allocation_id, appointee, "examiner")
    return sheet_of(session, allocation, now or datetime.now(UTC), not_received_codes)
