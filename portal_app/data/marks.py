"""EMI services for examiners: the component list, the mark sheet, saving drafts and submitting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from portal_app.data.access import allocation_entries, bump_version, id_or_none, own_allocation, status_code_map
from portal_app.data.audit import Appointee, AuditContext, Change, record_changes
from portal_app.data.errors import IncompleteSheet, InvalidMarks, SheetLocked, StaleSheet
from portal_app.data.messages import N_, Message
from portal_app.data.models import Allocation, Candidate, Centre, Component, Entry, Mark, Series, component_label
from portal_app.data.validation import ParsedMark, allowed_values_hint, parse_mark


@dataclass(frozen=True)
class EmiComponent:
    """One line of the examiner's EMI list, with the counts its buttons show."""

    allocation_id: int
    label: str
    component_code: str
    agenda_document: str | None
    status: str
    total: int
    entered: int

    @property
    def left(self) -> int:
        """Candidates still without a mark or status code."""
        return self.total - self.entered

    @property
    def submitted(self) -> int:
        """Marks already submitted (the whole sheet is submitted at once)."""
        return self.total if self.status == "submitted" else 0

    @property
    def can_submit(self) -> bool:
        """A draft sheet with every candidate marked."""
        return self.status == "draft" and self.total > 0 and self.left == 0

    @property
    def enter_label(self) -> str:
        return f"ENTER MARKS ({self.left} LEFT)"

    @property
    def submit_label(self) -> str:
        if self.can_submit:
            return f"SUBMIT MARKS ({self.entered})"
        return f"NO MARKS TO SUBMIT ({self.submitted} SUBMITTED)"


@dataclass(frozen=True)
class SheetRow:
    """One candidate on a mark sheet; ``value`` is what the input field shows."""

    entry_id: int
    centre_number: str
    candidate_number: str
    candidate_name: str
    value: ParsedMark


@dataclass(frozen=True)
class MarkSheet:
    """An examiner's mark sheet, ready to render; ``version`` goes back with the next save."""

    allocation_id: int
    label: str
    max_mark: int
    status_codes: dict[str, str]
    allowed_hint: Message
    status: str
    version: int
    rows: list[SheetRow]

    @property
    def read_only(self) -> bool:
        return self.status == "submitted"


def list_examiner_components(session: Session, appointee: Appointee) -> list[EmiComponent]:
    """The appointee's examiner allocations with entered/left/submitted counts, in one query."""
    sheet = allocation_entries(
        select(Allocation.id).where(
            Allocation.tenant_id == appointee.tid,
            Allocation.object_id == appointee.oid,
            Allocation.role == "examiner",
        )
    ).subquery()
    entered = case((Mark.examiner_mark.is_not(None) | Mark.status_code.is_not(None), 1), else_=0)
    counts = (
        select(sheet.c.allocation_id, func.count().label("total"), func.sum(entered).label("n"))
        .outerjoin(Mark, Mark.entry_id == sheet.c.entry_id)
        .group_by(sheet.c.allocation_id)
        .subquery()
    )
    query = (
        select(Allocation, Component, Series, counts.c.total, counts.c.n)
        .join(Component, Component.id == Allocation.component_id)
        .join(Series, Series.id == Component.series_id)
        .outerjoin(counts, counts.c.allocation_id == Allocation.id)
        .where(
            Allocation.tenant_id == appointee.tid,
            Allocation.object_id == appointee.oid,
            Allocation.role == "examiner",
        )
        .order_by(Series.title, Component.code)
    )
    return [
        EmiComponent(
            allocation_id=allocation.id,
            label=component_label(series, component),
            component_code=component.code,
            agenda_document=component.agenda_document,
            status=allocation.status,
            total=total or 0,
            entered=int(n or 0),
        )
        for allocation, component, series, total, n in session.execute(query)
    ]


def load_mark_sheet(session: Session, allocation_id: object, appointee: Appointee) -> MarkSheet:
    """The appointee's own examiner sheet; NotFound for anyone else's (indistinguishable from missing)."""
    allocation = own_allocation(session, allocation_id, appointee, "examiner")
    component = allocation.component
    query = (
        select(Entry.id, Centre.number, Candidate.number, Candidate.name)
        .add_columns(Mark.examiner_mark, Mark.status_code)
        .join(Candidate, Candidate.id == Entry.candidate_id)
        .join(Centre, Centre.id == Candidate.centre_id)
        .outerjoin(Mark, Mark.entry_id == Entry.id)
        .where(Entry.id.in_(allocation_entries([allocation.id]).with_only_columns(Entry.id)))
        .order_by(Centre.number, Candidate.number)
    )
    rows = [
        SheetRow(entry_id, centre, number, name, ParsedMark(mark, code))
        for entry_id, centre, number, name, mark, code in session.execute(query)
    ]
    codes = status_code_map(component)
    return MarkSheet(
        allocation_id=allocation.id,
        label=component.label,
        max_mark=component.max_mark,
        status_codes=codes,
        allowed_hint=allowed_values_hint(component.max_mark, codes),
        status=allocation.status,
        version=allocation.version,
        rows=rows,
    )


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the sheet's new version and how many fields changed."""

    version: int
    changed: int


