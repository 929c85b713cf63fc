"""Moderator Mark Input: the seed guide's table of the user's own components, the reports returned to them, and
(working as team leader or principal) what their team has waiting for review; the formula PDFs."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for

from auth.permissions import Permission, work_as_choices
from portal_app.data.access import own_allocation
from portal_app.data.moderation import moderator_components
from portal_app.data.teams import team_progress
from portal_app.database import db_session
from portal_app.marks.common import csrf_token, current_appointee
from portal_app.marks.iamis.blueprint import bp
from portal_app.marks.iamis.forms import can
from portal_app.signin.gate import require_permission
from portal_app.signin.roles import current_decision, current_work_as


@bp.get("/")
@require_permission(Permission.IAMIS_VIEW)
def index():
    """One row per component with the seed guide's totals, "Work as", and the team's reports awaiting review."""
    session, me = db_session(), current_appointee()
    rows = moderator_components(session, me)
    team = None
    if can(Permission.IAMIS_VIEW_TEAM):
        members = team_progress(session, me, all_teams=can(Permission.IAMIS_VIEW_ALL_TEAMS))
        team = {"members": len(members), "awaiting": sum(m.submitted for m in members),
                "returned": sum(m.returned for m in members), "accepted": sum(m.accepted for m in members)}
    return render_template("iamis/index.html", rows=rows, work_as_choices=work_as_choices(current_decision()),
                           work_as=current_work_as(), csrf_token=csrf_token(), team=team,
                           can_view_team=team is not None, can_review=can(Permission.IAMIS_REVIEW))


@bp.get("/allocations/<allocation_id>/formula/<language>")
@require_permission(Permission.IAMIS_VIEW)
def formula(allocation_id: str, language: str):
    """FORMULA PDF / FORMULA PDF (WELSH): hand over to the documents download, which checks the allocation."""
    component = own_allocation(db_session(), allocation_id, current_appointee(), "moderator").component
    filename = {"english": component.formula_pdf, "welsh": component.formula_pdf_welsh}.get(language)
    if not filename or "documents.download" not in current_app.view_functions:
        abort(404)
    return redirect(url_for("documents.download", component_id=component.id, filename=filename))
