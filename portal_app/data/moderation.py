"""IAMIS services for moderators: the component table, a centre's sample, moderated marks, centre reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from portal_app.data.access import allocation_entries, bump_version, id_or_none, own_allocation
from portal_app.data.audit import Appointee, AuditContext, Change, record_changes
from portal_app.data.errors import IncompleteSheet, InvalidMarks, NotFound, SheetLocked, StaleSheet
from portal_app.data.messages import N_, Message
from portal_app.data.models import Allocation, AllocationCentre, Candidate, Centre, Entry, Mark, ModerationSample
from portal_app.data.validation import ParsedMark, parse_mark


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

    @property
    def review_label(self) -> str:
        return f"REVIEW MARKS({self.review_remaining}) REMAINING"


def moderator_components(session: Session, appointee: Appointee) -> list[ModeratorComponent]:
    """The appointee's moderator allocations with their totals, in a fixed number of queries."""
    mine = select(Allocation.id).where(
        Allocation.tenant_id == appointee.tid, Allocation.object_id == appointee.oid, Allocation.role == "moderator"
    )
    allocations = [own_allocation(session, a, appointee, "moderator") for a in session.scalars(mine)]
    ids = [a.id for a in allocations]
    centres = dict.fromkeys(ids, (0, 0)) | {
        a: (n, done)
        for a, n, done in session.execute(
            select(AllocationCentre.allocation_id, func.count(), func.count(AllocationCentre.report_completed_at))
            .where(AllocationCentre.allocation_id.in_(ids))
            .group_by(AllocationCentre.allocation_id)
        )
    }
    samples = sample_counts(session, ids)
    entries = entry_counts(session, ids)
    rows = []
    for a in allocations:
        sample_cands, remaining = samples.get(a.id, (0, 0))
        entered, coded, marked = entries.get(a.id, (0, 0, 0))
        rows.append(
            ModeratorComponent(
                allocation_id=a.id,
                label=a.component.label,
                formula_pdf=a.component.formula_pdf,
                formula_pdf_welsh=a.component.formula_pdf_welsh,
                total_centres=centres[a.id][0],
                total_sample_cands=sample_cands,
                total_reports_completed=centres[a.id][1],
                review_remaining=remaining,
                total_entered=entered,
                total_cf_abs=coded,
                total_with_new_marks=marked,
            )
        )
    return rows


