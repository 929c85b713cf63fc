"""Ending portal sessions from outside the browser that holds them: front-channel logout from the
authority, and "sign out everywhere"."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, render_template, request, session
from flask_babel import gettext as _

from auth import user_session
from auth.session_index import sid_key, user_key
from portal_app.auth_views import finish_sign_out
from portal_app.guards import login_required
from portal_app.sessions import delete_stored_sessions

log = logging.getLogger(__name__)
bp = Blueprint("session_control", __name__)


@bp.get("/auth/frontchannel-logout")
def frontchannel_logout():
    """The authority loads this in an iframe when the user signs out elsewhere (AMP, say)."""
    sid = request.args.get("sid", "")
    ended = 0
    if 8 <= len(sid) <= 200:
        ended_ids = current_app.extensions["portal.session_index"].take_all(sid_key(sid))
        delete_stored_sessions(current_app, ended_ids)
        ended = len(ended_ids)
    log.info("front-channel logout", extra={"event": "sign_out", "via": "front-channel", "sessions": ended})
    response = current_app.make_response(render_template("frontchannel_logout.html"))
    authority = urlsplit(current_app.extensions["portal.settings"].authority)
    # Only the authority may frame this page (it is loaded in its signed-out page).
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; frame-ancestors {authority.scheme}://{authority.netloc}")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/logout/everywhere")
@login_required
def sign_out_everywhere():
    """End every portal session of this user, in every browser, then sign out here."""
    if not user_session.csrf_matches(session, request.form.get("csrf_token")):
        abort(400, description=_("This sign-out form has expired. Please try again."))
    user = g.user
    ended_ids = current_app.extensions["portal.session_index"].take_all(user_key(user["tid"], user["oid"]))
    delete_stored_sessions(current_app, [sid for sid in ended_ids if sid != session.sid])
    log.info("signed out everywhere", extra={"event": "sign_out", "via": "everywhere", "sessions": len(ended_ids),
                                             "tid": user["tid"], "oid": user["oid"]})
    return finish_sign_out(user)
