"""One moderated centre as its pages show it: the sample beside the centre's marks, the differences against the
component's tolerance, the report, and the whole centre in rank order.

Nothing here computes an adjusted mark: the board decides adjustments, not the portal. Loading costs a fixed
number of queries whatever the size of the centre or its sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_app.data.access import own_allocation, status_code_map
from portal_app.data.audit import Appointee
from portal_app.data.errors import NotFound
from portal_app.data.models import (
    Allocation,
    AllocationCentre,
    Candidate,
    Centre,
    Entry,
    Mark,
    ModerationReport,
    ModerationSample,
)
from portal_app.data.validation import ParsedMark

EDITABLE = ("draft", "returned")


@dataclass(frozen=True)
class SampleRow:
    """A sampled candidate: why they are in the sample, whether the work arrived, centre and moderated values."""

    entry_id: int
    candidate_number: str
    candidate_name: str
    centre_value: ParsedMark
    moderated: ParsedMark
    reason: str
    note: str | None
    work: str
    replaced_by: str | None = None
    replaces: str | None = None

    @property
    def active(self) -> bool:
        """Still in the sample: not replaced by another candidate."""
        return self.replaced_by is None

    @property
    def done(self) -> bool:
        return self.moderated != ParsedMark()

    @property
    def difference(self) -> int | None:
        """Moderated minus centre mark, when both are numbers (positive: the centre marked lower)."""
        if self.moderated.mark is None or self.centre_value.mark is None:
            return None
        return self.moderated.mark - self.centre_value.mark


@dataclass(frozen=True)
class Report:
    """A moderator's report on one centre, and its latest review."""

    id: int
    status: str
    judgement: str | None
    rank_order: str | None
    language: str | None
    assessment_comment: str | None
    administration_comment: str | None
    task_setting_comment: str | None
    version: int
    submitted_at: datetime | None
    reviewed_at: datetime | None
    reviewer_name: str | None
    return_note: str | None

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


@dataclass(frozen=True)
class ToleranceSummary:
    """Centre against moderator over the rows where both are numbers."""

    compared: int
    within: int | None
    mean: float | None
    largest: int | None


@dataclass(frozen=True)
class CentreView:
    """Everything the review pages show about one centre of one moderator's allocation."""

    allocation_id: int
    moderator: Appointee
    moderator_email: str
    component_label: str
    max_mark: int
    tolerance: int | None
    status_codes: dict[str, str]
    centre_id: int
    centre_number: str
    centre_name: str
    report: Report
    rows: list[SampleRow]

    @property
    def version(self) -> int:
        return self.report.version

    @property
    def read_only(self) -> bool:
        return not self.report.editable

    @property
    def active_rows(self) -> list[SampleRow]:
        return [row for row in self.rows if row.active]

    @property
    def remaining(self) -> int:
        return sum(1 for row in self.active_rows if not row.done)

    def outside_tolerance(self, row: SampleRow) -> bool:
        return self.tolerance is not None and row.difference is not None and abs(row.difference) > self.tolerance

    @property
    def summary(self) -> ToleranceSummary:
        differences = [row.difference for row in self.active_rows if row.difference is not None]
        if not differences:
            return ToleranceSummary(0, None, None, None)
        within = None if self.tolerance is None else sum(1 for d in differences if abs(d) <= self.tolerance)
        largest = max(differences, key=abs)
        return ToleranceSummary(len(differences), within, sum(differences) / len(differences), largest)


def moderator_centre(session: Session, allocation_id: object, appointee: Appointee, centre_number: object):
    """One of the moderator's own centres; NotFound for any other allocation or centre."""
    return centre_view(session, own_allocation(session, allocation_id, appointee, "moderator"), centre_number)


