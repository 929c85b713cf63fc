"""Authorised corrections: reopening a submitted centre and granting an extension, each with a reason, audited.

Both act on an examiner allocation in the actor's oversight (their team, or every one for administrators) and
need their own permission (``emi:reopen-centre``, ``emi:grant-extension``); anything else is a 404 or 403.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import g, redirect, request, url_for
from flask_babel import gettext as _

from auth.permissions import Permission
from portal_app.data.deadlines import grant_extension, parse_london_time
from portal_app.data.emi_team import overseen_allocation
from portal_app.data.examining_errors import CentreExported, InvalidRequest
from portal_app.data.reopen import reopen_centre
from portal_app.database import db_session
from portal_app.marks.common import audit_context, current_appointee
from portal_app.marks.emi.blueprint import bp
from portal_app.marks.emi.context import now, sees_all_teams
from portal_app.marks.emi.team import render_member_sheet
from portal_app.signin.gate import require_csrf, require_permission
from portal_app.web.messages import message_text

log = logging.getLogger(__name__)


@bp.post("/team/allocations/<allocation_id>/centres/<centre_number>/reopen")
@require_permission(Permission.EMI_REOPEN_CENTRE)
def reopen(allocation_id: str, centre_number: str):
    """Open a submitted centre again for its examiner, who is told the reason on their list."""
    require_csrf(_("This form has expired or did not come from the portal. Nothing was changed: reload the page "
                   "and try again."))
    session = db_session()
    allocation = overseen_allocation(session, current_appointee(), sees_all_teams(), allocation_id)
    reason = request.form.get("reason", "")
    try:
        reopen_centre(session, allocation, current_appointee(), centre_number, reason, now(), audit_context())
        session.commit()
    except InvalidRequest as exc:
        session.rollback()
        return render_member_sheet(allocation_id, problem=message_text(exc.message), status=422,
                                   typed={f"reason-{centre_number}": reason})
    except CentreExported as exc:
        session.rollback()
        problem = _("The marks of centre %(centre)s were exported to the board in batch %(batch)s, so it cannot be "
                    "reopened. Ask operations staff to reissue the export of this centre first.",
                    centre=centre_number, batch=exc.batch_id)
        return render_member_sheet(allocation_id, problem=problem, status=409,
                                   typed={f"reason-{centre_number}": reason})
    log.info("centre reopened", extra={"event": "centre_reopened", "allocation": allocation.id,
                                       "centre": centre_number, "oid": g.user["oid"]})
    return redirect(url_for("emi.member_sheet", allocation_id=allocation.id, done="reopened",
                            centre=centre_number), code=303)


@bp.post("/team/allocations/<allocation_id>/extension")
@require_permission(Permission.EMI_GRANT_EXTENSION)
def extend(allocation_id: str):
    """Give the examiner a later marks-due time (Europe/London), with a reason."""
    require_csrf(_("This form has expired or did not come from the portal. Nothing was changed: reload the page "
                   "and try again."))
    session = db_session()
    allocation = overseen_allocation(session, current_appointee(), sees_all_teams(), allocation_id)
    typed = {name: request.form.get(name, "")[:500] for name in ("due_date", "due_time", "reason")}
    due = parse_london_time(f"{typed['due_date']} {typed['due_time']}")
    try:
        if not isinstance(due, datetime):
            raise InvalidRequest(due)
        grant_extension(session, allocation, current_appointee(), due, typed["reason"], now(), audit_context())
        session.commit()
    except InvalidRequest as exc:
        session.rollback()
        return render_member_sheet(allocation_id, problem=message_text(exc.message), status=422, typed=typed)
    log.info("extension granted", extra={"event": "extension_granted", "allocation": allocation.id,
                                         "oid": g.user["oid"]})
    return redirect(url_for("emi.member_sheet", allocation_id=allocation.id, done="extended"), code=303)
