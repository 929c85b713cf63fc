"""A mark sheet: candidates by centre, drafts saved, one centre submitted at a time; every refusal keeps what
was typed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from auth.permissions import Permission
from portal_app.data.access import sheet_fields
from portal_app.data.errors import DataError, IncompleteSheet, InvalidMarks, SheetLocked, StaleSheet
from portal_app.data.examining_errors import DeadlinePassed
from portal_app.data.marks import load_mark_sheet, save_marks, submit_centre
from portal_app.database import db_session
from portal_app.marks.common import (
    audit_context,
    csrf_token,
    current_appointee,
    expected_version,
    require_csrf,
    typed_values,
)
from portal_app.marks.emi.blueprint import bp
from portal_app.marks.emi.context import not_received_codes, now
from portal_app.marks.stash import Kept, mark_fields, restored, stash_and_sign_in
from portal_app.signin.gate import require_permission

log = logging.getLogger(__name__)
NOT_RECEIVED_PREFIX = "not-received-"


@dataclass(frozen=True)
class PostedSheet:
    """A posted sheet: typed values, which scripts were ticked "Not received", the version, a centre to submit."""

    values: dict[str, str]
    received: dict[str, bool]
    version: int
    centre: str | None

    @classmethod
    def from_request(cls) -> PostedSheet:
        values = typed_values()
        # Only rows whose mark field was posted count: a row ticked "Not received" posts both fields.
        received = {key: f"{NOT_RECEIVED_PREFIX}{key}" not in request.form for key in values}
        centre = request.form.get("submit_centre") or None
        return cls(values, received, expected_version(), centre[:16] if centre else None)


def _load(allocation_id: str):
    return load_mark_sheet(db_session(), allocation_id, current_appointee(), now=now(),
                           not_received_codes=not_received_codes())


@bp.get("/allocations/<allocation_id>")
@require_permission(Permission.EMI_VIEW)
def sheet(allocation_id: str):
    """The sheet; after a sign-in that followed an expired session, the kept values are shown again."""
    mark_sheet = _load(allocation_id)
    kept = None if mark_sheet.read_only else restored(request.path)
    notice = (_("Your session had ended, so these marks were not saved. Check them and press Save draft.")
              if kept else _flash_notice())
    return render_template("emi/sheet.html", sheet=mark_sheet, values=kept.values if kept else {},
                           typed_received=_kept_received(kept), errors={}, conflicts={}, notice=notice,
                           problem=None, csrf_token=csrf_token())


def _kept_received(kept: Kept | None) -> dict[str, bool]:
    """The "Not received" ticks as typed before the session ended: a ticked row is not received; a row with a
    typed value and no tick was received (its mark says so). A row with neither shows the data's state."""
    if kept is None:
        return {}
    ticked = {name[len(NOT_RECEIVED_PREFIX):] for name in kept.ticked}
    return {**{key: True for key in kept.values}, **{key: False for key in ticked}}


def _flash_notice() -> str | None:
    centre = request.args.get("centre", "")[:16]
    notices = {"saved": _("Your marks were saved as a draft."),
               "submitted": _("The marks of centre %(centre)s were submitted.", centre=centre),
               "unchanged": _("Nothing had changed, so there was nothing to save.")}
    return notices.get(request.args.get("done", ""))


@bp.post("/allocations/<allocation_id>")
def save(allocation_id: str):
    """Save a draft, or save and submit one centre; every refusal re-renders the sheet with what was typed."""
    if g.get("user") is None:
        # The marks and the "Not received" ticks are kept for after sign-in.
        entries = sheet_fields(db_session(), allocation_id)
        return stash_and_sign_in(request.path, mark_fields(entries),
                                 ticks=[f"{NOT_RECEIVED_PREFIX}{entry}" for entry in entries])
    return _save_signed_in(allocation_id)


