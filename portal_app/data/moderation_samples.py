"""A moderator manages a centre's sample: adds candidates (with the reason), replaces one whose work was not
received or is incomplete, and takes back a candidate they added. Refused once the report is submitted.

A replaced row stays in the record, pointing at its replacement, and needs no moderated mark; taking back a
replacement puts the replaced candidate back. Every change is audited and advances the centre's version.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from portal_app.data.access import id_or_none, own_allocation
from portal_app.data.audit import Appointee, AuditContext, Change, record_changes
from portal_app.data.errors import StaleSheet
from portal_app.data.messages import N_, Message
from portal_app.data.models import ModerationSample
from portal_app.data.moderation_centre import CentreView, centre_candidates, centre_view
from portal_app.data.moderation_errors import ReportLocked, SampleChangeRefused
from portal_app.data.moderation_reports import CONTROL, bump_report, write_report
from portal_app.data.moderation_rules import ModerationRules
from portal_app.data.sample_rules import eligible

NOTE_MAX = 1000


def _editable(session: Session, allocation_id: object, appointee: Appointee, centre_number: object,
              expected_version: int) -> tuple[CentreView, list]:
    allocation = own_allocation(session, allocation_id, appointee, "moderator")
    view = centre_view(session, allocation, centre_number)
    if view.read_only:
        raise ReportLocked(f"centre {view.centre_number} report is {view.report.status}")
    if expected_version != view.version:
        raise StaleSheet(view.version, {})
    return view, centre_candidates(session, allocation, view.centre_id)


def _refuse(template: str, **params: object) -> SampleChangeRefused:
    message = Message(template, **params)
    return SampleChangeRefused(str(message), description=message)


def _newcomer(candidates: list, entry_key: object, rules: ModerationRules):
    """The candidate to bring into the sample: at this centre, in no sample, with a mark that may be sampled."""
    entry_id = id_or_none(entry_key)
    found = next((c for c in candidates if c.entry_id == entry_id), None)
    if found is None:
        raise _refuse(N_("Choose a candidate of this centre."))
    if found.reason is not None or found.elsewhere:
        raise _refuse(N_("Candidate %(number)s is already in a sample."), number=found.number)
    if not eligible(found.value, rules):
        raise _refuse(N_("Candidate %(number)s has no centre mark that can be moderated."), number=found.number)
    return found


def _note(raw: str | None, *, required: bool) -> str | None:
    text = (raw or "").replace("\r\n", "\n")
    if CONTROL.search(text):
        raise _refuse(N_("This text contains control characters that cannot be kept. Remove them and try again."))
    if len(text) > NOTE_MAX:
        raise _refuse(N_("The reason may have at most %(max)s characters."), max=NOTE_MAX)
    if required and not text.strip():
        raise _refuse(N_("Say why you are adding this candidate to the sample."))
    return text if text.strip() else None


def add_candidate(session: Session, allocation_id: object, appointee: Appointee, centre_number: object,
                  entry_key: object, note: str | None, expected_version: int, context: AuditContext,
                  rules: ModerationRules) -> int:
    """Add a candidate of the centre to the sample (reason "additional"; the note says why)."""
    view, candidates = _editable(session, allocation_id, appointee, centre_number, expected_version)
    newcomer = _newcomer(candidates, entry_key, rules)
    text = _note(note, required=True)
    version = bump_report(session, view.report.id, expected_version)
    session.add(ModerationSample(allocation_id=view.allocation_id, entry_id=newcomer.entry_id, reason="additional",
                                 note=text, work="received"))
    _touch(session, view)
    record_changes(session, appointee, context,
                   [Change("moderation_sample", newcomer.entry_id, "reason", None, "additional"),
                    Change("moderation_sample", newcomer.entry_id, "note", None, text)])
    return version


def replace_candidate(session: Session, allocation_id: object, appointee: Appointee, centre_number: object,
                      replaced_key: object, entry_key: object, note: str | None, expected_version: int,
                      context: AuditContext, rules: ModerationRules) -> int:
    """Replace a sampled candidate whose work was not received or is incomplete with another of the centre."""
    view, candidates = _editable(session, allocation_id, appointee, centre_number, expected_version)
    replaced_id = id_or_none(replaced_key)
    replaced = next((row for row in view.active_rows if row.entry_id == replaced_id), None)
    if replaced is None:
        raise _refuse(N_("Choose a candidate who is in the sample."))
    if replaced.work == "received":
        raise _refuse(N_("Only a candidate whose work was not received or is incomplete can be replaced: record "
                         "that first."))
    newcomer = _newcomer(candidates, entry_key, rules)
    text = _note(note, required=False)
    version = bump_report(session, view.report.id, expected_version)
    session.add(ModerationSample(allocation_id=view.allocation_id, entry_id=newcomer.entry_id, reason="replacement",
                                 note=text, work="received"))
    session.flush()
    session.execute(update(ModerationSample)
                    .where(ModerationSample.allocation_id == view.allocation_id,
                           ModerationSample.entry_id == replaced.entry_id)
                    .values(replaced_by_entry_id=newcomer.entry_id).execution_options(synchronize_session=False))
    _touch(session, view)
    record_changes(session, appointee, context, [
        Change("moderation_sample", newcomer.entry_id, "reason", None, "replacement"),
        Change("moderation_sample", newcomer.entry_id, "note", None, text),
        Change("moderation_sample", replaced.entry_id, "replaced_by", None, newcomer.number),
    ])
    return version


def remove_candidate(session: Session, allocation_id: object, appointee: Appointee, centre_number: object,
                     entry_key: object, expected_version: int, context: AuditContext) -> int:
    """Take back a candidate the moderator added or brought in as a replacement, before moderating them."""
    view, _ = _editable(session, allocation_id, appointee, centre_number, expected_version)
    entry_id = id_or_none(entry_key)
    row = next((r for r in view.active_rows if r.entry_id == entry_id), None)
    if row is None or row.reason not in ("additional", "replacement"):
        raise _refuse(N_("Only a candidate you added to the sample can be taken out of it."))
    if row.done:
        raise _refuse(N_("Clear the moderated mark of candidate %(number)s before taking them out of the sample."),
                      number=row.candidate_number)
    version = bump_report(session, view.report.id, expected_version)
    changes = [Change("moderation_sample", row.entry_id, "reason", row.reason, None)]
    if row.reason == "replacement":
        session.execute(update(ModerationSample)
                        .where(ModerationSample.allocation_id == view.allocation_id,
                               ModerationSample.replaced_by_entry_id == row.entry_id)
                        .values(replaced_by_entry_id=None).execution_options(synchronize_session=False))
        restored = next((r for r in view.rows if r.replaced_by == row.candidate_number), None)
        if restored is not None:
            changes.append(Change("moderation_sample", restored.entry_id, "replaced_by", row.candidate_number, None))
    session.execute(delete(ModerationSample).where(ModerationSample.allocation_id == view.allocation_id,
                                                   ModerationSample.entry_id == row.entry_id)
                    .execution_options(synchronize_session=False))
    _touch(session, view)
    record_changes(session, appointee, context, changes)
    return version


def _touch(session: Session, view: CentreView) -> None:
    write_report(session, view.report.id, {"last_activity_at": datetime.now(UTC)})
