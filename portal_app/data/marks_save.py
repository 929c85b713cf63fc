"""Saving an examiner's marks and submitting a centre: validated, all or nothing, compare-and-set per entry.

Every write locks the sheet (its allocation row) and bumps its version; each entry records the version of its
last change. A save names the version it was typed on, and an entry changed after that version is claimed only
if nobody wrote it meanwhile (``UPDATE ... WHERE version <= seen``): no save can overwrite a newer mark it
did not see. Ownership and the centre's submission are checked again under the lock, so a centre moved to
another examiner, or submitted from another tab, is never written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal_app.data.access import id_or_none, own_allocation, status_code_map
from portal_app.data.audit import Appointee, AuditContext, Change, record_changes
from portal_app.data.deadlines import allocation_deadline
from portal_app.data.errors import IncompleteSheet, InvalidMarks, NotFound, SheetLocked, StaleSheet
from portal_app.data.examining_errors import DeadlinePassed
from portal_app.data.examining_models import ExaminerCentre
from portal_app.data.messages import N_, Message, StatusCodeList
from portal_app.data.models import Allocation, Centre, Component, Entry, Mark
from portal_app.data.sheet import DEFAULT_NOT_RECEIVED_CODES, Entered, examiner_sheet_entries, not_received_code_map
from portal_app.data.validation import ParsedMark, parse_mark


@dataclass(frozen=True)
class Current:
    """An entry on the sheet as stored: its mark row (if any), value, version of its last change, centre."""

    mark_id: int | None
    entered: Entered
    version: int
    centre_id: int
    centre_number: str
    centre_status: str


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the sheet's version now and how many entries changed."""

    version: int
    changed: int


def save_marks(
    session: Session,
    allocation_id: object,
    appointee: Appointee,
    values: Mapping[object, object],
    expected_version: int,
    audit_context: AuditContext,
    *,
    received: Mapping[object, bool] | None = None,
    now: datetime | None = None,
    not_received_codes=DEFAULT_NOT_RECEIVED_CODES,
) -> SaveResult:
    """Validate and save a draft inside the caller's transaction; the caller commits.

    ``values`` maps entry ids to what was typed; ``received`` (same keys) says whether each script arrived
    (absent: unchanged). Raises DeadlinePassed, InvalidMarks (per-field messages) or StaleSheet (entries
    changed since ``expected_version``, with what they hold now) before writing anything.
    """
    allocation = own_allocation(session, allocation_id, appointee, "examiner")
    if allocation_deadline(session, allocation).passed(now or datetime.now(UTC)):
        raise DeadlinePassed(f"allocation {allocation.id}: deadline passed")
    current = current_entries(session, allocation.id)
    parsed = _validate(values, received or {}, current, allocation.component, not_received_codes)
    changed = {entry: value for entry, value in parsed.items() if value != current[entry].entered}
    _refuse_submitted_centres(changed, current)
    if expected_version > allocation.version:
        raise StaleSheet(allocation.version, {})  # a version this sheet never had: reload
    conflicts = {e: current[e].entered for e in changed if current[e].version > expected_version}
    if conflicts:
        raise StaleSheet(allocation.version, conflicts)
    if not changed:
        return SaveResult(allocation.version, 0)
    version = lock_sheet(session, allocation)
    _recheck_centres(session, allocation.id, changed, current)
    _claim(session, allocation.id, changed, current, expected_version, version)
    _write(session, changed, current, version)
    record_changes(session, appointee, audit_context, _changes(changed, current))
    return SaveResult(version, len(changed))