def sample_counts(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    """allocation id -> (sample size, sample entries still without a moderated mark)."""
    remaining = func.sum(case((Mark.moderated_mark.is_(None), 1), else_=0))
    query = (
        select(ModerationSample.allocation_id, func.count(), remaining)
        .outerjoin(Mark, Mark.entry_id == ModerationSample.entry_id)
        .where(ModerationSample.allocation_id.in_(ids))
        .group_by(ModerationSample.allocation_id)
    )
    return {a: (n, int(left or 0)) for a, n, left in session.execute(query)}


def entry_counts(session: Session, ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """allocation id -> (entered, with a status code such as CF/A, with a numeric mark)."""
    sheet = allocation_entries(ids).subquery()
    entered = func.sum(case((Mark.examiner_mark.is_not(None) | Mark.status_code.is_not(None), 1), else_=0))
    coded = func.sum(case((Mark.status_code.is_not(None), 1), else_=0))
    marked = func.sum(case((Mark.examiner_mark.is_not(None), 1), else_=0))
    query = (
        select(sheet.c.allocation_id, entered, coded, marked)
        .outerjoin(Mark, Mark.entry_id == sheet.c.entry_id)
        .group_by(sheet.c.allocation_id)
    )
    return {a: (int(e or 0), int(c or 0), int(m or 0)) for a, e, c, m in session.execute(query)}


@dataclass(frozen=True)
class SampleRow:
    """A sampled candidate: the centre's mark (or code) beside the moderated mark."""

    entry_id: int
    candidate_number: str
    candidate_name: str
    centre_value: ParsedMark
    moderated_mark: int | None


@dataclass(frozen=True)
class CentreSample:
    """A centre's sample for review; read-only once the centre's report is completed."""

    allocation_id: int
    centre_number: str
    centre_name: str
    max_mark: int
    version: int
    report_completed: bool
    rows: list[SampleRow]


def load_centre_sample(session: Session, allocation_id: object, appointee: Appointee, centre_number: str):
    """The sample of one of the moderator's own centres; NotFound for any other allocation or centre."""
    allocation = own_allocation(session, allocation_id, appointee, "moderator")
    centre, link = _own_centre(session, allocation, centre_number)
    query = (
        select(Entry.id, Candidate.number, Candidate.name)
        .add_columns(Mark.examiner_mark, Mark.status_code, Mark.moderated_mark)
        .join(ModerationSample, ModerationSample.entry_id == Entry.id)
        .join(Candidate, Candidate.id == Entry.candidate_id)
        .outerjoin(Mark, Mark.entry_id == Entry.id)
        .where(ModerationSample.allocation_id == allocation.id, Candidate.centre_id == centre.id)
        .order_by(Candidate.number)
    )
    rows = [SampleRow(e, n, name, ParsedMark(m, c), mod) for e, n, name, m, c, mod in session.execute(query)]
    return CentreSample(
        allocation.id,
        centre.number,
        centre.name,
        allocation.component.max_mark,
        allocation.version,
        link.report_completed_at is not None,
        rows,
    )


def _own_centre(session: Session, allocation: Allocation, centre_number: object):
    query = (
        select(Centre, AllocationCentre)
        .join(AllocationCentre, AllocationCentre.centre_id == Centre.id)
        .where(AllocationCentre.allocation_id == allocation.id, Centre.number == str(centre_number))
    )
    found = session.execute(query).first()
    if found is None:
        raise NotFound(f"centre {str(centre_number)[:16]!r} is not on allocation {allocation.id}")
    return found


def save_moderated_marks(
    session: Session,
    allocation_id: object,
    appointee: Appointee,
    centre_number: str,
    values: Mapping[object, object],
    expected_version: int,
    audit_context: AuditContext,
) -> int:
    """Validate and save moderated marks for a centre's sample, all or nothing; returns the new version."""
    sample = load_centre_sample(session, allocation_id, appointee, centre_number)
    if sample.report_completed:
        raise SheetLocked(f"centre {centre_number} report completed")
    current = {row.entry_id: row for row in sample.rows}
    parsed, errors = {}, {}
    for key, raw in values.items():
        entry_id = id_or_none(key)
        if entry_id not in current:
            errors[str(key)] = Message(N_("This candidate is not in your sample."))
            continue
        centre_value = current[entry_id].centre_value
        if centre_value.mark is None and centre_value.code is None:
            # Nothing to moderate yet (and no mark row to write to): a refusal, never a 500 (issue 13).
            if str(raw).strip():
                errors[entry_id] = Message(N_("The centre has not sent a mark for this candidate yet, so there is "
                                              "nothing to moderate."))
            continue
        result = parse_mark(raw, sample.max_mark, {})  # a moderated mark is always a number
        if isinstance(result, Message):
            errors[entry_id] = result
        else:
            parsed[entry_id] = result
    if errors:
        raise InvalidMarks(errors)
    changed = {e: v.mark for e, v in parsed.items() if v.mark != current[e].moderated_mark}
    if expected_version != sample.version:
        raise StaleSheet(sample.version, {e: current[e].moderated_mark for e in changed})
    if not changed:
        return sample.version
    allocation = own_allocation(session, allocation_id, appointee, "moderator")
    version = bump_version(session, allocation, expected_version)
    mark_ids = dict(session.execute(select(Mark.entry_id, Mark.id).where(Mark.entry_id.in_(changed))).all())
    rows = [{"id": mark_ids[e], "moderated_mark": m, "moderated_version": version} for e, m in changed.items()]
    session.execute(update(Mark), rows)
    record_changes(
        session, appointee, audit_context, [_change(e, current[e].moderated_mark, m) for e, m in changed.items()]
    )
    return version


def _change(entry_id: int, old: int | None, new: int | None) -> Change:
    return Change(
        "entry", entry_id, "moderated_mark", None if old is None else str(old), None if new is None else str(new)
    )


def complete_centre_report(
    session: Session,
    allocation_id: object,
    appointee: Appointee,
    centre_number: str,
    expected_version: int,
    audit_context: AuditContext,
) -> int:
    """Mark a centre's report complete once every sampled candidate has a moderated mark; then read-only."""
    sample = load_centre_sample(session, allocation_id, appointee, centre_number)
    if sample.report_completed:
        raise SheetLocked(f"centre {centre_number} report already completed")
    if expected_version != sample.version:
        raise StaleSheet(sample.version, {})
    missing = [row.entry_id for row in sample.rows if row.moderated_mark is None]
    if missing:
        raise IncompleteSheet(missing)
    allocation = own_allocation(session, allocation_id, appointee, "moderator")
    version = bump_version(session, allocation, expected_version)
    _, link = _own_centre(session, allocation, centre_number)
    link.report_completed_at = datetime.now(UTC)
    record_changes(
        session,
        appointee,
        audit_context,
        [Change("allocation", allocation.id, f"report:{centre_number}", None, "completed")],
    )
    session.flush()
    return version
