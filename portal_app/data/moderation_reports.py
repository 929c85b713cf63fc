"""The moderator's report on a centre: its fields (kept as typed), submission, and review by the team.

Status goes draft -> submitted -> accepted, or submitted -> returned -> submitted again. A submitted or accepted
report, with its centre's marks and sample, is read-only; a returned one is the moderator's to change again.
Every change is audited (entity ``moderation_report``) and guarded by the report's version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal_app.data.audit import Appointee, AuditContext, Change, record_changes
from portal_app.data.errors import StaleSheet
from portal_app.data.messages import N_, Message
from portal_app.data.models import JUDGEMENTS, RANK_ORDER, AuditLog, ModerationReport
from portal_app.data.moderation_centre import CentreView, moderator_centre
from portal_app.data.moderation_errors import IncompleteReport, NotUnderReview, ReportLocked, ReviewNoteMissing
from portal_app.data.moderation_rules import ModerationRules

CHOICES = {"judgement": JUDGEMENTS, "rank_order": RANK_ORDER, "language": ("en", "cy")}
COMMENTS = ("assessment_comment", "administration_comment", "task_setting_comment")
# Text is kept as typed, line breaks included; other control characters cannot be stored safely (PostgreSQL
# refuses NUL) and are never typed on purpose.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NOTE_MAX = 2000


def parse_report_fields(raw: Mapping[str, str], rules: ModerationRules) -> tuple[dict, dict[str, Message]]:
    """(field -> value or None, field -> message) for the report fields present in ``raw``."""
    values, errors = {}, {}
    for name, options in CHOICES.items():
        if name in raw:
            value = (raw[name] or "").strip()
            if value and value not in options:
                errors[name] = Message(N_("Choose one of the options listed."))
            values[name] = value or None
    for name in COMMENTS:
        if name in raw:
            values[name], problem = _comment(raw[name], rules.comment_max_characters)
            if problem:
                errors[name] = problem
    return values, errors


def _comment(raw: str | None, longest: int) -> tuple[str | None, Message | None]:
    text = (raw or "").replace("\r\n", "\n")
    if CONTROL.search(text):
        return None, Message(N_("This text contains control characters that cannot be kept. Remove them and save "
                                "again."))
    if len(text) > longest:
        return None, Message(N_("This comment has %(count)s characters; it may have at most %(max)s."),
                             count=len(text), max=longest)
    return (text if text.strip() else None), None


def bump_report(session: Session, report_id: int, expected_version: int) -> int:
    """Advance the centre's version only if nobody else has (compare-and-set), else StaleSheet."""
    result = session.execute(
        update(ModerationReport)
        .where(ModerationReport.id == report_id, ModerationReport.version == expected_version)
        .values(version=ModerationReport.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        current = session.scalar(select(ModerationReport.version).where(ModerationReport.id == report_id))
        raise StaleSheet(current if current is not None else expected_version, {})
    return expected_version + 1


def write_report(session: Session, report_id: int, values: Mapping[str, object]) -> None:
    session.execute(update(ModerationReport).where(ModerationReport.id == report_id).values(**values)
                    .execution_options(synchronize_session=False))


def report_changes(view: CentreView, values: Mapping[str, object]) -> list[Change]:
    return [Change("moderation_report", view.report.id, name, getattr(view.report, name), value)
            for name, value in values.items() if getattr(view.report, name) != value]


def submit_report(session: Session, allocation_id: object, appointee: Appointee, centre_number: object,
                  expected_version: int, context: AuditContext, rules: ModerationRules) -> int:
    """Submit once every sample row has a moderated mark or code and the required fields are filled."""
    view = moderator_centre(session, allocation_id, appointee, centre_number)
    if view.read_only:
        raise ReportLocked(f"centre {view.centre_number} report is {view.report.status}")
    if expected_version != view.version:
        raise StaleSheet(view.version, {})
    missing = [row.entry_id for row in view.active_rows if not row.done]
    fields = [name for name in rules.required_report_fields if not getattr(view.report, name)]
    if missing or fields or not view.active_rows:
        raise IncompleteReport(missing, fields, empty_sample=not view.active_rows)
    version = bump_report(session, view.report.id, expected_version)
    now = datetime.now(UTC)
    write_report(session, view.report.id, {"status": "submitted", "submitted_at": now, "last_activity_at": now})
    record_changes(session, appointee, context,
                   [Change("moderation_report", view.report.id, "status", view.report.status, "submitted")])
    return version


def review_report(session: Session, view: CentreView, reviewer: Appointee, reviewer_name: str, decision: str,
                  note: str | None, expected_version: int, context: AuditContext) -> int:
    """Return (with a note the moderator reads) or accept a submitted report; the caller checked the line."""
    if view.report.status != "submitted":
        raise NotUnderReview(f"report {view.report.id} is {view.report.status}")
    if expected_version != view.version:
        raise StaleSheet(view.version, {})
    text, problem = _comment(note, NOTE_MAX)
    if decision == "return" and (problem or text is None):
        raise ReviewNoteMissing(str(problem or "no note"), description=problem)
    status = "returned" if decision == "return" else "accepted"
    version = bump_report(session, view.report.id, expected_version)
    write_report(session, view.report.id, {
        "status": status, "reviewed_at": datetime.now(UTC), "reviewer_tenant_id": reviewer.tid,
        "reviewer_object_id": reviewer.oid, "reviewer_name": reviewer_name[:200],
        "return_note": text if status == "returned" else view.report.return_note})
    changes = [Change("moderation_report", view.report.id, "status", "submitted", status)]
    if status == "returned":
        changes.append(Change("moderation_report", view.report.id, "return_note", view.report.return_note, text))
    record_changes(session, reviewer, context, changes)
    return version


def report_history(session: Session, report_id: int) -> list[AuditLog]:
    """The report's status changes and return notes, oldest first: who moved it, when, and why."""
    query = (
        select(AuditLog)
        .where(AuditLog.entity == "moderation_report", AuditLog.entity_id == report_id,
               AuditLog.field.in_(("status", "return_note")))
        .order_by(AuditLog.id)
    )
    return list(session.scalars(query))