def centre_view(session: Session, allocation: Allocation, centre_number: object) -> CentreView:
    """A centre of ``allocation`` (whose access the caller has checked): header, report and sample rows."""
    centre, report = centre_and_report(session, allocation, centre_number)
    replacement = Candidate.__table__.alias("replacement_candidate")
    replacement_entry = Entry.__table__.alias("replacement_entry")
    query = (
        select(ModerationSample.entry_id, Candidate.number, Candidate.name, Mark.centre_mark, Mark.centre_code,
               Mark.moderated_mark, Mark.moderated_code, ModerationSample.reason, ModerationSample.note,
               ModerationSample.work, replacement.c.number)
        .join(Entry, Entry.id == ModerationSample.entry_id)
        .join(Candidate, Candidate.id == Entry.candidate_id)
        .outerjoin(Mark, Mark.entry_id == Entry.id)
        .outerjoin(replacement_entry, replacement_entry.c.id == ModerationSample.replaced_by_entry_id)
        .outerjoin(replacement, replacement.c.id == replacement_entry.c.candidate_id)
        .where(ModerationSample.allocation_id == allocation.id, Candidate.centre_id == centre.id)
        .order_by(Candidate.number)
    )
    rows = [SampleRow(entry, number, name, ParsedMark(cm, cc), ParsedMark(mm, mc), reason, note, work, replaced_by)
            for entry, number, name, cm, cc, mm, mc, reason, note, work, replaced_by in session.execute(query)]
    replaced = {row.replaced_by: row.candidate_number for row in rows if row.replaced_by}
    rows = [row if row.candidate_number not in replaced else _replacing(row, replaced[row.candidate_number])
            for row in rows]
    component = allocation.component
    return CentreView(allocation.id, Appointee(allocation.tenant_id, allocation.object_id), allocation.email,
                      component.label, component.max_mark, component.tolerance, status_code_map(component),
                      centre.id, centre.number, centre.name, _report(report), rows)


def _replacing(row: SampleRow, replaced: str) -> SampleRow:
    return SampleRow(row.entry_id, row.candidate_number, row.candidate_name, row.centre_value, row.moderated,
                     row.reason, row.note, row.work, row.replaced_by, replaced)


def centre_and_report(session: Session, allocation: Allocation, centre_number: object):
    """(Centre, ModerationReport) of a centre on the allocation; NotFound when the centre is not on it."""
    query = (
        select(Centre, ModerationReport)
        .execution_options(populate_existing=True)
        .join(AllocationCentre, AllocationCentre.centre_id == Centre.id)
        .outerjoin(ModerationReport, (ModerationReport.allocation_id == AllocationCentre.allocation_id)
                   & (ModerationReport.centre_id == Centre.id))
        .where(AllocationCentre.allocation_id == allocation.id, Centre.number == str(centre_number)[:16])
    )
    found = session.execute(query).first()
    if found is None:
        raise NotFound(f"centre {str(centre_number)[:16]!r} is not on allocation {allocation.id}")
    centre, report = found
    if report is None:  # a centre allocated before reports existed in this database; every import makes one
        report = ModerationReport(allocation_id=allocation.id, centre_id=centre.id, status="draft", version=0)
        session.add(report)
        session.flush()
    return centre, report


def _report(r: ModerationReport) -> Report:
    return Report(r.id, r.status, r.judgement, r.rank_order, r.language, r.assessment_comment,
                  r.administration_comment, r.task_setting_comment, r.version, r.submitted_at, r.reviewed_at,
                  r.reviewer_name, r.return_note)


@dataclass(frozen=True)
class RankedCandidate:
    """A candidate of the centre in rank order of the centre's marks, and their place in the sample if any."""

    entry_id: int
    number: str
    name: str
    value: ParsedMark
    rank: int | None
    reason: str | None
    work: str | None
    replaced: bool
    elsewhere: bool

    @property
    def sampled(self) -> bool:
        return self.reason is not None and not self.replaced


def centre_candidates(session: Session, allocation: Allocation, centre_id: int) -> list[RankedCandidate]:
    """Every candidate of the centre for the component, highest centre mark first (codes, then blanks, last)."""
    query = (
        select(Entry.id, Candidate.number, Candidate.name, Mark.centre_mark, Mark.centre_code,
               ModerationSample.allocation_id, ModerationSample.reason, ModerationSample.work,
               ModerationSample.replaced_by_entry_id)
        .join(Candidate, Candidate.id == Entry.candidate_id)
        .outerjoin(Mark, Mark.entry_id == Entry.id)
        .outerjoin(ModerationSample, ModerationSample.entry_id == Entry.id)
        .where(Entry.component_id == allocation.component_id, Candidate.centre_id == centre_id)
    )
    found = list(session.execute(query))
    found.sort(key=lambda r: (r[3] is None, -(r[3] or 0), r[4] is None, r[4] or "", r[1]))
    ranked, rank, previous = [], 0, None
    for position, (entry, number, name, mark, code, sample_of, reason, work, replaced_by) in enumerate(found, 1):
        if mark is not None and mark != previous:
            rank, previous = position, mark
        mine = sample_of == allocation.id
        ranked.append(RankedCandidate(entry, number, name, ParsedMark(mark, code), rank if mark is not None else None,
                                      reason if mine else None, work if mine else None,
                                      mine and replaced_by is not None, sample_of is not None and not mine))
    return ranked
