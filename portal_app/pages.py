"""The sign-in page and All Services."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from auth import user_session
from portal_app.auth_views import next_destination
from portal_app.guards import login_required

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
    return render_template("services.html", csrf_token=user_session.csrf_token(session))
