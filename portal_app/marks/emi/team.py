"""The examining team: each member's progress, and a member's sheet to read (a leader never types on it)."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from auth.permissions import Permission
from portal_app.data.emi_team import overseen_allocation, team_progress
from portal_app.data.reopen import exported_centres
from portal_app.data.sheet import sheet_of
from portal_app.database import db_session
from portal_app.marks.common import csrf_token, current_appointee
from portal_app.marks.emi.blueprint import bp
from portal_app.marks.emi.context import may, not_received_codes, now, sees_all_teams
from portal_app.signin.gate import require_permission


@bp.get("/team")
@require_permission(Permission.EMI_VIEW_TEAM)
def team():
    """Each member's allocation, entered, submitted, share of the allocation, last save and deadline."""
    members = team_progress(db_session(), current_appointee(), sees_all_teams(), now())
    return render_template("emi/team.html", members=members, all_teams=sees_all_teams())


@bp.get("/team/allocations/<allocation_id>")
@require_permission(Permission.EMI_VIEW_TEAM)
def member_sheet(allocation_id: str):
    """A member's sheet, read-only; principals and administrators also reopen centres and grant extensions."""
    centre = request.args.get("centre", "")[:16]
    notice = {"reopened": _("Centre %(centre)s was reopened; its examiner is told why on their list.",
                            centre=centre),
              "extended": _("The extension was granted.")}.get(request.args.get("done", ""))
    return render_member_sheet(allocation_id, notice=notice)


def render_member_sheet(allocation_id: str, *, problem: str | None = None, notice: str | None = None,
                        typed: dict | None = None, status: int = 200):
    """The drill-down page (also re-rendered, with what was typed, when a reopen or extension is refused)."""
    session = db_session()
    allocation = overseen_allocation(session, current_appointee(), sees_all_teams(), allocation_id)
    mark_sheet = sheet_of(session, allocation, now(), not_received_codes())
    page = render_template("emi/team_sheet.html", sheet=mark_sheet, exported=exported_centres(session, allocation),
                           can_reopen=may(Permission.EMI_REOPEN_CENTRE),
                           can_extend=may(Permission.EMI_GRANT_EXTENSION), csrf_token=csrf_token(),
                           problem=problem, notice=notice, typed=typed or {})
    return page, status, {"Cache-Control": "no-store"}
