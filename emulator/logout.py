"""End-session: end the SSO session, fan out front-channel logout, then return to a registered URI."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import jwt
from flask import Blueprint, g, render_template, request

from .authorize import SSO_COOKIE, error_page
from .errors import EntraError
from .protocol import resolve_segment
from .state import emulator
from .store import SsoSession
from .tokens import issuer_for

bp = Blueprint("logout", __name__)


@bp.route("/<tenant>/oauth2/v2.0/logout", methods=["GET", "POST"])
def logout(tenant: str):
    """Sign the browser out and show Entra's "You signed out" page."""
    try:
        resolve_segment(tenant)
    except EntraError as exc:
        return error_page(exc)
    state = emulator()
    hint_claims = _id_token_hint_claims(request.values.get("id_token_hint", ""))
    session = state.store.session_by_cookie(request.cookies.get(SSO_COOKIE))
    if session is None and hint_claims.get("sid"):
        live = state.store.sessions.get(hint_claims["sid"])
        session = live if live and not live.ended else None
    frontchannel = _end(session) if session else []
    continue_url = _allowed_post_logout_uri(session, hint_claims)
    g.frame_targets.extend(sorted({_origin(url) for url in frontchannel}))
    response = _render(frontchannel, continue_url)
    response.delete_cookie(SSO_COOKIE, path="/", secure=True, httponly=True, samesite="None")
    return response


def _render(frontchannel: list[str], continue_url: str | None):
    from flask import make_response

    return make_response(render_template("signed_out.html", frontchannel_urls=frontchannel,
                                         continue_url=continue_url))


def _end(session: SsoSession) -> list[str]:
    """End ``session``; the front-channel logout URLs (with sid and iss) of the apps that used it."""
    state = emulator()
    state.store.end_session(session.sid)
    issuer = issuer_for(state.base_url, session.tenant_id)
    query = urlencode({"sid": session.sid, "iss": issuer})
    return [f"{url}{'&' if '?' in url else '?'}{query}" for url in session.apps.values() if url]


def _id_token_hint_claims(hint: str) -> dict:
    """Claims of an ID token this emulator signed (expired is fine for a hint); {} if not ours."""
    if not hint:
        return {}
    state = emulator()
    try:
        return state.keys.verify(hint, audience=None, now=state.clock.now(), verify_exp=False)
    except jwt.InvalidTokenError:
        return {}


def _allowed_post_logout_uri(session: SsoSession | None, hint_claims: dict) -> str | None:
    """post_logout_redirect_uri only when registered for the app asking (client_id or the hint's aud)."""
    uri = request.values.get("post_logout_redirect_uri", "")
    if not uri or urlsplit(uri).scheme not in ("http", "https"):
        return None
    directory = emulator().directory
    client_id = request.values.get("client_id") or hint_claims.get("aud")
    candidates = [directory.app(client_id)] if client_id else [
        directory.app(app_id) for app_id in (session.apps if session else {})]
    if any(app is not None and app.accepts_post_logout_uri(uri) for app in candidates):
        return uri
    return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
