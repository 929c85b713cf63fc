"""The sign-in pages: email, password, verify identity (TOTP or SMS), "Stay signed in?"."""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import urlsplit

import pyotp
from flask import Blueprint, g, render_template, request

from . import errors as E
from .authorize import (
    BROWSER_COOKIE,
    SSO_COOKIE,
    complete,
    error_redirect,
    set_sso_cookie,
)
from .directory import User
from .errors import EntraError
from .i18n import gettext as _
from .i18n import use_language
from .state import emulator
from .store import SMS_TTL, AuthRequest

bp = Blueprint("signin", __name__)
log = logging.getLogger("emulator.mfa")

MESSAGES = {
    "unknown": "We couldn't find an account with that username. Try another, or contact your admin.",
    "password": "Your account or password is incorrect. If you don't remember your password, reset it now.",
    "locked": "Your account is temporarily locked to prevent unauthorised use. Try again later, and if you "
              "still have trouble, contact your admin.",
    "code": "You didn't enter the expected verification code. Please try again.",
    "tenant": "Your account is in another organisation and can't be used to sign in here. Use an account "
              "from this organisation.",
    "empty": "Enter a valid email address, phone number, or Skype name.",
}


def sms_code_for(email: str) -> str | None:
    """The last SMS code 'sent' to ``email`` (for test controls), or None."""
    entry = emulator().store.last_sms.get(email.lower())
    return entry[0] if entry else None


def _expired_page():
    return render_template("error.html", title=_("Sorry, but we're having trouble signing you in."),
                           code="AADSTS90015", message=_("This sign-in page has expired or belongs to another "
                                                         "browser. Go back to the app and start again.")), 400


def _flow_for_request(flow_id: str) -> AuthRequest | None:
    """The flow, only for the browser that started it."""
    flow = emulator().store.flow(flow_id)
    browser = request.cookies.get(BROWSER_COOKIE, "")
    if flow is None or not browser or not hmac.compare_digest(flow.browser, browser):
        return None
    use_language(flow.language)
    return flow


def _step(flow: AuthRequest, user: User | None) -> str:
    """Which page comes next, derived from what the flow has proven so far."""
    if user is None:
        return "email"
    if not flow.password_ok:
        return "password"
    if user.mfa != "none" and not flow.mfa_done:
        return "mfa"
    return "kmsi"


@bp.get("/signin/<flow_id>")
def page(flow_id: str):
    """Show the current step of a sign-in."""
    flow = _flow_for_request(flow_id)
    if flow is None:
        return _expired_page()
    return _render(flow)


def _render(flow: AuthRequest, error: str = "", typed: str = ""):
    state = emulator()
    user = state.directory.user(flow.email) if flow.email else None
    app = state.directory.app(flow.client_id)
    tenant = state.directory.tenants.get(flow.tenant_id or "")
    target = urlsplit(flow.redirect_uri)
    # A query-mode redirect after our form POST is subject to the form's form-action.
    g.form_targets.append(f"{target.scheme}://{target.netloc}")
    return render_template("signin.html", flow=flow, step=_step(flow, user), user=user, app=app, tenant=tenant,
                           error=_(MESSAGES[error]) if error else "", typed=typed or flow.email or flow.login_hint)


@bp.post("/signin/<flow_id>")
def submit(flow_id: str):
    """Handle one step's form; every form carries the flow's CSRF token."""
    flow = _flow_for_request(flow_id)
    if flow is None or not hmac.compare_digest(request.form.get("csrf", ""), flow.csrf):
        return _expired_page()
    state = emulator()
    user = state.directory.user(flow.email) if flow.email else None
    step = _step(flow, user)
    action = request.form.get("step", "")
    if request.form.get("back"):
        flow.email, flow.password_ok, flow.mfa_done, flow.sms_code = "", False, False, ""
        return _render(flow)
    if action != step:
        return _render(flow)
    handler = {"email": _email, "password": _password, "mfa": _mfa, "kmsi": _kmsi}[step]
    return handler(flow, user)


def _email(flow: AuthRequest, _user):
    typed = request.form.get("loginfmt", "").strip()
    if not typed:
        return _render(flow, "empty")
    if emulator().directory.user(typed) is None:
        return _render(flow, "unknown", typed)
    flow.email = emulator().directory.user(typed).email
    return _render(flow)


def _password(flow: AuthRequest, user: User):
    store = emulator().store
    if store.locked(user.email):
        return _render(flow, "locked")
    if not hmac.compare_digest(request.form.get("passwd", "").encode(), user.password.encode()):
        return _render(flow, "locked" if store.record_failure(user.email) else "password")
    store.record_success(user.email)
    if flow.tenant_id is not None and user.tenant_id != flow.tenant_id:
        flow.email = ""
        return _render(flow, "tenant")
    flow.password_ok = True
    if user.mfa == "none" and flow.acrs:
        return error_redirect(flow, EntraError(
            "interaction_required", E.MFA_ENROLMENT_REQUIRED, "Due to a configuration change made by your "
            "administrator, or because you moved to a new location, you must enroll in multi-factor "
            "authentication to access this application."))
    if user.mfa == "sms":
        _send_sms(flow, user)
    return _render(flow)


def _send_sms(flow: AuthRequest, user: User) -> None:
    """'Send' an SMS code: the emulator cannot text, so it logs the code."""
    state = emulator()
    flow.sms_code = f"{secrets.randbelow(10**6):06d}"
    flow.sms_sent_at = state.clock.now()
    state.store.last_sms[user.email.lower()] = (flow.sms_code, flow.sms_sent_at)
    log.warning("SMS to %s : code %s", user.phone, flow.sms_code)


def _code_ok(flow: AuthRequest, user: User, code: str) -> bool:
    now = emulator().clock.now()
    if not (len(code) == 6 and code.isdigit()):
        return False
    if user.mfa == "totp":
        return pyotp.TOTP(user.totp_secret).verify(code, for_time=now, valid_window=1)
    fresh = now - flow.sms_sent_at <= SMS_TTL
    return bool(flow.sms_code) and fresh and hmac.compare_digest(code, flow.sms_code)


def _mfa(flow: AuthRequest, user: User):
    store = emulator().store
    if request.form.get("resend") and user.mfa == "sms":
        _send_sms(flow, user)
        return _render(flow)
    if store.locked(user.email):
        return _render(flow, "locked")
    if not _code_ok(flow, user, request.form.get("otc", "").strip()):
        return _render(flow, "locked" if store.record_failure(user.email) else "code")
    store.record_success(user.email)
    flow.mfa_done = True
    flow.sms_code = ""
    return _render(flow)


def _kmsi(flow: AuthRequest, user: User):
    """'Stay signed in?': Yes gives a persistent SSO cookie, No a browser-session one."""
    state = emulator()
    persistent = request.form.get("kmsi") == "yes"
    existing = state.store.session_by_cookie(request.cookies.get(SSO_COOKIE))
    if existing is not None and existing.email == user.email and flow.mfa_done:
        # A step-up or re-authentication of the same account keeps its session (and sid).
        existing.mfa_done, existing.persistent = True, existing.persistent or persistent
        sso = existing
    else:
        sso = state.store.add_session(user.email, user.tenant_id, mfa_done=flow.mfa_done, persistent=persistent)
    return set_sso_cookie(complete(flow, sso), sso)
