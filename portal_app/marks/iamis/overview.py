"""Moderator Mark Input: the seed guide's table of the user's own components, the reports returned to them, and
(working as team leader or principal) what their team has waiting for review; the formula PDFs."""

from __future__ import annotations

from flask import abort, current_app, redirect, url_for

from auth.permissions import Permission, work_as_choices
from auth.text import N_
from portal_app.data.access import own_allocation
from portal_app.data.moderation import moderator_components
from portal_app.data.teams import team_progress
from portal_app.database import db_session
from portal_app.marks.common import csrf_token, current_appointee
from portal_app.marks.iamis.blueprint import bp
from portal_app.marks.iamis.forms import can
from portal_app.marks.list_cache import cached_list
from portal_app.signin.gate import require_permission
from portal_app.signin.roles import current_decision, current_work_as, role_titles_version
from portal_app.web.i18n import translated
from portal_app.web.layout import signed_in_page


@bp.get("/")
@require_permission(Permission.IAMIS_VIEW)
def index():
    """One row per component with the seed guide's totals, "Work as", and the team's reports awaiting review.

    Read and rendered again only when its data changed (marks.list_cache); the CSRF token is this response's.
    """
    choices, work_as = tuple(work_as_choices(current_decision())), current_work_as()
    sees_team, all_teams = can(Permission.IAMIS_VIEW_TEAM), can(Permission.IAMIS_VIEW_ALL_TEAMS)
    key = ("iamis", choices, work_as, role_titles_version())
    overview = cached_list("iamis/_overview.html", key, lambda: _overview(choices, work_as, sees_team, all_teams),
                           per_request={"csrf_token": csrf_token()})
    return signed_in_page(title=translated(N_("Moderator Mark Input")), content=overview)


def _overview(choices: tuple[str, ...], work_as: str | None, sees_team: bool, all_teams: bool) -> dict:
    session, me = db_session(), current_appointee()
    rows = moderator_components(session, me)
    team = None
    if sees_team:
        members = team_progress(session, me, all_teams=all_teams)
        team = {"members": len(members), "awaiting": sum(m.submitted for m in members),
                "returned": sum(m.returned for m in members), "accepted": sum(m.accepted for m in members)}
    return {"rows": rows, "work_as_choices": choices, "work_as": work_as, "team": team,
            "can_view_team": team is not None, "can_review": can(Permission.IAMIS_REVIEW)}


@bp.get("/allocations/<allocation_id>/formula/<language>")
@require_permission(Permission.IAMIS_VIEW)
def formula(allocation_id: str, language: str):
    """FORMULA PDF / FORMULA PDF (WELSH): hand over to the documents download, which checks the allocation."""
    component = own_allocation(db_session(), allocation_id, current_appointee(), "moderator").component
    filename = {"english": component.formula_pdf, "welsh": component.formula_pdf_welsh}.get(language)
    if not filename or "documents.download" not in current_app.view_functions:
        abort(404)
    return redirect(url_for("documents.download", component_id=component.id, filename=filename))
