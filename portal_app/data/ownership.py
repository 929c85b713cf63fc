"""One examiner per centre of a component, so every entry has one owner: checked at import, moved on request.

``allocations.csv`` may give a centre to an examiner only if no other examiner allocation of the component
holds it. A row with ``reallocate`` set to ``keep-marks`` or ``clear-marks`` moves the centre instead: the
first examiner's access ends in the same transaction (their open tabs can no longer save it), the marks stay
with the candidates or are cleared, and the audit records the move. A submitted centre never moves: a
principal examiner reopens it first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session

from portal_app.data.audit import Appointee, AuditContext, Change, record_changes
from portal_app.data.csvrows import Row
from portal_app.data.examining_models import ExaminerCentre
from portal_app.data.marks_save import current_entries, lock_sheet, sync_allocation_status
from portal_app.data.models import Allocation, AllocationCentre, Candidate, Centre, Entry, Mark

REALLOCATE_OPTIONS = ("keep-marks", "clear-marks")
# Who the audit names for changes made by `portal import`: operations staff, not an appointee.
IMPORT_ACTOR = Appointee("operations", "portal import")


@dataclass(frozen=True)
class Holder:
    """The examiner allocation that holds a centre of a component."""

    allocation_id: int
    tenant_id: str
    object_id: str
    email: str
    status: str


def reallocate_option(row: Row, role: str | None) -> str | None:
    """The row's optional ``reallocate`` value: None (do not move), keep-marks or clear-marks."""
    value = (row.data.get("reallocate") or "").strip().lower()
    if value in ("", "no"):
        return None
    if value not in REALLOCATE_OPTIONS:
        row.fail(f"reallocate {value[:40]!r} is not one of: no, {', '.join(REALLOCATE_OPTIONS)}")
        return None
    if role is not None and role != "examiner":
        row.fail("reallocate applies to examiner allocations only")
        return None
    return value


def holders(session: Session, component_ids: Iterable[int]) -> dict[tuple[int, int], Holder]:
    """(component id, centre id) -> the examiner allocation holding it, for these components, in one query."""
    ids = list(set(component_ids))
    if not ids:
        return {}
    query = (
        select(ExaminerCentre.component_id, ExaminerCentre.centre_id, ExaminerCentre.status, Allocation)
        .join(Allocation, Allocation.id == ExaminerCentre.allocation_id)
        .where(ExaminerCentre.component_id.in_(ids))
    )
    return {(component, centre): Holder(a.id, a.tenant_id, a.object_id, a.email, status)
            for component, centre, status, a in session.execute(query)}


def check_examiner_rows(session: Session, rows: list[tuple[Row, dict]], centre_numbers: dict[int, str]) -> None:
    """Fail every examiner row that would give a centre a second examiner, naming the line or the holder."""
    examiner_rows = [(row, fields) for row, fields in rows if fields["role"] == "examiner"]
    held = holders(session, (fields["component"].id for _, fields in examiner_rows))
    first_line: dict[tuple[int, int], tuple[int, tuple[str, str]]] = {}
    for row, fields in examiner_rows:
        person = (fields["tenant_id"], fields["object_id"])
        component = fields["component"]
        for centre_id in sorted(fields["centres"], key=lambda c: centre_numbers[c]):
            key, number = (component.id, centre_id), centre_numbers[centre_id]
            earlier = first_line.setdefault(key, (row.line, person))
            if earlier[1] != person:
                row.fail(f"centre {number} of {component.code} is also given to another examiner on line "
                         f"{earlier[0]}; a centre has one examiner")
                continue
            holder = held.get(key)
            if holder is None or (holder.tenant_id, holder.object_id) == person:
                continue
            if fields["reallocate"] is None:
                row.fail(f"centre {number} of {component.code} is marked by examiner {holder.email} "
                         f"({holder.object_id}); set reallocate to keep-marks or clear-marks to move it")
            elif holder.status == "submitted":
                row.fail(f"centre {number} of {component.code} was submitted by {holder.email}; a principal "
                         "examiner must reopen it before it can move")


