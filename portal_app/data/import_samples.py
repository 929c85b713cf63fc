"""Importing moderation samples (samples.csv): who is in each moderator's sample of a centre, and why.

Checked before anything is written: the moderator is allocated the candidate's centre, the candidate has a centre
mark that may be sampled, no entry is in two samples, the reason of a row already imported never changes, a
centre whose report was submitted takes no new rows, and every centre the file touches follows the sample rules
(config/moderation.toml). Rows already imported count as unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_app.data.csvrows import (
    ImportReport,
    Row,
    RowError,
    component_of,
    components_by_key,
    first_seen,
    read_rows,
)
from portal_app.data.import_context import ImportContext
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
from portal_app.data.sample_rules import centre_sample_problems, eligible
from portal_app.data.validation import ParsedMark

SAMPLE_COLUMNS = ("tenant_id", "object_id", "series_code", "component_code", "centre_number", "candidate_number")
# A replacement is made by the moderator in the portal, naming the candidate it replaces; never by a file.
IMPORT_REASONS = ("generated", "highest", "lowest", "additional")


@dataclass(frozen=True)
class Target:
    """A candidate a moderator may sample: their allocation, the entry, its centre and centre value."""

    allocation_id: int
    entry_id: int
    centre_id: int
    centre_number: str
    value: ParsedMark


@dataclass(frozen=True)
class SampleLine:
    line: int
    target: Target
    reason: str
    note: str | None
    exists: bool


def import_samples(session: Session, path: str | Path, context: ImportContext | None = None) -> ImportReport:
    """Add candidates to moderators' samples, all or nothing."""
    rules = (context or ImportContext()).rules
    report = ImportReport()
    components = components_by_key(session)
    rows = read_rows(path, SAMPLE_COLUMNS, report)
    keyed = [(row, _key(row, components)) for row in rows]
    component_ids = {key[2] for _, key in keyed if key is not None}
    targets, cohorts = _targets(session, component_ids)
    existing = _existing(session, component_ids)
    locked = _submitted_centres(session, component_ids)
    parsed, seen = [], {}
    for row, key in keyed:
        reason = _reason(row)
        note = row.text("note", max_len=1000, required=False)
        if reason == "additional" and note is None:
            row.fail("note is empty: an additional candidate needs the reason they were added")
        target = None if key is None else targets.get(key)
        if key is not None and target is None:
            row.fail(f"no moderator allocation of {key[1]} on {row.data['component_code'].strip()} covers "
                     f"candidate {key[3]}/{key[4]}")
        if target is None or reason is None or not first_seen(row, (target.entry_id,), seen):
            continue
        problem = _row_problem(target, reason, existing.get(target.entry_id), locked, rules, key)
        if problem:
            row.fail(problem)
        else:
            parsed.append(SampleLine(row.line, target, reason, note, target.entry_id in existing))
    if report.ok:
        _check_rules(parsed, existing, cohorts, rules, report)
    if report.ok:
        for line in parsed:
            if not line.exists:
                session.add(ModerationSample(allocation_id=line.target.allocation_id, entry_id=line.target.entry_id,
                                             reason=line.reason, note=line.note, work="received"))
            report.count("unchanged" if line.exists else "created")
        session.flush()
    return report


def _key(row: Row, components: dict) -> tuple | None:
    tid, oid = row.guid("tenant_id"), row.guid("object_id")
    component = component_of(row, components)
    centre, candidate = row.number("centre_number"), row.number("candidate_number")
    if None in (tid, oid, component, centre, candidate):
        return None
    return (tid, oid, component.id, centre, candidate)


def _reason(row: Row) -> str | None:
    value = (row.data.get("reason") or "").strip().lower() or "generated"
    if value not in IMPORT_REASONS:
        row.fail(f"reason {value[:40]!r} is not one of: {', '.join(IMPORT_REASONS)} (replacements are made by the "
                 f"moderator in the portal)")
        return None
    return value


