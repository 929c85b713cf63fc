"""Centre marks in entries.csv: a number or one of the component's codes, kept apart from examiners' marks.

A re-imported centre mark replaces the stored one (audited, its version counted) while moderation of that
candidate has not begun; once the entry has a moderated mark or code, or the centre's moderation report has been
submitted, the change is refused with the line number, so what the moderator judged never shifts under them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal_app.data.audit import Change, record_changes
from portal_app.data.csvrows import ImportReport, Row, RowError
from portal_app.data.import_context import ImportContext
from portal_app.data.models import Allocation, Candidate, Centre, Component, Entry, Mark, ModerationReport
from portal_app.data.validation import ParsedMark


def centre_value(row: Row, component: Component | None) -> ParsedMark | None:
    """The row's centre_mark as a mark or code; None when the column is missing or empty (or the value is bad)."""
    text = (row.data.get("centre_mark") or "").strip()
    if not text or component is None:
        return None
    if component.assessment_type != "internally_assessed":
        row.fail(f"centre_mark is for internally assessed components; {component.code} is examined "
                 f"(set assessment_type in components.csv)")
        return None
    codes = {c.code for c in component.status_codes}
    if text.upper() in codes:
        return ParsedMark(code=text.upper())
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) > 10000:
        listed = f" or one of the codes {', '.join(sorted(codes))}" if codes else ""
        row.fail(f"centre_mark {text[:40]!r} is not a whole number from 0 to 10000{listed}")
        return None
    if int(text) > component.max_mark:
        row.fail(f"centre_mark {int(text)} is more than the maximum mark of {component.max_mark}")
        return None
    return ParsedMark(mark=int(text))


@dataclass(frozen=True)
class StoredCentreMark:
    """An existing entry's centre value and whether moderation of it has begun."""

    entry_id: int
    mark_id: int | None
    value: ParsedMark
    version: int
    moderated: bool
    report_submitted: bool


def stored_centre_marks(session: Session, component_ids: set[int]) -> dict[tuple[int, str, str], StoredCentreMark]:
    """(component id, centre number, candidate number) -> what is stored, for every entry of the components."""
    if not component_ids:
        return {}
    locked = {tuple(row) for row in session.execute(
        select(Allocation.component_id, ModerationReport.centre_id)
        .join(ModerationReport, ModerationReport.allocation_id == Allocation.id)
        .where(Allocation.component_id.in_(component_ids), ModerationReport.status != "draft")
    )}
    query = (
        select(Entry.id, Entry.component_id, Centre.id, Centre.number, Candidate.number, Mark.id,
               Mark.centre_mark, Mark.centre_code, Mark.centre_version, Mark.moderated_mark, Mark.moderated_code)
        .join(Candidate, Candidate.id == Entry.candidate_id)
        .join(Centre, Centre.id == Candidate.centre_id)
        .outerjoin(Mark, Mark.entry_id == Entry.id)
        .where(Entry.component_id.in_(component_ids))
    )
    return {
        (component_id, centre, candidate): StoredCentreMark(
            entry_id, mark_id, ParsedMark(mark, code), version or 0,
            moderated_mark is not None or moderated_code is not None, (component_id, centre_id) in locked)
        for entry_id, component_id, centre_id, centre, candidate, mark_id, mark, code, version, moderated_mark,
        moderated_code in session.execute(query)
    }


def refused_change(stored: StoredCentreMark, new: ParsedMark, centre: str, candidate: str) -> str | None:
    """Why a new centre value may not replace the stored one, or None when it may (or nothing changes)."""
    if new == stored.value:
        return None
    change = f"the centre mark of {centre}/{candidate} cannot change from {stored.value.display or 'empty'} to " \
             f"{new.display}"
    if stored.moderated:
        return f"{change}: this candidate has a moderated mark"
    if stored.report_submitted:
        return f"{change}: the centre's moderation report has been submitted"
    return None


def check_changes(session: Session, parsed: list[dict], report: ImportReport) -> dict[int, tuple]:
    """Validate changed centre values of existing entries; entry id -> (stored, new) for those allowed."""
    stored = stored_centre_marks(session, {fields["component"].id for fields in parsed
                                           if fields["centre_mark"] is not None})
    changes = {}
    for fields in parsed:
        new = fields["centre_mark"]
        found = stored.get((fields["component"].id, fields["centre"], fields["candidate"]))
        if new is None or found is None or new == found.value:
            continue
        refusal = refused_change(found, new, fields["centre"], fields["candidate"])
        if refusal:
            report.errors.append(RowError(fields["line"], refusal))
        else:
            changes[found.entry_id] = (found, new)
    return changes


def apply_changes(session: Session, changes: dict[int, tuple], context: ImportContext) -> None:
    """Write the allowed changes in one UPDATE (new mark rows where none existed) and audit each."""
    rows = [{"id": found.mark_id, "centre_mark": new.mark, "centre_code": new.code,
             "centre_version": found.version + 1} for found, new in changes.values() if found.mark_id is not None]
    if rows:
        session.execute(update(Mark), rows)
    for entry_id, (found, new) in changes.items():
        if found.mark_id is None:
            session.add(Mark(entry_id=entry_id, centre_mark=new.mark, centre_code=new.code, centre_version=1))
    record_changes(session, context.actor, context.audit, [
        Change("entry", entry_id, "centre_mark", found.value.display or None, new.display)
        for entry_id, (found, new) in changes.items()
    ])
