"""The sign-in page, All Services, and the IAMIS "Work as" choice."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from auth import user_session
from portal_app.auth_views import next_destination
from portal_app.authorization import set_work_as
from portal_app.guards import login_required
from portal_app.services_views import services_page

log = logging.getLogger(__name__)
bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """"Sign in to your Portal account": email and Next, or "Sign in as an Appointee"."""
    if g.get("user") is not None:
        return redirect(url_for("pages.services"))
    return render_template("index.html", email="", email_error=None,
                           next_path=next_destination(request.args.get("next")))


@bp.get("/services")
@login_required
def services():
    """All Services: only what the user's permissions open (``?q=`` narrows it); a clear page when nothing."""
    return services_page()


@bp.post("/work-as")
@login_required
def work_as():
    """Switch the IAMIS role the user works as, limited to roles they hold."""
    if not user_session.csrf_matches(session, request.form.get("csrf_token")):
        abort(400, description=_("This form has expired. Please try again."))
    role = request.form.get("role", "")
    set_work_as(role)
    log.info("work as changed", extra={"event": "work_as", "role": role, "oid": g.user["oid"]})
    return redirect(next_destination(request.form.get("next") or "/iamis/"), code=303)
