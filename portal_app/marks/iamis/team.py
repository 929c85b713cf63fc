"""View Team and review: a team leader or principal sees their line's moderators, opens a member's centres,
marks and report read-only, and returns a submitted report (with a note the moderator reads) or accepts it.

"Work as" decides the scope: as team leader, the people below them on the components they lead; as principal
(``iamis:view-all-teams``), every moderator allocation of the components they lead, with or without team rows.
Anyone outside that line gets a 404, exactly as for a centre that does not exist.
"""

from __future__ import annotations

import logging

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from auth.permissions import Permission
from portal_app.data.errors import StaleSheet
from portal_app.data.messages import Message
from portal_app.data.moderation import centre_listing
from portal_app.data.moderation_centre import centre_view
from portal_app.data.moderation_errors import NotUnderReview, ReviewNoteMissing
from portal_app.data.moderation_reports import NOTE_MAX as REVIEW_NOTE_MAX
from portal_app.data.moderation_reports import report_history, review_report
from portal_app.data.teams import reviewable_allocation, team_progress
from portal_app.database import db_session
from portal_app.marks.common import audit_context, csrf_token, current_appointee, expected_version, require_csrf
from portal_app.marks.iamis.blueprint import bp
from portal_app.marks.iamis.forms import can, reviewer_name, template_helpers, typed_note
from portal_app.marks.stash import restored_values, stash_and_sign_in
from portal_app.signin.gate import require_permission
from portal_app.signin.roles import current_work_as
from portal_app.web.messages import message_text

log = logging.getLogger(__name__)


def _all_teams() -> bool:
    return can(Permission.IAMIS_VIEW_ALL_TEAMS)


@bp.get("/team")
@require_permission(Permission.IAMIS_VIEW_TEAM)
def team():
    """View Team: each moderator in the user's scope, with centres, reports and the sample still to moderate."""
    members = team_progress(db_session(), current_appointee(), all_teams=_all_teams())
    return render_template("iamis/team.html", members=members, work_as=current_work_as(),
                           can_review=can(Permission.IAMIS_REVIEW), all_teams=_all_teams())


@bp.get("/team/allocations/<allocation_id>")
@require_permission(Permission.IAMIS_REVIEW)
def member(allocation_id: str):
    """A member's centres, read-only, each with its report status."""
    session = db_session()
    found = reviewable_allocation(session, allocation_id, current_appointee(), all_teams=_all_teams())
    return render_template("iamis/member.html", allocation=found.allocation,
                           centres=centre_listing(session, found.allocation.id), **template_helpers())


@bp.get("/team/allocations/<allocation_id>/centres/<centre_number>")
@require_permission(Permission.IAMIS_REVIEW)
def member_centre(allocation_id: str, centre_number: str):
    """A member's centre read-only: sample, marks, differences, report and its history; return or accept."""
    kept = restored_values(request.path) or {}
    notices = {"returned": _("The report was returned to the moderator."), "accepted": _("The report was accepted.")}
    notice = (_("Your session had ended, so nothing was done. Check the note and send it again.")
              if kept else notices.get(request.args.get("done", "")))
    return _render(allocation_id, centre_number, note=kept.get("note", ""), notice=notice)


@bp.post("/team/allocations/<allocation_id>/centres/<centre_number>")
def decide(allocation_id: str, centre_number: str):
    """Return the report to the moderator (a note is required) or accept it."""
    if g.get("user") is None:
        return stash_and_sign_in(request.path, {"note": REVIEW_NOTE_MAX})
    return _decide_signed_in(allocation_id, centre_number)


@require_permission(Permission.IAMIS_REVIEW)
def _decide_signed_in(allocation_id: str, centre_number: str):
    require_csrf()
    version, decision, note = expected_version(), request.form.get("action", ""), typed_note()
    if decision not in ("return", "accept"):
        return _render(allocation_id, centre_number, note=note, status=400,
                       problem=_("Choose whether to return the report or accept it."))
    session, me = db_session(), current_appointee()
    found = reviewable_allocation(session, allocation_id, me, all_teams=_all_teams())
    view = centre_view(session, found.allocation, centre_number)
    try:
        review_report(session, view, me, reviewer_name(), decision, note, version, audit_context())
        session.commit()
    except ReviewNoteMissing as exc:
        session.rollback()
        described = exc.description
        return _render(allocation_id, centre_number, note=note, status=422, note_error=True,
                       problem=message_text(described) if isinstance(described, Message) else _(described))
    except (NotUnderReview, StaleSheet) as exc:
        session.rollback()
        problem = (_("This report was changed since you opened it. Check it again before you decide.")
                   if isinstance(exc, StaleSheet) else _(exc.description))
        return _render(allocation_id, centre_number, note=note, status=409, problem=problem)
    log.info("report reviewed", extra={"event": "report_reviewed", "decision": decision, "centre": centre_number,
                                       "allocation": str(allocation_id), "oid": g.user["oid"]})
    return redirect(url_for("iamis.member_centre", allocation_id=allocation_id, centre_number=centre_number,
                            done="returned" if decision == "return" else "accepted"), code=303)


def _render(allocation_id: str, centre_number: str, *, note: str = "", status: int = 200,
            problem: str | None = None, notice: str | None = None, note_error: bool = False):
    session = db_session()
    found = reviewable_allocation(session, allocation_id, current_appointee(), all_teams=_all_teams())
    view = centre_view(session, found.allocation, centre_number)
    page = render_template("iamis/member_centre.html", view=view, leader=found.leader, note=note, problem=problem,
                           notice=notice, note_error=note_error, csrf_token=csrf_token(),
                           history=report_history(session, view.report.id), **template_helpers())
    return page, status, {"Cache-Control": "no-store"}