def save_marks(
    session: Session,
    allocation_id: object,
    appointee: Appointee,
    values: Mapping[object, object],
    expected_version: int,
    audit_context: AuditContext,
) -> SaveResult:
    """Validate and save a draft, all or nothing, inside the caller's transaction.

    Raises InvalidMarks (per-field messages) or StaleSheet (fields changed since ``expected_version``)
    before writing anything; the caller commits.
    """
    allocation = own_allocation(session, allocation_id, appointee, "examiner")
    if allocation.status == "submitted":
        raise SheetLocked(f"allocation {allocation.id} was submitted")
    current = _current_marks(session, allocation.id)
    parsed = _validate(values, current, allocation.component)
    if expected_version != allocation.version:
        raise StaleSheet(allocation.version, _conflicts(parsed, current, expected_version))
    changed = {key: value for key, value in parsed.items() if value != current[key][1]}
    if not changed:
        return SaveResult(allocation.version, 0)
    version = bump_version(session, allocation, expected_version)
    _write_marks(session, changed, current, version)
    record_changes(session, appointee, audit_context, _changes(changed, current))
    return SaveResult(version, len(changed))


def _current_marks(session: Session, allocation_id: int) -> dict[int, tuple[int | None, ParsedMark, int]]:
    """Every entry on the sheet: entry id -> (mark id or None, current value, version of last change)."""
    sheet = allocation_entries([allocation_id]).subquery()
    query = select(sheet.c.entry_id, Mark.id, Mark.examiner_mark, Mark.status_code, Mark.version).outerjoin(
        Mark, Mark.entry_id == sheet.c.entry_id
    )
    return {
        entry_id: (mark_id, ParsedMark(mark, code), version or 0)
        for entry_id, mark_id, mark, code, version in session.execute(query)
    }


def _validate(values: Mapping[object, object], current: dict, component: Component) -> dict[int, ParsedMark]:
    """Parse every value; raise InvalidMarks listing every bad field (entry ids off the sheet included)."""
    codes = status_code_map(component)
    parsed: dict[int, ParsedMark] = {}
    errors: dict[int | str, Message] = {}
    for key, raw in values.items():
        entry_id = id_or_none(key)
        if entry_id is None or entry_id not in current:
            # Same message for a missing entry and another appointee's: nothing to probe.
            errors[str(key)] = Message(N_("This candidate is not on your mark sheet."))
            continue
        result = parse_mark(raw, component.max_mark, codes)
        if isinstance(result, Message):
            errors[entry_id] = result
        else:
            parsed[entry_id] = result
    if errors:
        raise InvalidMarks(errors)
    return parsed


def _conflicts(parsed: dict[int, ParsedMark], current: dict, expected_version: int) -> dict[int, object]:
    """Submitted fields changed by someone else since ``expected_version``, with the value they now hold."""
    return {
        entry_id: current[entry_id][1].display
        for entry_id, value in parsed.items()
        if current[entry_id][2] > expected_version and current[entry_id][1] != value
    }


def _write_marks(session: Session, changed: dict[int, ParsedMark], current: dict, version: int) -> None:
    """One UPDATE for existing mark rows and one INSERT for new ones, whatever the sheet's size."""
    updates = [
        {"id": current[e][0], "examiner_mark": v.mark, "status_code": v.code, "version": version}
        for e, v in changed.items()
        if current[e][0] is not None
    ]
    inserts = [
        {"entry_id": e, "examiner_mark": v.mark, "status_code": v.code, "version": version}
        for e, v in changed.items()
        if current[e][0] is None
    ]
    if updates:
        session.execute(update(Mark), updates)
    if inserts:
        session.execute(insert(Mark), inserts)


def _changes(changed: dict[int, ParsedMark], current: dict) -> list[Change]:
    return [
        Change("entry", e, "examiner_mark", current[e][1].display or None, v.display or None)
        for e, v in changed.items()
    ]


def submit_sheet(
    session: Session,
    allocation_id: object,
    appointee: Appointee,
    expected_version: int,
    audit_context: AuditContext,
) -> int:
    """Submit a complete draft; it is read-only afterwards. Returns the new version."""
    allocation = own_allocation(session, allocation_id, appointee, "examiner")
    if allocation.status == "submitted":
        raise SheetLocked(f"allocation {allocation.id} was already submitted")
    if expected_version != allocation.version:
        raise StaleSheet(allocation.version, {})
    current = _current_marks(session, allocation.id)
    missing = sorted(e for e, (_, value, _) in current.items() if value == ParsedMark())
    if missing or not current:
        raise IncompleteSheet(missing)
    version = bump_version(session, allocation, expected_version)
    allocation.status = "submitted"
    allocation.submitted_at = datetime.now(UTC)
    change = Change("allocation", allocation.id, "status", "draft", "submitted")
    record_changes(session, appointee, audit_context, [change])
    session.flush()
    return version
