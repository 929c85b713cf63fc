"""Saving a moderator's centre page: moderated marks, whether each sampled work arrived, and the report's fields.

All or nothing, inside the caller's transaction: every value is checked first (InvalidMarks lists each bad
field), then the centre's version is compared and advanced (StaleSheet when someone saved meanwhile). A moderated
mark is a whole number from 0 to the maximum, or the work-not-received code on a row whose work did not arrive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from portal_app.data.access import id_or_none
from portal_app.data.audit import Appointee, AuditContext, Change, record_changes
from portal_app.data.errors import InvalidMarks, StaleSheet
from portal_app.data.messages import N_, Message
from portal_app.data.models import WORK_STATES, Mark, ModerationSample
from portal_app.data.moderation_centre import CentreView, SampleRow, moderator_centre
from portal_app.data.moderation_errors import ReportLocked
from portal_app.data.moderation_reports import bump_report, parse_report_fields, report_changes, write_report
from portal_app.data.moderation_rules import ModerationRules
from portal_app.data.validation import ParsedMark, parse_mark

NOT_IN_SAMPLE = N_("This candidate is not in your sample.")


@dataclass(frozen=True)
class CentreForm:
    """What the centre page posted: entry id -> moderated mark, entry id -> work state, report fields."""

    marks: Mapping[str, str] = field(default_factory=dict)
    work: Mapping[str, str] = field(default_factory=dict)
    report: Mapping[str, str] = field(default_factory=dict)


def save_centre(session: Session, allocation_id: object, appointee: Appointee, centre_number: object,
                form: CentreForm, expected_version: int, context: AuditContext, rules: ModerationRules,
                code_meaning: str) -> int:
    """Validate and save the page; returns the centre's new version (unchanged when nothing changed).

    ``code_meaning`` is the work-not-received code's meaning in the user's language, for the messages.
    """
    view = moderator_centre(session, allocation_id, appointee, centre_number)
    if view.read_only:
        raise ReportLocked(f"centre {view.centre_number} report is {view.report.status}")
    active = {row.entry_id: row for row in view.active_rows}
    errors: dict[int | str, Message] = {}
    work = _work(form.work, active, errors)
    marks = _marks(form.marks, active, work, view.max_mark, {rules.not_received_code: code_meaning}, errors)
    report, report_errors = parse_report_fields(form.report, rules)
    errors.update(report_errors)
    if errors:
        raise InvalidMarks(errors)
    marks = {e: v for e, v in marks.items() if v != active[e].moderated}
    work = {e: w for e, w in work.items() if w != active[e].work}
    report = {name: value for name, value in report.items() if getattr(view.report, name) != value}
    if expected_version != view.version:
        conflicts: dict[int, object] = {e: active[e].moderated.display for e in marks}
        raise StaleSheet(view.version, conflicts)
    if not (marks or work or report):
        return view.version
    version = bump_report(session, view.report.id, expected_version)
    _write_marks(session, marks, version)
    if work:
        session.execute(update(ModerationSample), [
            {"allocation_id": view.allocation_id, "entry_id": e, "work": w} for e, w in work.items()])
    write_report(session, view.report.id, {**report, "last_activity_at": datetime.now(UTC)})
    record_changes(session, appointee, context, _changes(view, active, marks, work) + report_changes(view, report))
    return version


def _work(raw: Mapping[str, str], active: dict[int, SampleRow], errors: dict) -> dict[int, str]:
    found = {}
    for key, value in raw.items():
        entry = id_or_none(key)
        if entry not in active:
            errors[f"work-{str(key)[:12]}"] = Message(NOT_IN_SAMPLE)
        elif value not in WORK_STATES:
            errors[f"work-{entry}"] = Message(N_("Choose whether the work was received."))
        else:
            found[entry] = value
    return found


def _marks(raw: Mapping[str, str], active: dict[int, SampleRow], work: dict[int, str], max_mark: int,
           codes: dict[str, str], errors: dict) -> dict[int, ParsedMark]:
    found = {}
    for key, value in raw.items():
        entry = id_or_none(key)
        if entry is None or entry not in active:
            errors[str(key)[:12]] = Message(NOT_IN_SAMPLE)
            continue
        result = parse_mark(value, max_mark, codes)
        if isinstance(result, Message):
            errors[entry] = result
        elif result.code is not None and work.get(entry, active[entry].work) == "received":
            errors[entry] = Message(N_("%(code)s is only for work that was not received or is incomplete: enter "
                                       "the moderated mark, or first record that the work did not arrive."),
                                    code=result.code)
        else:
            found[entry] = result
    return found


def _write_marks(session: Session, marks: dict[int, ParsedMark], version: int) -> None:
    """One UPDATE for the entries' mark rows (one INSERT for any entry that has none yet)."""
    if not marks:
        return
    query = select(Mark.entry_id, Mark.id).where(Mark.entry_id.in_(list(marks)))
    ids = {entry: mark for entry, mark in session.execute(query)}
    rows = [{"id": ids[e], "moderated_mark": v.mark, "moderated_code": v.code, "moderated_version": version}
            for e, v in marks.items() if e in ids]
    if rows:
        session.execute(update(Mark), rows)
    new = [{"entry_id": e, "moderated_mark": v.mark, "moderated_code": v.code, "moderated_version": version}
           for e, v in marks.items() if e not in ids]
    if new:
        session.execute(insert(Mark), new)


def _changes(view: CentreView, active: dict[int, SampleRow], marks: dict, work: dict) -> list[Change]:
    changes = [Change("entry", e, "moderated_mark", active[e].moderated.display or None, v.display or None)
               for e, v in marks.items()]
    changes += [Change("moderation_sample", e, "work", active[e].work, w) for e, w in work.items()]
    return changes
