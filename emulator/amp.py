"""AMP, the Appointee Management Portal: a second app that signs in through the emulator with MSAL.

It exists to show single sign-on: sign in to AMP, then the portal signs you in silently; sign out of either
and the front-channel logout reaches the other.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

import msal
import requests
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session

from .state import emulator

bp = Blueprint("amp", __name__, url_prefix="/amp")
AMP_CLIENT_ID = "a3b2c1d0-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
AMP_TENANT_ID = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"


def close_http(app) -> None:
    """Close AMP's HTTP connections (called when an in-process emulator stops)."""
    http = app.extensions.pop("amp_http", None)
    if http is not None:
        http.close()


def _msal_app() -> msal.ConfidentialClientApplication:
    """One MSAL client for AMP, built on first use (the server must be listening by then)."""
    if "amp_msal" not in current_app.extensions:
        state = emulator()
        registration = state.directory.app(AMP_CLIENT_ID)
        http = requests.Session()
        http.verify = str(state.ca_path)
        # REQUESTS_CA_BUNDLE would otherwise override verify and distrust our own CA.
        http.trust_env = False
        current_app.extensions["amp_http"] = http
        current_app.extensions["amp_msal"] = msal.ConfidentialClientApplication(
            registration.client_id, client_credential=registration.secret,
            authority=f"{state.base_url}/{registration.tenant_id}", instance_discovery=False, http_client=http)
    return current_app.extensions["amp_msal"]


def _signed_in_user() -> dict | None:
    """AMP's user, unless the SSO session behind it has ended."""
    user = session.get("amp_user")
    if not user:
        return None
    sso = emulator().store.sessions.get(user["sid"])
    if sso is None or sso.ended:
        session.pop("amp_user", None)
        return None
    return user


@bp.get("/")
def home():
    """AMP's page: who is signed in, with Sign in / Sign out."""
    session.setdefault("amp_csrf", secrets.token_urlsafe(24))
    return render_template("amp.html", user=_signed_in_user(), csrf=session["amp_csrf"],
                           error=request.args.get("error", ""))


@bp.get("/login")
def login():
    """Start a real auth code flow (PKCE, state, nonce by MSAL) against the emulator."""
    flow = _msal_app().initiate_auth_code_flow(["User.Read"], redirect_uri=f"{emulator().base_url}/amp/callback",
                                               response_mode="form_post")
    session["amp_flow"] = flow
    return redirect(flow["auth_uri"], code=302)


@bp.post("/callback")
def callback():
    """Redeem the code; MSAL checks state and the PKCE verifier."""
    flow = session.pop("amp_flow", None)
    if not flow:
        return redirect("/amp/?" + urlencode({"error": "This sign-in was not started here or has expired."}))
    result = _msal_app().acquire_token_by_auth_code_flow(flow, request.form.to_dict())
    if "error" in result:
        return redirect("/amp/?" + urlencode({"error": result.get("error_description", result["error"])[:300]}))
    claims = result["id_token_claims"]
    session["amp_user"] = {"name": claims.get("name", ""), "email": claims.get("preferred_username", ""),
                           "sid": claims.get("sid", ""), "login_hint": claims.get("login_hint", "")}
    return redirect("/amp/", code=303)


@bp.post("/logout")
def logout():
    """Sign out of AMP and of the SSO session, fanning out to the other apps."""
    if not hmac.compare_digest(request.form.get("csrf", ""), session.get("amp_csrf", "-")):
        abort(400)
    user = session.pop("amp_user", None) or {}
    state = emulator()
    query = {"post_logout_redirect_uri": f"{state.base_url}/amp/", "client_id": AMP_CLIENT_ID}
    if user.get("login_hint"):
        query["logout_hint"] = user["login_hint"]
    return redirect(f"{state.base_url}/{AMP_TENANT_ID}/oauth2/v2.0/logout?{urlencode(query)}", code=303)


@bp.get("/frontchannel-logout")
def frontchannel_logout():
    """Front-channel logout: forget the AMP sign-in tied to ``sid`` (loaded in an iframe)."""
    g.frame_ancestors = "'self'"
    user = session.get("amp_user") or {}
    if user and hmac.compare_digest(user.get("sid", ""), request.args.get("sid", "")):
        session.pop("amp_user", None)
    return "", 200
