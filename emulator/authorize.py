"""The authorize endpoint: validate the request, use the SSO session, or start the sign-in pages."""

from __future__ import annotations

import json
import re
import secrets
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for

from . import errors as E
from .errors import EntraError
from .i18n import browser_language
from .i18n import gettext as _
from .protocol import resolve_segment
from .state import emulator
from .store import AuthRequest, CodeGrant, SsoSession

bp = Blueprint("authorize", __name__)

SSO_COOKIE = "ESTSAUTH"
BROWSER_COOKIE = "emu_browser"
SSO_PERSISTENT_SECONDS = 90 * 24 * 3600
RESPONSE_MODES = ("query", "fragment", "form_post")
PROMPTS = ("none", "login", "consent", "select_account")
# Entra authentication context ids are c1..c99.
ACRS_PATTERN = re.compile(r"^c([1-9]|[1-9][0-9])$")


class ClientError(Exception):
    """An error to send back to the app's redirect URI (the client and redirect URI are trusted)."""

    def __init__(self, flow: AuthRequest, error: EntraError) -> None:
        super().__init__(error.description)
        self.flow = flow
        self.error = error


def error_page(exc: EntraError, status: int = 400):
    """The page shown when the request cannot be sent back to the app (unknown client or redirect URI)."""
    # The AADSTS detail stays in English, as a code and message for the app's developers.
    return render_template("error.html", title=_("Sorry, but we're having trouble signing you in."),
                           code=f"AADSTS{exc.aadsts}", message=exc.message), status


@bp.route("/<tenant>/oauth2/v2.0/authorize", methods=["GET", "POST"])
def authorize(tenant: str):
    """Start or silently complete a sign-in."""
    try:
        flow = _validate(tenant, request.values)
        return _route(flow, request.values.get("prompt", ""))
    except EntraError as exc:
        return error_page(exc)
    except ClientError as exc:
        return error_redirect(exc.flow, exc.error)


def _validate(segment: str, params) -> AuthRequest:
    """An AuthRequest for valid parameters; EntraError (rendered as a page) otherwise."""
    state = emulator()
    tenant_id = resolve_segment(segment)
    client_id = params.get("client_id", "")
    app = state.directory.app(client_id)
    if app is None or (tenant_id and tenant_id != app.tenant_id and not app.multi_tenant):
        raise EntraError("unauthorized_client", E.APP_NOT_FOUND, f"Application with identifier "
                         f"'{client_id[:64]}' was not found in the directory '{segment}'.")
    redirect_uri = params.get("redirect_uri", "")
    if not app.accepts_redirect_uri(redirect_uri):
        raise EntraError("invalid_request", E.REDIRECT_MISMATCH, "The redirect URI specified in the request "
                         f"'{redirect_uri[:200]}' does not match the redirect URIs configured for the "
                         f"application '{client_id}'.")
    if tenant_id is None and not app.multi_tenant:
        raise EntraError("invalid_request", E.NOT_MULTI_TENANT, f"Application '{client_id}' ({app.name}) is "
                         "not configured as a multi-tenant application. Use a tenant-specific endpoint.")
    flow = AuthRequest(
        id=secrets.token_urlsafe(24), csrf=secrets.token_urlsafe(32), browser="", created=state.clock.now(),
        client_id=client_id, redirect_uri=redirect_uri,
        response_mode=params.get("response_mode", "query"), state=params.get("state"),
        nonce=params.get("nonce"), scopes=tuple(params.get("scope", "").split()),
        code_challenge=params.get("code_challenge", ""), tenant_segment=segment, tenant_id=tenant_id,
        login_hint=params.get("login_hint", "").strip(), language=browser_language(),
    )
    _check_redirectable(flow, params)
    return flow


def _check_redirectable(flow: AuthRequest, params) -> None:
    """Checks whose failure goes back to the app, since its redirect URI is now trusted."""
    if flow.response_mode not in RESPONSE_MODES:
        bad_mode = flow.response_mode
        flow.response_mode = "query"
        raise_client(flow, "invalid_request", E.INVALID_REQUEST, f"The response_mode '{bad_mode[:20]}' is "
                     "not supported.")
    if params.get("response_type") != "code":
        raise_client(flow, "unsupported_response_type", E.UNSUPPORTED_RESPONSE_TYPE,
                     "The app requested an unsupported response type; this emulator issues 'code' only.")
    if params.get("prompt", "") and params["prompt"] not in PROMPTS:
        raise_client(flow, "invalid_request", E.INVALID_REQUEST, "Invalid value for the 'prompt' parameter.")
    # Fail closed: every client of this portal uses PKCE with S256 (MSAL does by default).
    if not flow.code_challenge or params.get("code_challenge_method") != "S256":
        raise_client(flow, "invalid_request", E.PKCE_REQUIRED, "Proof Key for Code Exchange (S256) is "
                     "required: send code_challenge and code_challenge_method=S256.")
    flow.acrs = _requested_acrs(flow, params.get("claims", ""))


