"""IAMIS for moderators: the Moderator Mark Input table, with the seed guide's columns, from the centre marks.

Total Entered counts the entries at the moderator's centres with a centre mark or code, Total CF/Abs those with a
code (carried forward, absent, ...), Total with new marks those with a number; Total Reports Completed counts
reports submitted or accepted; REVIEW MARKS(N) REMAINING counts sample rows still without a moderated mark or
the work-not-received code. A fixed number of queries, whatever the number of allocations, centres or rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from portal_app.data.access import allocation_entries, own_allocations
from portal_app.data.audit import Appointee
from portal_app.data.models import (
    AllocationCentre,
    Candidate,
    Centre,
    Entry,
    Mark,
    ModerationReport,
    ModerationSample,
)

COMPLETED = ("submitted", "accepted")


@dataclass(frozen=True)
class ModeratorComponent:
    """One row of the Moderator Mark Input table, with the seed guide's columns."""

    allocation_id: int
    label: str
    formula_pdf: str | None
    formula_pdf_welsh: str | None
    total_centres: int
    total_sample_cands: int
    total_reports_completed: int
    review_remaining: int
    total_entered: int
    total_cf_abs: int
    total_with_new_marks: int
    reports_returned: int = 0

    @property
    def review_label(self) -> str:
        return f"REVIEW MARKS({self.review_remaining}) REMAINING"


@dataclass(frozen=True)
class ReportCounts:
    """An allocation's centres and the state of their reports."""

    centres: int = 0
    submitted: int = 0
    returned: int = 0
    accepted: int = 0
    last_activity: object = None

    @property
    def completed(self) -> int:
        return self.submitted + self.accepted


def moderator_components(session: Session, appointee: Appointee) -> list[ModeratorComponent]:
    """The appointee's moderator allocations with their totals, in four queries."""
    allocations = own_allocations(session, appointee, "moderator")
    ids = [a.id for a in allocations]
    reports, samples, entries = report_counts(session, ids), sample_counts(session, ids), entry_counts(session, ids)
    rows = []
    for a in allocations:
        counts = reports.get(a.id, ReportCounts())
        sample_cands, remaining = samples.get(a.id, (0, 0))
        entered, coded, marked = entries.get(a.id, (0, 0, 0))
        rows.append(ModeratorComponent(
            allocation_id=a.id, label=a.component.label, formula_pdf=a.component.formula_pdf,
            formula_pdf_welsh=a.component.formula_pdf_welsh, total_centres=counts.centres,
            total_sample_cands=sample_cands, total_reports_completed=counts.completed, review_remaining=remaining,
            total_entered=entered, total_cf_abs=coded, total_with_new_marks=marked,
            reports_returned=counts.returned))
    return rows


# The list statements are built once, with the allocation ids as an expanding parameter: building a statement
# costs more CPU than running it on these small tables (profiled: most of the IAMIS page's time), and the
# principal's page runs two of them twice (their own components and their team's).
_IDS = bindparam("ids", expanding=True)


def _reports_in(name: str):
    return func.sum(case((ModerationReport.status == name, 1), else_=0))


_REPORT_COUNTS = (
    select(ModerationReport.allocation_id, func.count(), _reports_in("submitted"), _reports_in("returned"),
           _reports_in("accepted"), func.max(ModerationReport.last_activity_at))
    .where(ModerationReport.allocation_id.in_(_IDS))
    .group_by(ModerationReport.allocation_id)
)
# A row the moderator replaced is no longer in the sample; its replacement is.
_SAMPLE_COUNTS = (
    select(ModerationSample.allocation_id, func.count(),
           func.sum(case((Mark.moderated_mark.is_(None) & Mark.moderated_code.is_(None), 1), else_=0)))
    .outerjoin(Mark, Mark.entry_id == ModerationSample.entry_id)
    .where(ModerationSample.allocation_id.in_(_IDS), ModerationSample.replaced_by_entry_id.is_(None))
    .group_by(ModerationSample.allocation_id)
)
_SHEET = allocation_entries(_IDS).subquery()
_ENTRY_COUNTS = (
    select(_SHEET.c.allocation_id, func.sum(case((Mark.centre_code.is_not(None), 1), else_=0)),
           func.sum(case((Mark.centre_mark.is_not(None), 1), else_=0)))
    .outerjoin(Mark, Mark.entry_id == _SHEET.c.entry_id)
    .group_by(_SHEET.c.allocation_id)
)


def report_counts(session: Session, ids: Iterable[int]) -> dict[int, ReportCounts]:
    """allocation id -> its centres, reports submitted / returned / accepted, and the moderator's last change."""
    return {a: ReportCounts(n, int(s or 0), int(r or 0), int(acc or 0), last)
            for a, n, s, r, acc, last in session.execute(_REPORT_COUNTS, {"ids": list(ids)})}


def sample_counts(session: Session, ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """allocation id -> (candidates in the sample, of them still without a moderated mark or code)."""
    return {a: (n, int(left or 0)) for a, n, left in session.execute(_SAMPLE_COUNTS, {"ids": list(ids)})}


def entry_counts(session: Session, ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """allocation id -> (entered by the centre, with a code such as CF or A, with a numeric centre mark)."""
    return {a: (int(c or 0) + int(m or 0), int(c or 0), int(m or 0))
            for a, c, m in session.execute(_ENTRY_COUNTS, {"ids": list(ids)})}


@dataclass(frozen=True)
class CentreLine:
    """One centre on an allocation's list: its report's state and how much of its sample is still to do."""

    number: str
    name: str
    status: str
    sample: int
    remaining: int


def centre_listing(session: Session, allocation_id: int) -> list[CentreLine]:
    """The allocation's centres in number order, each with its report status and sample counts (one query)."""
    remaining = func.sum(case((Mark.moderated_mark.is_(None) & Mark.moderated_code.is_(None), 1), else_=0))
    sample = (
        select(Candidate.centre_id.label("centre_id"), func.count().label("n"), remaining.label("left"))
        .select_from(ModerationSample)
        .join(Entry, Entry.id == ModerationSample.entry_id)
        .join(Candidate, Candidate.id == Entry.candidate_id)
        .outerjoin(Mark, Mark.entry_id == ModerationSample.entry_id)
        .where(ModerationSample.allocation_id == allocation_id, ModerationSample.replaced_by_entry_id.is_(None))
        .group_by(Candidate.centre_id)
        .subquery()
    )
    query = (
        select(Centre.number, Centre.name, ModerationReport.status, sample.c.n, sample.c.left)
        .join(AllocationCentre, AllocationCentre.centre_id == Centre.id)
        .outerjoin(ModerationReport, (ModerationReport.allocation_id == AllocationCentre.allocation_id)
                   & (ModerationReport.centre_id == Centre.id))
        .outerjoin(sample, sample.c.centre_id == Centre.id)
        .where(AllocationCentre.allocation_id == allocation_id)
        .order_by(Centre.number)
    )
    return [CentreLine(number, name, status or "draft", n or 0, int(left or 0))
            for number, name, status, n, left in session.execute(query)]