@require_permission(Permission.EMI_ENTER_MARKS)
def _save_signed_in(allocation_id: str):
    require_csrf()
    posted = PostedSheet.from_request()
    session = db_session()
    try:
        mark_sheet = _load(allocation_id)
    except SQLAlchemyError:
        session.rollback()
        log.exception("database unavailable while loading a sheet to save it")
        return _unsaved_page(allocation_id, posted)
    try:
        result = _save(posted, allocation_id)
        if posted.centre:
            submit_centre(session, allocation_id, current_appointee(), posted.centre, result.version,
                          audit_context(), now=now())
        session.commit()
        log.info("marks saved", extra={"event": "marks_saved", "page": "emi", "allocation": str(allocation_id),
                                       "changed": result.changed, "submitted_centre": posted.centre,
                                       "oid": g.user["oid"]})
    except InvalidMarks as exc:
        session.rollback()
        return _resheet(mark_sheet, posted, exc, errors={str(key): message for key, message in exc.errors.items()})
    except StaleSheet as exc:
        session.rollback()
        return _resheet(mark_sheet, posted, exc, conflicts={str(k): v for k, v in exc.conflicts.items()},
                        version=exc.current_version)
    except IncompleteSheet as exc:
        session.rollback()
        return _save_draft_then_explain(allocation_id, posted, exc)
    except (DeadlinePassed, SheetLocked) as exc:
        session.rollback()
        return _resheet(mark_sheet, posted, exc)
    except DataError:
        session.rollback()
        raise
    except SQLAlchemyError:
        session.rollback()
        log.exception("database failed during a save; nothing was written")
        return _resheet(mark_sheet, posted, None, status=503,
                        problem=_("We could not save your marks because the database did not answer. Nothing "
                                  "was saved; your marks are still below. Please try again in a moment."))
    if posted.centre:
        done = {"done": "submitted", "centre": posted.centre, "_anchor": f"centre-{posted.centre}"}
    else:
        done = {"done": "saved" if result.changed else "unchanged"}
    return redirect(url_for("emi.sheet", allocation_id=mark_sheet.allocation_id, **done), code=303)


def _save(posted: PostedSheet, allocation_id: str):
    return save_marks(db_session(), allocation_id, current_appointee(), posted.values, posted.version,
                      audit_context(), received=posted.received, now=now(), not_received_codes=not_received_codes())


def _save_draft_then_explain(allocation_id: str, posted: PostedSheet, exc: IncompleteSheet):
    """Submission refused for missing marks: save the rest as a draft and name the fields still empty."""
    session = db_session()
    result = _save(posted, allocation_id)
    session.commit()
    mark_sheet = _load(allocation_id)
    errors = {str(e): _("Enter a mark or a status code before submitting.") for e in exc.missing}
    problem = _("Your marks were saved as a draft, but centre %(centre)s was not submitted: %(count)s candidate(s) "
                "still need a mark or a status code.", centre=posted.centre, count=len(exc.missing))
    return _resheet(mark_sheet, posted, exc, errors=errors, version=result.version, problem=problem)


def _resheet(mark_sheet, posted: PostedSheet, exc: DataError | None, *, errors=None, conflicts=None,
             version: int | None = None, status: int | None = None, problem: str | None = None):
    """The sheet again, with the typed values, inline messages and the version the next save must name."""
    page = render_template("emi/sheet.html", sheet=mark_sheet, values=posted.values,
                           typed_received=posted.received, errors=errors or {}, conflicts=conflicts or {},
                           notice=None, csrf_token=csrf_token(),
                           problem=problem or (_(exc.description) if exc else None),
                           version=mark_sheet.version if version is None else version)
    return page, status or (exc.status_code if exc else 200), {"Cache-Control": "no-store"}


def _unsaved_page(allocation_id: str, posted: PostedSheet):
    """The database is down: show the typed values in a form that can be sent again, with a 503."""
    page = render_template("emi/unsaved.html", allocation_id=allocation_id, values=posted.values,
                           not_received=[key for key, arrived in posted.received.items() if not arrived],
                           version=posted.version, csrf_token=csrf_token())
    return page, 503, {"Retry-After": "10", "Cache-Control": "no-store"}