def lock_sheet(session: Session, allocation: Allocation) -> int:
    """Bump the sheet's version; the row lock it takes serialises every writer of this sheet until commit."""
    version = session.execute(
        update(Allocation)
        .where(Allocation.id == allocation.id)
        .values(version=Allocation.version + 1)
        .returning(Allocation.version)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(allocation, "version", version)
    return version


def current_entries(session: Session, allocation_id: int, centre_id: int | None = None) -> dict[int, Current]:
    """Every entry on the sheet (or one centre of it) as stored, in one query."""
    query = examiner_sheet_entries(
        allocation_id, Entry.id, Mark.id, Mark.examiner_mark, Mark.status_code, Mark.script_received, Mark.version,
        Centre.id, Centre.number, ExaminerCentre.status,
    )
    if centre_id is not None:
        query = query.where(ExaminerCentre.centre_id == centre_id)
    return {
        entry: Current(mark_id, Entered(ParsedMark(mark, code), received is not False), version or 0, centre,
                       number, status)
        for entry, mark_id, mark, code, received, version, centre, number, status in session.execute(query)
    }


def _validate(values: Mapping[object, object], received: Mapping[object, bool], current: dict[int, Current],
              component: Component, configured_codes) -> dict[int, Entered]:
    """Parse every value; raise InvalidMarks listing every bad field (entry ids off the sheet included)."""
    codes = status_code_map(component)
    allowed_missing = not_received_code_map(codes, configured_codes)
    parsed: dict[int, Entered] = {}
    errors: dict[int | str, Message] = {}
    for key, raw in values.items():
        entry = id_or_none(key)
        if entry is None or entry not in current:
            # Same message for a missing entry and another examiner's: nothing to probe.
            errors[str(key)] = Message(N_("This candidate is not on your mark sheet."))
            continue
        arrived = received.get(key, current[entry].entered.received)
        result = parse_mark(raw, component.max_mark, codes)
        if not isinstance(result, Message) and not arrived and result.mark is not None:
            result = _not_received_refusal(allowed_missing)
        elif not isinstance(result, Message) and not arrived and result.code not in (None, *allowed_missing):
            result = _not_received_refusal(allowed_missing)
        if isinstance(result, Message):
            errors[entry] = result
        else:
            parsed[entry] = Entered(result, bool(arrived))
    if errors:
        raise InvalidMarks(errors)
    return parsed


def _not_received_refusal(allowed: dict[str, str]) -> Message:
    if not allowed:
        return Message(N_("No script was received for this candidate, so they cannot have a mark. Untick "
                          "\u201cNot received\u201d once the script arrives."))
    return Message(N_("No script was received for this candidate, so they cannot have a mark: enter %(codes)s, "
                      "or untick \u201cNot received\u201d once the script arrives."),
                   codes=StatusCodeList(sorted(allowed.items())))


def _refuse_submitted_centres(changed: dict[int, Entered], current: dict[int, Current]) -> None:
    errors: dict[int | str, Message] = {
        entry: Message(N_("Centre %(centre)s has been submitted, so its marks can no longer be changed."),
                       centre=current[entry].centre_number)
        for entry in changed if current[entry].centre_status != "open"
    }
    if errors:
        raise InvalidMarks(errors)


def _recheck_centres(session: Session, allocation_id: int, changed: dict[int, Entered],
                     current: dict[int, Current]) -> None:
    """Under the lock: every changed entry's centre is still this sheet's, and still open."""
    statuses = dict(session.execute(select(ExaminerCentre.centre_id, ExaminerCentre.status)
                                    .where(ExaminerCentre.allocation_id == allocation_id)).all())
    moved = {e: Message(N_("This candidate is not on your mark sheet.")) for e in changed
             if current[e].centre_id not in statuses}
    if moved:
        raise InvalidMarks(dict(moved))
    _refuse_submitted_centres(changed, {e: _with_status(current[e], statuses[current[e].centre_id])
                                        for e in changed})


def _with_status(entry: Current, status: str) -> Current:
    return Current(entry.mark_id, entry.entered, entry.version, entry.centre_id, entry.centre_number, status)


def _claim(session: Session, allocation_id: int, changed: dict[int, Entered], current: dict[int, Current],
           seen: int, version: int) -> None:
    """Compare-and-set: stamp the changed entries with ``version`` only where nobody wrote them after ``seen``."""
    existing = [entry for entry in changed if current[entry].mark_id is not None]
    if not existing:
        return
    claimed = session.execute(
        update(Mark)
        .where(Mark.entry_id.in_(existing), Mark.version <= seen)
        .values(version=version)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != len(existing):
        fresh = current_entries(session, allocation_id)
        conflicts = {e: fresh[e].entered for e in existing if e in fresh and fresh[e].version > seen}
        raise StaleSheet(version - 1, conflicts)


def _write(session: Session, changed: dict[int, Entered], current: dict[int, Current], version: int) -> None:
    """One UPDATE for existing mark rows and one INSERT for new ones, whatever the sheet's size."""
    updates = [
        {"id": current[e].mark_id, "examiner_mark": v.mark.mark, "status_code": v.mark.code,
         "script_received": v.received}
        for e, v in changed.items() if current[e].mark_id is not None
    ]
    inserts = [
        {"entry_id": e, "examiner_mark": v.mark.mark, "status_code": v.mark.code, "script_received": v.received,
         "version": version}
        for e, v in changed.items() if current[e].mark_id is None
    ]
    if updates:
        session.execute(update(Mark), updates)
    if inserts:
        session.execute(insert(Mark), inserts)


def _changes(changed: dict[int, Entered], current: dict[int, Current]) -> list[Change]:
    changes = []
    for entry, new in changed.items():
        old = current[entry].entered
        if old.mark != new.mark:
            changes.append(Change("entry", entry, "examiner_mark", old.mark.display or None, new.mark.display or None))
        if old.received != new.received:
            changes.append(Change("entry", entry, "script_received", _received_text(old.received),
                                  _received_text(new.received)))
    return changes


def _received_text(received: bool) -> str:
    return "received" if received else "not received"


def submit_centre(
    session: Session,
    allocation_id: object,
    appointee: Appointee,
    centre_number: object,
    expected_version: int,
    audit_context: AuditContext,
    *,
    now: datetime | None = None,
) -> int:
    """Submit one centre once each of its candidates has a mark or a code; it is read-only afterwards.

    Refused (nothing written) with DeadlinePassed, NotFound (not this sheet's centre), SheetLocked (already
    submitted), StaleSheet (its marks changed after ``expected_version``) or IncompleteSheet.
    """
    now = now or datetime.now(UTC)
    allocation = own_allocation(session, allocation_id, appointee, "examiner")
    if allocation_deadline(session, allocation).passed(now):
        raise DeadlinePassed(f"allocation {allocation.id}: deadline passed")
    version = lock_sheet(session, allocation)
    held = held_centre(session, allocation.id, centre_number)
    if held.status == "submitted":
        raise SheetLocked(f"centre {centre_number} of allocation {allocation.id} was already submitted")
    entries = current_entries(session, allocation.id, held.centre_id)
    if any(entry.version > expected_version for entry in entries.values()):
        raise StaleSheet(version - 1, {})
    missing = sorted(e for e, entry in entries.items() if not entry.entered.is_complete)
    if missing or not entries:
        raise IncompleteSheet(missing)
    held.status, held.submitted_at = "submitted", now
    record_changes(session, appointee, audit_context,
                   [Change("allocation", allocation.id, f"centre:{str(centre_number)}"[:32], "open", "submitted")])
    session.flush()
    sync_allocation_status(session, allocation, now)
    return version


def held_centre(session: Session, allocation_id: int, centre_number: object) -> ExaminerCentre:
    held = session.scalar(
        select(ExaminerCentre)
        .join(Centre, Centre.id == ExaminerCentre.centre_id)
        .where(ExaminerCentre.allocation_id == allocation_id, Centre.number == str(centre_number)[:16])
    )
    if held is None:
        raise NotFound(f"centre {str(centre_number)[:16]!r} is not on allocation {allocation_id}")
    return held


def sync_allocation_status(session: Session, allocation: Allocation, now: datetime) -> None:
    """The allocation reads "submitted" while every centre is, for pages that show one status per allocation."""
    total, open_centres = session.execute(
        select(func.count(), func.count(case((ExaminerCentre.status != "submitted", 1))))
        .where(ExaminerCentre.allocation_id == allocation.id)
    ).one()
    status = "submitted" if total and not open_centres else "draft"
    if allocation.status != status:
        allocation.status = status
        allocation.submitted_at = now if status == "submitted" else None
        session.flush()