def _row_problem(target: Target, reason: str, held: tuple | None, locked: set, rules, key: tuple) -> str | None:
    who = f"{key[3]}/{key[4]}"
    if not eligible(target.value, rules):
        if target.value.code is not None:
            return f"candidate {who} has the centre code {target.value.code}, which is never sampled"
        return f"candidate {who} has no centre mark yet; import the centre's marks (entries.csv) first"
    if held is not None and held[0] != target.allocation_id:
        return f"candidate {who} is already in the sample of another moderator (allocation {held[0]})"
    if held is not None and held[1] != reason:
        return f"candidate {who} is already in the sample as {held[1]}; an import cannot change why"
    if held is None and (target.allocation_id, target.centre_id) in locked:
        return f"the moderation report of centre {key[3]} has been submitted, so its sample cannot change"
    return None


def _targets(session: Session, component_ids: set[int]):
    """Every (moderator, component, centre, candidate) a sample row may name, and each centre's cohort."""
    query = (
        select(Allocation.tenant_id, Allocation.object_id, Allocation.component_id, Centre.number, Candidate.number,
               Allocation.id, Entry.id, Centre.id, Mark.centre_mark, Mark.centre_code)
        .join(AllocationCentre, AllocationCentre.allocation_id == Allocation.id)
        .join(Centre, Centre.id == AllocationCentre.centre_id)
        .join(Candidate, Candidate.centre_id == Centre.id)
        .join(Entry, (Entry.candidate_id == Candidate.id) & (Entry.component_id == Allocation.component_id))
        .outerjoin(Mark, Mark.entry_id == Entry.id)
        .where(Allocation.role == "moderator", Allocation.component_id.in_(component_ids))
    )
    targets, cohorts = {}, defaultdict(dict)
    for tid, oid, component, centre, candidate, allocation, entry, centre_id, mark, code in session.execute(query):
        value = ParsedMark(mark, code)
        targets[(tid, oid, component, centre, candidate)] = Target(allocation, entry, centre_id, centre, value)
        cohorts[(allocation, centre_id)][entry] = value
    return targets, cohorts


def _existing(session: Session, component_ids: set[int]) -> dict[int, tuple[int, str, int]]:
    """entry id -> (allocation id, reason, centre id) of every sample row already on these components."""
    query = (
        select(ModerationSample.entry_id, ModerationSample.allocation_id, ModerationSample.reason,
               Candidate.centre_id)
        .join(Entry, Entry.id == ModerationSample.entry_id)
        .join(Candidate, Candidate.id == Entry.candidate_id)
        .where(Entry.component_id.in_(component_ids))
    )
    return {entry: (allocation, reason, centre) for entry, allocation, reason, centre in session.execute(query)}


def _submitted_centres(session: Session, component_ids: set[int]) -> set[tuple[int, int]]:
    query = (
        select(ModerationReport.allocation_id, ModerationReport.centre_id)
        .join(Allocation, Allocation.id == ModerationReport.allocation_id)
        .where(Allocation.component_id.in_(component_ids), ModerationReport.status != "draft")
    )
    return {tuple(row) for row in session.execute(query)}


def _check_rules(parsed: list[SampleLine], existing: dict, cohorts: dict, rules, report: ImportReport) -> None:
    """Each centre the file touches, with the rows already imported, against the sample rules."""
    lines: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    numbers = {}
    for line in parsed:
        lines[(line.target.allocation_id, line.target.centre_id)][line.target.entry_id] = line.line
        numbers[(line.target.allocation_id, line.target.centre_id)] = line.target.centre_number
    new_reasons = {line.target.entry_id: line.reason for line in parsed}
    for (allocation, centre), rows in lines.items():
        sample = {entry: reason for entry, (alloc, reason, at) in existing.items()
                  if (alloc, at) == (allocation, centre)}
        sample.update({entry: new_reasons[entry] for entry in rows})
        for problem in centre_sample_problems(cohorts[(allocation, centre)], sample, rules):
            line = rows.get(problem.entry_id, min(rows.values()))
            report.errors.append(RowError(line, f"centre {numbers[(allocation, centre)]}: {problem.message}"))
