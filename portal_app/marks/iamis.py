"""IAMIS, Moderator Mark Input: the component table, a centre's sample review, centre reports and View Team."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from auth.permissions import Permission, work_as_choices
from portal_app.data.access import own_allocation, sheet_fields
from portal_app.data.errors import DataError, IncompleteSheet, InvalidMarks, StaleSheet
from portal_app.data.models import AllocationCentre, Candidate, Centre, Entry, Mark, ModerationSample
from portal_app.data.moderation import (
    complete_centre_report,
    load_centre_sample,
    moderator_components,
    save_moderated_marks,
)
from portal_app.data.teams import team_progress
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
from portal_app.marks.stash import restored_values, stash_and_sign_in
from portal_app.signin.gate import require_permission
from portal_app.signin.roles import current_decision, current_permissions, current_work_as

log = logging.getLogger(__name__)
bp = Blueprint("iamis", __name__, url_prefix="/iamis")
bp.register_error_handler(DataError, handle_data_error)


@bp.get("/")
@require_permission(Permission.IAMIS_VIEW)
def index():
    """Moderator Mark Input: one row per component with the seed guide's totals, and "Work as"."""
    rows = moderator_components(db_session(), current_appointee())
    return render_template("iamis/index.html", rows=rows, work_as_choices=work_as_choices(current_decision()),
                           work_as=current_work_as(), csrf_token=csrf_token(),
                           can_view_team=Permission.IAMIS_VIEW_TEAM in current_permissions())


@bp.get("/allocations/<allocation_id>")
@require_permission(Permission.IAMIS_VIEW)
def centres(allocation_id: str):
    """The centres of one of the moderator's own components, each with its sample and report state."""
    session = db_session()
    allocation = own_allocation(session, allocation_id, current_appointee(), "moderator")
    listing = _centre_listing(session, allocation.id)
    return render_template("iamis/centres.html", allocation=allocation, centres=listing)


def _centre_listing(session, allocation_id: int) -> list[tuple]:
    """(centre number, name, report completed?, sample size, still to moderate) for each allocated centre."""
    sample = (
        select(Candidate.centre_id.label("centre_id"), func.count().label("n"),
               func.count(Mark.moderated_mark).label("done"))
        .select_from(ModerationSample)
        .join(Entry, Entry.id == ModerationSample.entry_id)
        .join(Candidate, Candidate.id == Entry.candidate_id)
        .outerjoin(Mark, Mark.entry_id == ModerationSample.entry_id)
        .where(ModerationSample.allocation_id == allocation_id)
        .group_by(Candidate.centre_id)
        .subquery()
    )
    query = (
        select(Centre.number, Centre.name, AllocationCentre.report_completed_at, sample.c.n, sample.c.done)
        .join(AllocationCentre, AllocationCentre.centre_id == Centre.id)
        .outerjoin(sample, sample.c.centre_id == Centre.id)
        .where(AllocationCentre.allocation_id == allocation_id)
        .order_by(Centre.number)
    )
    return [(number, name, done_at is not None, n or 0, (n or 0) - (done or 0))
            for number, name, done_at, n, done in session.execute(query)]


@bp.get("/allocations/<allocation_id>/centres/<centre_number>")
@require_permission(Permission.IAMIS_VIEW)
def review(allocation_id: str, centre_number: str):
    """A centre's sample: the centre's mark beside a field for the moderated mark."""
    sample = load_centre_sample(db_session(), allocation_id, current_appointee(), centre_number)
    kept = None if sample.report_completed else restored_values(request.path)
    notices = {"saved": _("Moderated marks saved."), "completed": _("The centre's report is complete."),
               "unchanged": _("Nothing had changed.")}
    notice = (_("Your session had ended, so these marks were not saved. Check them and press Save.")
              if kept else notices.get(request.args.get("done", "")))
    return _render_review(sample, kept or {}, notice=notice)


@bp.post("/allocations/<allocation_id>/centres/<centre_number>")
def save_review(allocation_id: str, centre_number: str):
    """Save moderated marks, or complete the centre's report."""
    if g.get("user") is None:
        return stash_and_sign_in(request.path, sheet_fields(db_session(), allocation_id, centre_number))
    return _save_review_signed_in(allocation_id, centre_number)


@require_permission(Permission.IAMIS_ENTER_MARKS)
def _save_review_signed_in(allocation_id: str, centre_number: str):
    require_csrf()
    values, version = typed_values(), expected_version()
    completing = request.form.get("action") == "complete"
    session, who, context = db_session(), current_appointee(), audit_context()
    sample = load_centre_sample(session, allocation_id, who, centre_number)
    try:
        new_version = save_moderated_marks(session, allocation_id, who, centre_number, values, version, context)
        if completing:
            complete_centre_report(session, allocation_id, who, centre_number, new_version, context)
        session.commit()
        log.info("moderated marks saved", extra={"event": "marks_saved", "page": "iamis", "centre": centre_number,
                                                 "allocation": str(allocation_id), "report_completed": completing,
                                                 "oid": g.user["oid"]})
    except InvalidMarks as exc:
        session.rollback()
        return _render_review(sample, values, errors={str(k): v for k, v in exc.errors.items()}, exc=exc)
    except StaleSheet as exc:
        session.rollback()
        conflicts = {str(k): v for k, v in exc.conflicts.items()}
        return _render_review(sample, values, conflicts=conflicts, exc=exc, version=exc.current_version)
    except IncompleteSheet as exc:
        session.rollback()
        errors = {str(e): _("Enter a moderated mark before completing the report.") for e in exc.missing}
        return _render_review(sample, values, errors=errors, exc=exc)
    except SQLAlchemyError:
        session.rollback()
        log.exception("database failed while saving moderated marks; nothing was written")
        return _render_review(sample, values, status=503,
                              problem=_("We could not save because the database did not answer. Nothing was "
                                        "saved; your marks are still below. Please try again in a moment."))
    done = "completed" if completing else "saved"
    return redirect(url_for("iamis.review", allocation_id=sample.allocation_id, centre_number=sample.centre_number,
                            done=done), code=303)


def _render_review(sample, values: dict, *, errors=None, conflicts=None, exc: DataError | None = None,
                   version: int | None = None, status: int | None = None, problem: str | None = None,
                   notice: str | None = None):
    page = render_template("iamis/review.html", sample=sample, values=values, errors=errors or {},
                           conflicts=conflicts or {}, notice=notice, csrf_token=csrf_token(),
                           problem=problem or (_(exc.description) if exc else None),
                           version=sample.version if version is None else version)
    return page, status or (exc.status_code if exc else 200), {"Cache-Control": "no-store"}


@bp.get("/team")
@require_permission(Permission.IAMIS_VIEW_TEAM)
def team():
    """View Team: each member's progress, read-only (a leader never enters marks on members' sheets)."""
    members = team_progress(db_session(), current_appointee())
    return render_template("iamis/team.html", members=members, work_as=current_work_as())


@bp.get("/allocations/<allocation_id>/formula/<language>")
@require_permission(Permission.IAMIS_VIEW)
def formula(allocation_id: str, language: str):
    """FORMULA PDF / FORMULA PDF (WELSH): hand over to the documents download, which checks the allocation."""
    component = own_allocation(db_session(), allocation_id, current_appointee(), "moderator").component
    filename = {"english": component.formula_pdf, "welsh": component.formula_pdf_welsh}.get(language)
    if not filename or "documents.download" not in current_app.view_functions:
        abort(404)
    return redirect(url_for("documents.download", component_id=component.id, filename=filename))
