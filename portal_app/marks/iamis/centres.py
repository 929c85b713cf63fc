"""A moderator's centres, and the whole centre in rank order: every candidate's centre mark (read-only), the
sample marked, and the forms that add a candidate, replace one whose work did not arrive, or take back one the
moderator added."""

from __future__ import annotations

import logging

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from auth.permissions import Permission
from portal_app.data.access import own_allocation
from portal_app.data.errors import StaleSheet
from portal_app.data.moderation import centre_listing
from portal_app.data.moderation_centre import centre_candidates, centre_view
from portal_app.data.moderation_errors import SampleChangeRefused
from portal_app.data.moderation_samples import NOTE_MAX as SAMPLE_NOTE_MAX
from portal_app.data.moderation_samples import add_candidate, remove_candidate, replace_candidate
from portal_app.data.sample_rules import eligible
from portal_app.database import db_session
from portal_app.marks.common import audit_context, csrf_token, current_appointee, expected_version, require_csrf
from portal_app.marks.iamis.blueprint import bp
from portal_app.marks.iamis.forms import rules, template_helpers, typed_note
from portal_app.marks.stash import restored_values, stash_and_sign_in
from portal_app.signin.gate import require_permission
from portal_app.web.messages import message_text

log = logging.getLogger(__name__)


@bp.get("/allocations/<allocation_id>")
@require_permission(Permission.IAMIS_VIEW)
def centres(allocation_id: str):
    """The centres of one of the moderator's own components, each with its sample and report state."""
    session = db_session()
    allocation = own_allocation(session, allocation_id, current_appointee(), "moderator")
    return render_template("iamis/centres.html", allocation=allocation, centres=centre_listing(session, allocation.id),
                           **template_helpers())


@bp.get("/allocations/<allocation_id>/centres/<centre_number>/candidates")
@require_permission(Permission.IAMIS_VIEW)
def candidates(allocation_id: str, centre_number: str):
    """The whole centre in rank order of its marks, the sample marked, and the sample's forms."""
    kept = restored_values(request.path) or {}
    notices = {"added": _("The candidate was added to the sample."),
               "replaced": _("The candidate was replaced in the sample."),
               "removed": _("The candidate was taken out of the sample.")}
    notice = (_("Your session had ended, so the sample was not changed. Check the form and send it again.")
              if kept else notices.get(request.args.get("done", "")))
    return _render(allocation_id, centre_number, note=kept.get("note", ""), notice=notice)


@bp.post("/allocations/<allocation_id>/centres/<centre_number>/candidates")
def change_sample(allocation_id: str, centre_number: str):
    """Add, replace or take back a candidate (the action button says which)."""
    if g.get("user") is None:
        return stash_and_sign_in(request.path, {"note": SAMPLE_NOTE_MAX})
    return _change_signed_in(allocation_id, centre_number)


@require_permission(Permission.IAMIS_ENTER_MARKS)
def _change_signed_in(allocation_id: str, centre_number: str):
    require_csrf()
    version, action = expected_version(), request.form.get("action", "")
    session, who, context, current = db_session(), current_appointee(), audit_context(), rules()
    candidate, note = request.form.get("candidate", ""), typed_note()
    try:
        if action == "add":
            add_candidate(session, allocation_id, who, centre_number, candidate, note, version, context, current)
        elif action == "replace":
            replace_candidate(session, allocation_id, who, centre_number, request.form.get("replaced", ""),
                              candidate, note, version, context, current)
        elif action == "remove":
            remove_candidate(session, allocation_id, who, centre_number, candidate, version, context)
        else:
            return _render(allocation_id, centre_number, note=note, status=400,
                           problem=_("Choose what to do: add, replace or take out a candidate."))
        session.commit()
    except SampleChangeRefused as exc:
        session.rollback()
        return _render(allocation_id, centre_number, note=note, status=422, problem=message_text(exc.description))
    except StaleSheet:
        session.rollback()
        return _render(allocation_id, centre_number, note=note, status=409,
                       problem=_("This centre was changed elsewhere since you opened it, so the sample was not "
                                 "changed. Check the list below and try again."))
    log.info("sample changed", extra={"event": "sample_changed", "action": action, "centre": centre_number,
                                      "allocation": str(allocation_id), "oid": g.user["oid"]})
    done = {"add": "added", "replace": "replaced", "remove": "removed"}[action]
    return redirect(url_for("iamis.candidates", allocation_id=allocation_id, centre_number=centre_number, done=done),
                    code=303)


def _render(allocation_id: str, centre_number: str, *, note: str = "", status: int = 200,
            problem: str | None = None, notice: str | None = None):
    session, current = db_session(), rules()
    allocation = own_allocation(session, allocation_id, current_appointee(), "moderator")
    view = centre_view(session, allocation, centre_number)
    ranked = centre_candidates(session, allocation, view.centre_id)
    choosable = [c for c in ranked if c.reason is None and not c.elsewhere and eligible(c.value, current)]
    replaceable = [row for row in view.active_rows if row.work != "received"]
    removable = {row.entry_id for row in view.active_rows
                 if row.reason in ("additional", "replacement") and not row.done}
    page = render_template("iamis/candidates.html", view=view, ranked=ranked, choosable=choosable,
                           replaceable=replaceable, removable=removable, note=note, problem=problem, notice=notice,
                           csrf_token=csrf_token(), **template_helpers())
    return page, status, {"Cache-Control": "no-store"}
