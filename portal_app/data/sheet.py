"""An examiner's mark sheet as pages show it: candidates grouped by centre, each centre open or submitted.

Used for the examiner's own sheet (``portal_app.data.marks``) and for a team leader's read-only view of a
member's sheet (``portal_app.data.emi_team``); whoever calls it has checked who may see the allocation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from portal_app.data.access import status_code_map
from portal_app.data.audit import Appointee
from portal_app.data.deadlines import Deadline, allocation_deadline
from portal_app.data.examining_models import ExaminerCentre
from portal_app.data.messages import Message
from portal_app.data.models import Allocation, Candidate, Centre, Entry, Mark
from portal_app.data.validation import ParsedMark, allowed_values_hint

# Codes a row whose script was not received may take, when the component allows them (config/portal.toml
# marking.not_received_codes says which; this is its default).
DEFAULT_NOT_RECEIVED_CODES = ("A", "NR")


@dataclass(frozen=True)
class Entered:
    """What an examiner has recorded for one candidate: the mark or code, and whether the script arrived."""

    mark: ParsedMark = ParsedMark()
    received: bool = True

    @property
    def is_complete(self) -> bool:
        """A mark or a status code: enough to submit the centre."""
        return self.mark != ParsedMark()


@dataclass(frozen=True)
class SheetRow:
    """One candidate on a mark sheet; ``locked`` when the centre has been submitted."""

    entry_id: int
    centre_number: str
    candidate_number: str
    candidate_name: str
    value: ParsedMark
    received: bool
    locked: bool


@dataclass(frozen=True)
class CentreState:
    """One centre of the sheet: its candidates' progress, its submission and its latest reopening."""

    number: str
    name: str
    status: str
    submitted_at: datetime | None
    reopened_at: datetime | None
    reopened_by: Appointee | None
    reopen_reason: str | None
    total: int = 0
    entered: int = 0

    @property
    def left(self) -> int:
        return self.total - self.entered

    @property
    def submitted(self) -> bool:
        return self.status == "submitted"

    @property
    def reopened(self) -> bool:
        """Open again after a principal or administrator reopened it: the examiner is told why."""
        return not self.submitted and self.reopened_at is not None


@dataclass(frozen=True)
class MarkSheet:
    """An examiner's sheet, ready to render; ``version`` goes back with the next save."""

    allocation_id: int
    label: str
    max_mark: int
    status_codes: dict[str, str]
    not_received_codes: dict[str, str]
    allowed_hint: Message
    version: int
    deadline: Deadline
    deadline_passed: bool
    centres: list[CentreState]
    rows: list[SheetRow]
    examiner: Appointee
    email: str
    rows_by_centre: dict[str, list[SheetRow]] = field(default_factory=dict)

    @property
    def all_submitted(self) -> bool:
        return bool(self.centres) and all(centre.submitted for centre in self.centres)

    @property
    def read_only(self) -> bool:
        """Nothing can be typed: every centre is submitted, or the deadline has passed."""
        return self.all_submitted or self.deadline_passed

    @property
    def status(self) -> str:
        return "submitted" if self.all_submitted else "draft"


def not_received_code_map(status_codes: dict[str, str], configured: Iterable[str]) -> dict[str, str]:
    """The component's codes that a row whose script was not received may take."""
    wanted = {code.upper() for code in configured}
    return {code: meaning for code, meaning in status_codes.items() if code in wanted}


def sheet_of(session: Session, allocation: Allocation, now: datetime,
             not_received_codes: Iterable[str] = DEFAULT_NOT_RECEIVED_CODES) -> MarkSheet:
    """The sheet of ``allocation`` (an examiner allocation the caller may see), in a fixed number of queries."""
    component = allocation.component
    rows = _rows(session, allocation.id)
    centres = _centres(session, allocation.id, rows)
    codes = status_code_map(component)
    deadline = allocation_deadline(session, allocation)
    by_centre: dict[str, list[SheetRow]] = {centre.number: [] for centre in centres}
    for row in rows:
        by_centre.setdefault(row.centre_number, []).append(row)
    return MarkSheet(
        allocation_id=allocation.id,
        label=component.label,
        max_mark=component.max_mark,
        status_codes=codes,
        not_received_codes=not_received_code_map(codes, not_received_codes),
        allowed_hint=allowed_values_hint(component.max_mark, codes),
        version=allocation.version,
        deadline=deadline,
        deadline_passed=deadline.passed(now),
        centres=centres,
        rows=rows,
        examiner=Appointee(allocation.tenant_id, allocation.object_id),
        email=allocation.email,
        rows_by_centre=by_centre,
    )


def examiner_sheet_entries(allocation_id: int, *columns) -> Select:
    """``columns`` for each entry on an examiner's sheet: the component's entries in the centres this allocation
    holds (``ExaminerCentre``), joined to their centre, candidate and mark (when there is one)."""
    return (
        select(*columns)
        .select_from(ExaminerCentre)
        .join(Centre, Centre.id == ExaminerCentre.centre_id)
        .join(Candidate, Candidate.centre_id == ExaminerCentre.centre_id)
        .join(Entry, and_(Entry.candidate_id == Candidate.id, Entry.component_id == ExaminerCentre.component_id))
        .outerjoin(Mark, Mark.entry_id == Entry.id)
        .where(ExaminerCentre.allocation_id == allocation_id)
    )


def _rows(session: Session, allocation_id: int) -> list[SheetRow]:
    query = examiner_sheet_entries(
        allocation_id, Entry.id, Centre.number, Candidate.number, Candidate.name, ExaminerCentre.status,
        Mark.examiner_mark, Mark.status_code, Mark.script_received,
    ).order_by(Centre.number, Candidate.number)
    return [
        SheetRow(entry_id, centre, number, name, ParsedMark(mark, code), received is not False, status == "submitted")
        for entry_id, centre, number, name, status, mark, code, received in session.execute(query)
    ]


def _centres(session: Session, allocation_id: int, rows: list[SheetRow]) -> list[CentreState]:
    totals: dict[str, list[int]] = {}
    for row in rows:
        counts = totals.setdefault(row.centre_number, [0, 0])
        counts[0] += 1
        counts[1] += row.value != ParsedMark()
    query = (
        select(ExaminerCentre, Centre.number, Centre.name)
        .join(Centre, Centre.id == ExaminerCentre.centre_id)
        .where(ExaminerCentre.allocation_id == allocation_id)
        .order_by(Centre.number)
    )
    centres = []
    for held, number, name in session.execute(query):
        reopened_by = (Appointee(held.reopened_by_tenant_id, held.reopened_by_object_id)
                       if held.reopened_by_object_id else None)
        total, entered = totals.get(number, (0, 0))
        centres.append(CentreState(number, name, held.status, held.submitted_at, held.reopened_at, reopened_by,
                                   held.reopen_reason, total, entered))
    return centres
