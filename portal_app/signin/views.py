"""The pages of the sign-in contract: the sign-in page, /login, /auth/callback, sign-out (here, everywhere and
front-channel from the authority), and the "Work as" choice.

Read a sign-in top to bottom: ``login`` -> ``redirect.redirect_to_authority`` -> the authority ->
``callback`` -> ``auth.signin.SignIn.complete`` -> ``roles.decide_roles`` -> ``auth.user_session.start`` (the one
session write) -> ``backend.rotate_and_index`` -> ``redirect.remember_hint``.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from auth import user_session
from auth.redirects import next_destination
from auth.session_index import sid_key
from auth.signin import SilentSignInFailed
from portal_app.signin.backend import backend
from portal_app.signin.gate import login_required, require_csrf
from portal_app.signin.redirect import (
    end_session_url,
    flow_cookie_name,
    forget_hint,
    redirect_to_authority,
    remember_hint,
    sign_in_page,
)
from portal_app.signin.roles import decide_roles, set_work_as
from portal_app.signin.services import identity_services
from portal_app.web import clock
from portal_app.web.metrics import CALLBACK_SECONDS

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}$")


@bp.get("/")
def index():
    """"Sign in to your Portal account": email and Next, or "Sign in as an Appointee"."""
    if g.get("user") is not None:
        return redirect(url_for("services.index"))
    return render_template("index.html", email="", email_error=None,
                           next_path=next_destination(request.args.get("next")))


@bp.get("/login")
def login():
    """Start a sign-in and send the browser to the authority."""
    settings = current_app.extensions["portal.settings"]
    next_path = next_destination(request.args.get("next"))
    login_hint = (request.args.get("login_hint") or "").strip()
    if login_hint:
        problem = _login_hint_problem(login_hint, settings.appointee_domains)
        if problem:
            return render_template("index.html", email=login_hint, email_error=problem,
                                   next_path=next_path), 400
    return redirect_to_authority(next_path, login_hint=login_hint or None)


def _login_hint_problem(email: str, appointee_domains: tuple[str, ...]) -> str | None:
    if not EMAIL.match(email) or len(email) > 320:
        return _("Enter your appointee username, for example j.bloggs@wjec-appointees.co.uk.")
    if email.rsplit("@", 1)[1].lower() not in appointee_domains:
        return "not-appointee"
    return None


@bp.route("/auth/callback", methods=["GET", "POST"])
@CALLBACK_SECONDS.time()  # the whole answer, the token call included, errors too
def callback():
    """Redeem the code, verify the ID token, decide roles, and start a fresh portal session."""
    auth_response = (request.form if request.method == "POST" else request.args).to_dict()
    started = time.monotonic()
    try:
        signed_in = identity_services().sign_in().complete(
            auth_response, browser_secret=request.cookies.get(flow_cookie_name()))
    except SilentSignInFailed as exc:
        log.info("silent sign-in did not sign anyone in", extra={"event": "silent_sign_in", "reason": exc.reason})
        return redirect(sign_in_page(exc.next_path), code=303)
    # Roles are decided before the session starts: a Graph failure on overage leaves nobody half signed in.
    decision = decide_roles(signed_in.claims, signed_in.token_cache)
    user_session.start(session, signed_in.identity, token_cache=signed_in.token_cache,
                       sealer=identity_services().sealer, now=clock.now(),
                       login_hint=signed_in.claims.get("login_hint"), roles=decision.to_session())
    backend().rotate_and_index(session, signed_in.identity)
    if signed_in.previous_session and signed_in.previous_session != session.sid:
        backend().end([signed_in.previous_session])  # ASVS 7.2.4: signing in again ends the session before
    log.info("sign-in succeeded", extra={"event": "sign_in", "outcome": "success",
                                         "tid": signed_in.identity.tenant_id,
                                         "oid": signed_in.identity.object_id,
                                         "duration_ms": round((time.monotonic() - started) * 1000)})
    response = redirect(signed_in.next_path, code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    remember_hint(response, signed_in.identity.username)
    return response


@bp.get("/logout")
def logout_confirm():
    if user_session.current_user(session) is None:
        return redirect(url_for("auth.index"))
    return render_template("logout.html", csrf_token=user_session.csrf_token(session))


@bp.post("/logout")
def logout():
    """End the portal session, then the authority's session (single sign-out)."""
    user = user_session.current_user(session)
    if user is None:
        return redirect(url_for("auth.index"), code=303)
    require_csrf(_("This sign-out form has expired. Please try again."))
    return _finish_sign_out(user)


@bp.post("/logout/everywhere")
@login_required
def sign_out_everywhere():
    """End every portal session of this user, in every browser, then sign out here."""
    require_csrf(_("This sign-out form has expired. Please try again."))
    user = g.user
    ended = backend().end_everywhere(user["tid"], user["oid"], now=clock.now(), keep=session.sid)
    log.info("signed out everywhere", extra={"event": "sign_out", "via": "everywhere", "sessions": ended,
                                             "tid": user["tid"], "oid": user["oid"]})
    return _finish_sign_out(user)


def _finish_sign_out(user: dict):
    """Delete this session (tokens and MSAL cache with it) and send the browser to the end-session endpoint."""
    id_token_hint = user_session.id_token_hint(session, identity_services().sealer)  # read before it is gone
    session.clear()
    log.info("sign-out", extra={"event": "sign_out", "via": "portal", "tid": user["tid"], "oid": user["oid"]})
    response = redirect(end_session_url(user.get("login_hint"), id_token_hint), code=303)
    forget_hint(response)
    return response


@bp.get("/auth/frontchannel-logout")
def frontchannel_logout():
    """The authority loads this in an iframe when the user signs out elsewhere (AMP, say)."""
    sid = request.args.get("sid", "")
    ended = backend().end_indexed(sid_key(sid)) if 8 <= len(sid) <= 200 else 0
    log.info("front-channel logout", extra={"event": "sign_out", "via": "front-channel", "sessions": ended})
    response = current_app.make_response(render_template("frontchannel_logout.html"))
    authority = urlsplit(current_app.extensions["portal.settings"].authority)
    # Only the authority may frame this page (it is loaded in its signed-out page).
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; frame-ancestors {authority.scheme}://{authority.netloc}")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/work-as")
@login_required
def work_as():
    """Switch the IAMIS role the user works as, limited to roles they hold."""
    require_csrf()
    role = request.form.get("role", "")
    set_work_as(role)
    log.info("work as changed", extra={"event": "work_as", "role": role, "oid": g.user["oid"]})
    return redirect(next_destination(request.form.get("next") or "/iamis/"), code=303)