def take_centres(session: Session, allocation: Allocation, centre_ids: set[int], reallocate: str | None) -> None:
    """Give the allocation its centres, moving those another examiner holds (already checked to be allowed)."""
    held = holders(session, [allocation.component_id])
    new = [c for c in sorted(centre_ids) if (allocation.component_id, c) not in held]
    for centre_id in new:
        session.add(ExaminerCentre(allocation_id=allocation.id, centre_id=centre_id,
                                   component_id=allocation.component_id, status="open"))
    moving = [c for c in sorted(centre_ids)
              if (allocation.component_id, c) in held and held[(allocation.component_id, c)].allocation_id
              != allocation.id]
    if moving and reallocate is not None:
        for centre_id in moving:
            _move(session, held[(allocation.component_id, centre_id)].allocation_id, allocation, centre_id,
                  clear=reallocate == "clear-marks")
    session.flush()


def _move(session: Session, from_id: int, to: Allocation, centre_id: int, *, clear: bool) -> None:
    """Move one open centre from another examiner allocation to ``to``: their access ends now."""
    now = datetime.now(UTC)
    losing = session.get(Allocation, from_id)
    # Lock both sheets in id order, as every writer does, so a save in flight either lands first or is refused.
    for sheet in sorted((losing, to), key=lambda a: a.id):
        lock_sheet(session, sheet)
    number = session.scalar(select(Centre.number).where(Centre.id == centre_id))
    entries = current_entries(session, from_id, centre_id)
    session.execute(delete(ExaminerCentre).where(ExaminerCentre.allocation_id == from_id,
                                                 ExaminerCentre.centre_id == centre_id))
    session.execute(delete(AllocationCentre).where(AllocationCentre.allocation_id == from_id,
                                                   AllocationCentre.centre_id == centre_id))
    session.add(ExaminerCentre(allocation_id=to.id, centre_id=centre_id, component_id=to.component_id,
                               status="open"))
    # The receiving sheet's open tabs must treat these entries as changed since they loaded.
    values = {"version": to.version}
    if clear:
        values.update(examiner_mark=None, status_code=None, script_received=True)
    session.execute(update(Mark).where(and_(Mark.entry_id.in_(list(entries)))).values(**values)
                    .execution_options(synchronize_session=False))
    changes = [Change("allocation", from_id, f"centre:{number}"[:32], "allocated", f"moved to allocation {to.id}"),
               Change("allocation", to.id, f"centre:{number}"[:32], None, f"moved from allocation {from_id}")]
    if clear:
        changes += [Change("entry", e, "examiner_mark", c.entered.mark.display, None)
                    for e, c in entries.items() if c.entered.mark.display]
    record_changes(session, IMPORT_ACTOR, AuditContext(), changes)
    session.flush()
    sync_allocation_status(session, losing, now)
    sync_allocation_status(session, to, now)


def refuse_new_entries_in_submitted_centres(session: Session, parsed: list[dict]) -> None:
    """A candidate entered late at a centre whose examiner has submitted it would sit unmarked in submitted
    marks: fail the row (``fields["row"]``) so the centre is reopened first, on purpose."""
    components = {fields["component"].id for fields in parsed}
    if not components:
        return
    submitted = {
        (component, number): email
        for component, number, email in session.execute(
            select(ExaminerCentre.component_id, Centre.number, Allocation.email)
            .join(Centre, Centre.id == ExaminerCentre.centre_id)
            .join(Allocation, Allocation.id == ExaminerCentre.allocation_id)
            .where(ExaminerCentre.component_id.in_(components), ExaminerCentre.status == "submitted"))
    }
    if not submitted:
        return
    existing = set(session.execute(
        select(Entry.component_id, Centre.number, Candidate.number)
        .join(Candidate, Candidate.id == Entry.candidate_id).join(Centre, Centre.id == Candidate.centre_id)
        .where(Entry.component_id.in_(components))).all())
    for fields in parsed:
        key = (fields["component"].id, fields["centre"])
        if key in submitted and (*key, fields["candidate"]) not in existing:
            fields["row"].fail(f"centre {fields['centre']} of {fields['component'].code} was submitted by "
                                f"{submitted[key]}; a principal examiner must reopen it before a candidate is added")
