"""ELECTRONIC MARK INPUT: the examiner's components with the seed guide's buttons, deadlines and agendas."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for

from auth.permissions import Permission
from portal_app.data.access import own_allocation
from portal_app.data.marks import list_examiner_components
from portal_app.database import db_session
from portal_app.marks.common import current_appointee
from portal_app.marks.emi.blueprint import bp
from portal_app.marks.emi.context import may, now
from portal_app.signin.gate import require_permission


@bp.get("/")
@require_permission(Permission.EMI_VIEW)
def index():
    """The list: ENTER MARKS (N LEFT), SUBMIT MARKS (N), (M SUBMITTED), Due/Overdue, reopened centres."""
    components = list_examiner_components(db_session(), current_appointee(), now=now())
    return render_template("emi/index.html", components=components,
                           can_view_team=may(Permission.EMI_VIEW_TEAM))


@bp.get("/allocations/<allocation_id>/agenda")
@require_permission(Permission.EMI_VIEW)
def agenda(allocation_id: str):
    """VIEW CONFERENCE AGENDA: hand over to the documents download, which checks the allocation again."""
    component = own_allocation(db_session(), allocation_id, current_appointee(), "examiner").component
    if not component.agenda_document or "documents.download" not in current_app.view_functions:
        abort(404)
    return redirect(url_for("documents.download", component_id=component.id, filename=component.agenda_document))
