"""A moderator's centre page: the sample beside the centre's marks (with differences against the tolerance),
whether each work arrived, the moderated marks, the report, Save draft and Submit report.

Every refusal re-renders the page with what the user typed and a message by each field; a session that ended
while typing keeps the typed values for after sign-in (``portal_app.marks.stash``).
"""

from __future__ import annotations

import logging

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from auth.permissions import Permission
from portal_app.data.errors import DataError, InvalidMarks, StaleSheet
from portal_app.data.moderation_centre import CentreView, moderator_centre
from portal_app.data.moderation_errors import IncompleteReport
from portal_app.data.moderation_marks import CentreForm, save_centre
from portal_app.data.moderation_reports import report_history, submit_report
from portal_app.database import db_session
from portal_app.marks.common import audit_context, csrf_token, current_appointee, expected_version, require_csrf
from portal_app.marks.iamis.blueprint import bp
from portal_app.marks.iamis.forms import (
    centre_form,
    centre_page_fields,
    code_meaning,
    field_errors,
    rules,
    template_helpers,
)
from portal_app.marks.stash import restored_values, stash_and_sign_in
from portal_app.signin.gate import require_permission

log = logging.getLogger(__name__)


@bp.get("/allocations/<allocation_id>/centres/<centre_number>")
@require_permission(Permission.IAMIS_VIEW)
def review(allocation_id: str, centre_number: str):
    """The centre page; after a sign-in that followed an expired session, the kept values are shown again."""
    view = moderator_centre(db_session(), allocation_id, current_appointee(), centre_number)
    kept = None if view.read_only else restored_values(request.path)
    notices = {"saved": _("Your changes were saved."), "submitted": _("The report was submitted."),
               "unchanged": _("Nothing had changed, so there was nothing to save.")}
    notice = (_("Your session had ended, so these changes were not saved. Check them and press \"Save draft\".")
              if kept else notices.get(request.args.get("done", "")))
    return _render(view, centre_form(kept) if kept else None, notice=notice)


@bp.post("/allocations/<allocation_id>/centres/<centre_number>")
def save_review(allocation_id: str, centre_number: str):
    """Save the page as a draft, or save and submit the report."""
    if g.get("user") is None:
        return stash_and_sign_in(request.path, centre_page_fields(allocation_id, centre_number))
    return _save_signed_in(allocation_id, centre_number)


@require_permission(Permission.IAMIS_ENTER_MARKS)
def _save_signed_in(allocation_id: str, centre_number: str):
    require_csrf()
    form, version = centre_form(), expected_version()
    submitting = request.form.get("action") == "submit"
    session, who, context, current = db_session(), current_appointee(), audit_context(), rules()
    view = moderator_centre(session, allocation_id, who, centre_number)
    try:
        new_version = save_centre(session, allocation_id, who, centre_number, form, version, context, current,
                                  code_meaning(current))
        if submitting:
            submit_report(session, allocation_id, who, centre_number, new_version, context, current)
        session.commit()
        log.info("moderation saved", extra={"event": "marks_saved", "page": "iamis", "centre": centre_number,
                                            "allocation": str(allocation_id), "submitted": submitting,
                                            "changed": new_version != version, "oid": g.user["oid"]})
    except InvalidMarks as exc:
        session.rollback()
        return _render(view, form, errors=field_errors(exc.errors), exc=exc)
    except StaleSheet as exc:
        session.rollback()
        return _render(view, form, conflicts=field_errors(exc.conflicts), exc=exc, version=exc.current_version)
    except IncompleteReport as exc:
        session.rollback()
        return _save_then_explain(allocation_id, centre_number, form, version, exc)
    except DataError:
        session.rollback()
        raise
    except SQLAlchemyError:
        session.rollback()
        log.exception("database failed while saving a centre; nothing was written")
        return _render(view, form, status=503,
                       problem=_("We could not save because the database did not answer. Nothing was saved; your "
                                 "changes are still below. Please try again in a moment."))
    done = "submitted" if submitting else ("saved" if new_version != version else "unchanged")
    return redirect(url_for("iamis.review", allocation_id=view.allocation_id, centre_number=view.centre_number,
                            done=done), code=303)


def _save_then_explain(allocation_id: str, centre_number: str, form: CentreForm, version: int,
                       exc: IncompleteReport):
    """Submit refused: keep the draft (it is sound), and say what the report still needs."""
    session, who, current = db_session(), current_appointee(), rules()
    new_version = save_centre(session, allocation_id, who, centre_number, form, version, audit_context(), current,
                              code_meaning(current))
    session.commit()
    view = moderator_centre(session, allocation_id, who, centre_number)
    errors = {str(e): _("Enter the moderated mark (or %(code)s for work that did not arrive) before submitting.",
                        code=current.not_received_code) for e in exc.missing}
    errors.update({f"report-{name}": _("Fill this in before you submit the report.") for name in exc.missing_fields})
    if exc.empty_sample:
        problem = _("This centre has nobody in its sample, so its report cannot be submitted. Your changes were "
                    "saved as a draft.")
    else:
        problem = _("Your changes were saved as a draft, but the report was not submitted: %(rows)s candidate(s) "
                    "still need a moderated mark and %(fields)s required field(s) are empty.",
                    rows=len(exc.missing), fields=len(exc.missing_fields))
    return _render(view, form, errors=errors, exc=exc, version=new_version, problem=problem)


def _render(view: CentreView, form: CentreForm | None, *, errors=None, conflicts=None, exc: DataError | None = None,
            version: int | None = None, status: int | None = None, problem: str | None = None,
            notice: str | None = None):
    form = form or CentreForm()
    page = render_template(
        "iamis/review.html", view=view, marks=form.marks, work=form.work, report=form.report, errors=errors or {},
        conflicts=conflicts or {}, notice=notice, csrf_token=csrf_token(),
        problem=problem or (_(exc.description) if exc else None),
        version=view.version if version is None else version,
        history=report_history(db_session(), view.report.id), **template_helpers())
    return page, status or (exc.status_code if exc else 200), {"Cache-Control": "no-store"}
