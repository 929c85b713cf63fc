"""Routes of the sign-in contract: /login, /auth/callback, /logout."""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from auth import user_session
from auth.flow_state import new_browser_secret
from auth.redirects import safe_next
from auth.signin import SilentSignInFailed
from portal_app.authorization import decide_roles, store_decision
from portal_app.identity import identity_services
from portal_app.sessions import index_session, rotate_session_id
from portal_app.silent import forget_hint, remember_hint, sign_in_page
from portal_app.web import clock

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

FLOW_COOKIE = "portal_flow"
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}$")
# Paths that must never be a post-sign-in destination (they would loop or sign out again).
_NOT_A_DESTINATION = ("/login", "/auth/", "/logout")


def flow_cookie_name() -> str:
    return "__Host-portal_flow" if current_app.extensions["portal.settings"].uses_https else FLOW_COOKIE


def next_destination(candidate: str | None) -> str:
    path = safe_next(candidate)
    return "/services" if path.startswith(_NOT_A_DESTINATION) else path


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


def redirect_to_authority(next_path: str, *, login_hint: str | None = None, prompt: str | None = None):
    """A 302 to the authorize endpoint, with the flow bound to this browser through the flow cookie."""
    settings = current_app.extensions["portal.settings"]
    browser_secret = request.cookies.get(flow_cookie_name()) or ""
    if not (40 <= len(browser_secret) <= 60):
        browser_secret = new_browser_secret()
    auth_uri = identity_services().sign_in().begin(next_path=next_path, browser_secret=browser_secret,
                                                   login_hint=login_hint, prompt=prompt)
    response = redirect(auth_uri, code=302)
    # SameSite=None: Microsoft's form_post back to the callback is a cross-site POST, which would not
    # carry a Lax cookie. Secure is required with None; browsers accept it on http://localhost too.
    response.set_cookie(flow_cookie_name(), browser_secret, max_age=settings.flow_lifetime_seconds,
                        secure=True, httponly=True, samesite="None", path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


def _login_hint_problem(email: str, appointee_domains: tuple[str, ...]) -> str | None:
    if not EMAIL.match(email) or len(email) > 320:
        return _("Enter your appointee username, for example j.bloggs@wjec-appointees.co.uk.")
    if email.rsplit("@", 1)[1].lower() not in appointee_domains:
        return "not-appointee"
    return None


@bp.route("/auth/callback", methods=["GET", "POST"])
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
    user_session.start(session, signed_in.identity, token_cache=signed_in.token_cache, now=clock.now(),
                       login_hint=signed_in.claims.get("login_hint"))
    store_decision(decision)
    rotate_session_id(current_app, session)
    index_session(session.sid, signed_in.identity)
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
        return redirect(url_for("pages.index"))
    return render_template("logout.html", csrf_token=user_session.csrf_token(session))


@bp.post("/logout")
def logout():
    """End the portal session, then the authority's session (single sign-out)."""
    user = user_session.current_user(session)
    if user is None:
        return redirect(url_for("pages.index"), code=303)
    if not user_session.csrf_matches(session, request.form.get("csrf_token")):
        abort(400, description=_("This sign-out form has expired. Please try again."))
    return finish_sign_out(user)


def finish_sign_out(user: dict):
    """Delete this session (tokens and MSAL cache with it) and send the browser to the end-session endpoint."""
    session.clear()
    log.info("sign-out", extra={"event": "sign_out", "via": "portal", "tid": user["tid"], "oid": user["oid"]})
    response = redirect(end_session_url(user.get("login_hint")), code=303)
    forget_hint(response)
    return response


def end_session_url(login_hint: str | None) -> str:
    services = identity_services()
    settings = services.settings
    post_logout = settings.url_for_path("/")
    try:
        endpoint = services.metadata().get("end_session_endpoint")
    except Exception:  # noqa: BLE001 - signing out of the portal must work while the authority is down
        endpoint = None
    if not endpoint:
        return post_logout
    query = {"post_logout_redirect_uri": post_logout, "client_id": settings.client_id}
    if login_hint:
        query["logout_hint"] = login_hint
    return f"{endpoint}?{urlencode(query)}"
