"""ELECTRONIC MARK INPUT: the examiner's components with the seed guide's buttons, deadlines and agendas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, current_app, redirect, url_for

from auth.permissions import Permission
from auth.text import N_
from portal_app.data.access import own_allocation
from portal_app.data.marks import list_examiner_components
from portal_app.database import db_session
from portal_app.marks.common import current_appointee
from portal_app.marks.emi.blueprint import bp
from portal_app.marks.emi.context import may, now
from portal_app.marks.list_cache import cached_list
from portal_app.signin.gate import require_permission
from portal_app.web.i18n import translated
from portal_app.web.layout import signed_in_page


@bp.get("/")
@require_permission(Permission.EMI_VIEW)
def index():
    """The list: ENTER MARKS (N LEFT), SUBMIT MARKS (N), (M SUBMITTED), Due/Overdue, reopened centres.

    Read and rendered again only when its data changed or a deadline on it passed (marks.list_cache).
    """
    can_view_team = may(Permission.EMI_VIEW_TEAM)
    at = now()
    listing = cached_list("emi/_list.html", ("emi", can_view_team), lambda: {
        "components": list_examiner_components(db_session(), current_appointee(), now=at),
        "can_view_team": can_view_team, "now": at}, valid_until=_next_deadline)
    return signed_in_page(title=translated(N_("Electronic Mark Input")), content=listing)


def _next_deadline(context: Mapping[str, Any]) -> float | None:
    """When the next deadline on the list passes (its Due becomes Overdue), as a timestamp; None: none ahead."""
    due = (c.deadline.due_at for c in context["components"])
    ahead = [at for at in due if at is not None and at > context["now"]]
    return min(ahead).timestamp() if ahead else None


@bp.get("/allocations/<allocation_id>/agenda")
@require_permission(Permission.EMI_VIEW)
def agenda(allocation_id: str):
    """VIEW CONFERENCE AGENDA: hand over to the documents download, which checks the allocation again."""
    component = own_allocation(db_session(), allocation_id, current_appointee(), "examiner").component
    if not component.agenda_document or "documents.download" not in current_app.view_functions:
        abort(404)
    return redirect(url_for("documents.download", component_id=component.id, filename=component.agenda_document))