def _requested_acrs(flow: AuthRequest, claims_param: str) -> tuple[str, ...]:
    """Auth context ids asked for via ``claims={"id_token":{"acrs":{...}}}`` (``value`` or ``values``)."""
    if not claims_param:
        return ()
    try:
        claims = json.loads(claims_param)
        wanted = []
        for target in ("id_token", "access_token"):
            acrs = (claims.get(target) or {}).get("acrs") or {}
            wanted += [acrs["value"]] if "value" in acrs else list(acrs.get("values", []))
    except (ValueError, AttributeError, TypeError):
        raise_client(flow, "invalid_request", E.INVALID_REQUEST, "The 'claims' parameter is not valid JSON.")
    if not all(isinstance(v, str) and ACRS_PATTERN.match(v) for v in wanted):
        raise_client(flow, "invalid_request", E.INVALID_REQUEST, "The 'claims' parameter asks for an "
                     "unknown authentication context (expected c1..c99).")
    return tuple(dict.fromkeys(wanted))


def raise_client(flow: AuthRequest, error: str, aadsts: int, message: str):
    """Refuse the request by redirecting back to the app."""
    raise ClientError(flow, EntraError(error, aadsts, message))


def _route(flow: AuthRequest, prompt: str):
    """Complete silently from the SSO session when allowed, else send the browser to the sign-in pages."""
    state = emulator()
    sso = usable_session(flow, state.store.session_by_cookie(request.cookies.get(SSO_COOKIE)))
    if prompt == "none":
        if sso is None:
            raise_client(flow, "login_required", E.LOGIN_REQUIRED, "The user needs to sign in: there is no "
                         "single sign-on session for this request.")
        if flow.acrs and not sso.mfa_done:
            raise_client(flow, "interaction_required", E.INTERACTION_REQUIRED, "The requested authentication "
                         "context needs multi-factor authentication, which this session has not done.")
        return complete(flow, sso)
    if sso is not None and prompt != "login" and (sso.mfa_done or not flow.acrs):
        return complete(flow, sso)
    user = state.directory.user(flow.login_hint) if flow.login_hint else None
    if user is not None:
        flow.email = user.email
    browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(24)
    flow.browser = browser
    state.store.add_flow(flow)
    response = redirect(url_for("signin.page", flow_id=flow.id), code=303)
    response.set_cookie(BROWSER_COOKIE, browser, secure=True, httponly=True, samesite="None")
    return response


def usable_session(flow: AuthRequest, sso: SsoSession | None) -> SsoSession | None:
    """The SSO session if it may serve this request (right tenant, same account as any login_hint)."""
    if sso is None:
        return None
    if flow.tenant_id is not None and sso.tenant_id != flow.tenant_id:
        return None
    if flow.login_hint and flow.login_hint.lower() != sso.email.lower():
        return None
    return sso


def complete(flow: AuthRequest, sso: SsoSession):
    """Issue a code through ``sso`` and send it to the app's redirect URI."""
    state = emulator()
    state.store.finish_flow(flow.id)
    app = state.directory.app(flow.client_id)
    with state.store.lock:
        sso.apps[app.client_id] = app.frontchannel_logout_url
    code = state.store.add_code(CodeGrant(
        client_id=flow.client_id, redirect_uri=flow.redirect_uri, email=sso.email, tenant_id=sso.tenant_id,
        scopes=flow.scopes, nonce=flow.nonce, code_challenge=flow.code_challenge, sid=sso.sid,
        acrs=flow.acrs if sso.mfa_done else (), issued=state.clock.now()))
    return respond_to_client(flow, {"code": code, "state": flow.state, "session_state": sso.sid})


def error_redirect(flow: AuthRequest, exc: EntraError):
    """Send an OAuth error, with the app's state, back to its redirect URI."""
    emulator().store.finish_flow(flow.id)
    return respond_to_client(flow, {"error": exc.error, "error_description": exc.description,
                                    "error_uri": f"https://login.microsoftonline.com/error?code={exc.aadsts}",
                                    "state": flow.state})


def respond_to_client(flow: AuthRequest, params: dict):
    """Deliver ``params`` per response_mode: query or fragment redirect, or an auto-posting form."""
    fields = {key: value for key, value in params.items() if value is not None}
    if flow.response_mode == "form_post":
        target = urlsplit(flow.redirect_uri)
        g.form_targets.append(f"{target.scheme}://{target.netloc}")
        return make_response(render_template("form_post.html", action=flow.redirect_uri, fields=fields))
    separator = "#" if flow.response_mode == "fragment" else ("&" if "?" in flow.redirect_uri else "?")
    return redirect(flow.redirect_uri + separator + urlencode(fields), code=302)


def set_sso_cookie(response, sso: SsoSession):
    """The SSO cookie: persistent after "Stay signed in? Yes", a browser-session cookie after "No"."""
    response.set_cookie(SSO_COOKIE, sso.cookie, max_age=SSO_PERSISTENT_SECONDS if sso.persistent else None,
                        secure=True, httponly=True, samesite="None", path="/")
    return response
