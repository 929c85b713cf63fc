"""EMI, Electronic Mark Input: an examiner's component list and mark sheets (draft, submit, read-only)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from auth.permissions import Permission
from portal_app.data.access import own_allocation, sheet_fields
from portal_app.data.errors import DataError, IncompleteSheet, InvalidMarks, StaleSheet
from portal_app.data.marks import list_examiner_components, load_mark_sheet, save_marks, submit_sheet
from portal_app.database import db_session
from portal_app.marks.common import (
    audit_context,
    csrf_token,
    current_appointee,
    expected_version,
    handle_data_error,
    require_csrf,
    typed_values,
)
from portal_app.marks.stash import mark_fields, restored_values, stash_and_sign_in
from portal_app.signin.gate import require_permission

log = logging.getLogger(__name__)
bp = Blueprint("emi", __name__, url_prefix="/emi")
bp.register_error_handler(DataError, handle_data_error)


@bp.get("/")
@require_permission(Permission.EMI_VIEW)
def index():
    """ELECTRONIC MARK INPUT: the examiner's components with ENTER MARKS / SUBMIT MARKS counts."""
    components = list_examiner_components(db_session(), current_appointee())
    return render_template("emi/index.html", components=components)


@bp.get("/allocations/<allocation_id>")
@require_permission(Permission.EMI_VIEW)
def sheet(allocation_id: str):
    """The mark sheet; after a sign-in that followed an expired session, the kept values are shown again."""
    mark_sheet = load_mark_sheet(db_session(), allocation_id, current_appointee())
    kept = None if mark_sheet.read_only else restored_values(request.path)
    notice = (_("Your session had ended, so these marks were not saved. Check them and press Save draft.")
              if kept else _flash_notice())
    return render_template("emi/sheet.html", sheet=mark_sheet, values=kept or {}, errors={}, conflicts={},
                           notice=notice, problem=None, csrf_token=csrf_token())


def _flash_notice() -> str | None:
    notices = {"saved": _("Your marks were saved as a draft."), "submitted": _("Your marks were submitted."),
               "unchanged": _("Nothing had changed, so there was nothing to save.")}
    return notices.get(request.args.get("done", ""))


@bp.post("/allocations/<allocation_id>")
def save(allocation_id: str):
    """Save a draft or submit; every refusal re-renders the sheet with what the user typed."""
    if g.get("user") is None:
        return stash_and_sign_in(request.path, mark_fields(sheet_fields(db_session(), allocation_id)))
    return _save_signed_in(allocation_id)


@require_permission(Permission.EMI_ENTER_MARKS)
def _save_signed_in(allocation_id: str):
    require_csrf()
    values, version = typed_values(), expected_version()
    submitting = request.form.get("action") == "submit"
    session = db_session()
    try:
        mark_sheet = load_mark_sheet(session, allocation_id, current_appointee())
    except SQLAlchemyError:
        session.rollback()
        log.exception("database unavailable while loading a sheet to save it")
        return _unsaved_page(allocation_id, values, version)
    try:
        result = save_marks(session, allocation_id, current_appointee(), values, version, audit_context())
        if submitting:
            submit_sheet(session, allocation_id, current_appointee(), result.version, audit_context())
        session.commit()
        log.info("marks saved", extra={"event": "marks_saved", "page": "emi", "allocation": str(allocation_id),
                                       "changed": result.changed, "submitted": submitting,
                                       "oid": g.user["oid"]})
    except InvalidMarks as exc:
        session.rollback()
        errors = {str(key): message for key, message in exc.errors.items()}
        return _resheet(mark_sheet, values, exc, errors=errors)
    except StaleSheet as exc:
        session.rollback()
        return _resheet(mark_sheet, values, exc, conflicts={str(k): v for k, v in exc.conflicts.items()},
                        version=exc.current_version)
    except IncompleteSheet as exc:
        session.rollback()
        # The draft part is sound: keep it, and say which candidates still need a mark.
        return _save_draft_then_explain(allocation_id, values, version, exc)
    except DataError:
        session.rollback()
        raise
    except SQLAlchemyError:
        session.rollback()
        log.exception("database failed during a save; nothing was written")
        return _resheet(mark_sheet, values, None, status=503,
                        problem=_("We could not save your marks because the database did not answer. Nothing "
                                  "was saved; your marks are still below. Please try again in a moment."))
    done = "submitted" if submitting else ("saved" if result.changed else "unchanged")
    return redirect(url_for("emi.sheet", allocation_id=mark_sheet.allocation_id, done=done), code=303)


def _save_draft_then_explain(allocation_id: str, values: dict, version: int, exc: IncompleteSheet):
    """Submit refused for missing marks: save the rest as a draft and list the fields still empty."""
    session = db_session()
    result = save_marks(session, allocation_id, current_appointee(), values, version, audit_context())
    session.commit()
    mark_sheet = load_mark_sheet(session, allocation_id, current_appointee())
    errors = {str(e): _("Enter a mark or a status code before submitting.") for e in exc.missing}
    return _resheet(mark_sheet, values, exc, errors=errors, version=result.version,
                    problem=_("Your marks were saved as a draft, but the sheet was not submitted: "
                              "%(count)s candidate(s) still need a mark or a status code.", count=len(exc.missing)))


def _resheet(mark_sheet, values: dict, exc: DataError | None, *, errors=None, conflicts=None,
             version: int | None = None, status: int | None = None, problem: str | None = None):
    """The sheet again, with the typed values, inline messages and the version the next save must name."""
    page = render_template("emi/sheet.html", sheet=mark_sheet, values=values, errors=errors or {},
                           conflicts=conflicts or {}, notice=None, csrf_token=csrf_token(),
                           problem=problem or (_(exc.description) if exc else None),
                           version=mark_sheet.version if version is None else version)
    return page, status or (exc.status_code if exc else 200), {"Cache-Control": "no-store"}


def _unsaved_page(allocation_id: str, values: dict, version: int):
    """The database is down: show the typed values in a form that can be sent again, with a 503."""
    page = render_template("emi/unsaved.html", allocation_id=allocation_id, values=values, version=version,
                           csrf_token=csrf_token())
    return page, 503, {"Retry-After": "10", "Cache-Control": "no-store"}


@bp.get("/allocations/<allocation_id>/agenda")
@require_permission(Permission.EMI_VIEW)
def agenda(allocation_id: str):
    """VIEW CONFERENCE AGENDA: hand over to the documents download, which checks the allocation again."""
    component = own_allocation(db_session(), allocation_id, current_appointee(), "examiner").component
    if not component.agenda_document or "documents.download" not in current_app.view_functions:
        abort(404)
    return redirect(url_for("documents.download", component_id=component.id, filename=component.agenda_document))
