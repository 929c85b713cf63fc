"""Sending the browser to the authority: the flow cookie, silent sign-in, the sign-in page and sign-out.

Silent sign-in (issue 6): someone already signed in at the tenant (through AMP, say) lands on the page they
asked for with no click. Loops are impossible by construction: a browser gets at most one prompt=none attempt
per ``silent_retry_minutes`` (remembered in a cookie), and the callback of a failed attempt always shows the
sign-in page, never another attempt, even when the browser refuses cookies.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Response, current_app, redirect, request, session

from auth.flow_state import new_browser_secret
from auth.redirects import next_destination
from portal_app.signin.backend import loaded_session_id
from portal_app.signin.services import identity_services
from portal_app.web.cookies import cookie_name, forget_cookie, set_cookie
from portal_app.web.i18n import ui_locales

FLOW_COOKIE = "portal_flow"
ATTEMPT_COOKIE = "portal_silent"
HINT_COOKIE = "portal_hint"
HINT_MAX_AGE = 30 * 24 * 3600
_CRAWLERS = re.compile(r"bot|crawl|spider|slurp|preview|facebookexternalhit|monitor|headlesschecker", re.I)


def flow_cookie_name() -> str:
    return cookie_name(FLOW_COOKIE, https=current_app.extensions["portal.settings"].uses_https)


def redirect_to_authority(next_path: str, *, login_hint: str | None = None, prompt: str | None = None) -> Response:
    """A 302 to the authorize endpoint, with the flow bound to this browser through the flow cookie."""
    settings = current_app.extensions["portal.settings"]
    browser_secret = request.cookies.get(flow_cookie_name()) or ""
    if not (40 <= len(browser_secret) <= 60):
        browser_secret = new_browser_secret()
    # The session this browser has now ends when the new one starts (the callback cannot see its cookie).
    auth_uri = identity_services().sign_in().begin(next_path=next_path, browser_secret=browser_secret,
                                                   login_hint=login_hint, prompt=prompt, ui_locales=ui_locales(),
                                                   previous_session=loaded_session_id(session))
    response = redirect(auth_uri, code=302)
    # Cross-site: Microsoft's form_post back to the callback is a cross-site POST, which would not carry a
    # Lax cookie.
    set_cookie(response, flow_cookie_name(), browser_secret, max_age=settings.flow_lifetime_seconds,
               cross_site=True)
    response.headers["Cache-Control"] = "no-store"
    return response


def sign_in_page(next_path: str) -> str:
    return "/?" + urlencode({"next": next_path})


def worth_a_silent_attempt() -> bool:
    """Only browsers asking for a page, on configured paths, not tried recently."""
    settings = current_app.extensions["portal.settings"]
    if not settings.silent_sign_in or request.method != "GET":
        return False
    if "text/html" not in request.headers.get("Accept", ""):
        return False  # API clients and fetches: they get the redirect to sign-in, not an authority round trip
    if _CRAWLERS.search(request.headers.get("User-Agent", "")):
        return False
    if request.cookies.get(ATTEMPT_COOKIE):
        return False
    return any(request.path.startswith(prefix) for prefix in settings.silent_sign_in_paths)


def send_to_sign_in() -> Response:
    """The response for an anonymous visitor of a protected page: a silent attempt, or the sign-in page."""
    next_path = next_destination(request.full_path.rstrip("?"))
    if not worth_a_silent_attempt():
        return redirect(sign_in_page(next_path))
    settings = current_app.extensions["portal.settings"]
    response = redirect_to_authority(next_path, prompt="none", login_hint=_remembered_hint())
    set_cookie(response, ATTEMPT_COOKIE, "1", max_age=settings.silent_retry_minutes * 60)
    return response


def _remembered_hint() -> str | None:
    hint = request.cookies.get(HINT_COOKIE, "")
    return hint if 3 <= len(hint) <= 320 and "@" in hint else None


def remember_hint(response: Response, username: str | None) -> None:
    """Keep the username for the next visit's silent attempt (login_hint)."""
    if username:
        set_cookie(response, HINT_COOKIE, username, max_age=HINT_MAX_AGE)


def forget_hint(response: Response) -> None:
    forget_cookie(response, HINT_COOKIE)


def end_session_url(login_hint: str | None, id_token_hint: str | None = None) -> str:
    """The authority's end-session URL that returns to the portal, or the portal's home while it is away.

    OpenID Connect RP-Initiated Logout 1.0 recommends ``id_token_hint``: without it a strict provider asks the
    user to confirm the sign-out.
    """
    services = identity_services()
    settings = services.settings
    post_logout = settings.url_for_path("/")
    try:
        endpoint = services.metadata().get("end_session_endpoint")
    except Exception:  # noqa: BLE001 - signing out of the portal must work while the authority is down
        endpoint = None
    if not endpoint:
        return post_logout
    # ui_locales (OpenID Connect RP-Initiated Logout 1.0): the authority's "You signed out" page in our language.
    query = {"post_logout_redirect_uri": post_logout, "client_id": settings.client_id, "ui_locales": ui_locales()}
    if login_hint:
        query["logout_hint"] = login_hint
    if id_token_hint:
        query["id_token_hint"] = id_token_hint
    return f"{endpoint}?{urlencode(query)}"
