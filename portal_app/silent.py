"""Silent sign-in: one prompt=none attempt for a browser with no portal session (issue 6).

Someone already signed in at the tenant (through AMP, say) lands on the page they asked for with no click.
Loops are impossible by construction: a browser gets at most one attempt per ``silent_retry_minutes``
(remembered in a cookie), and the callback of a failed attempt always shows the sign-in page, never
another attempt, even when the browser refuses cookies.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import current_app, redirect, request

ATTEMPT_COOKIE = "portal_silent"
HINT_COOKIE = "portal_hint"
_CRAWLERS = re.compile(r"bot|crawl|spider|slurp|preview|facebookexternalhit|monitor|headlesschecker", re.I)


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


def send_to_sign_in():
    """The response for an anonymous visitor of a protected page: a silent attempt, or the sign-in page."""
    from portal_app.auth_views import next_destination, redirect_to_authority

    next_path = next_destination(request.full_path.rstrip("?"))
    if not worth_a_silent_attempt():
        return redirect(sign_in_page(next_path))
    settings = current_app.extensions["portal.settings"]
    response = redirect_to_authority(next_path, prompt="none", login_hint=_remembered_hint())
    response.set_cookie(ATTEMPT_COOKIE, "1", max_age=settings.silent_retry_minutes * 60, httponly=True,
                        secure=settings.uses_https, samesite="Lax", path="/")
    return response


def _remembered_hint() -> str | None:
    hint = request.cookies.get(HINT_COOKIE, "")
    return hint if 3 <= len(hint) <= 320 and "@" in hint else None


def remember_hint(response, username: str | None) -> None:
    """Keep the username for the next visit's silent attempt (login_hint)."""
    settings = current_app.extensions["portal.settings"]
    if username:
        response.set_cookie(HINT_COOKIE, username, max_age=30 * 24 * 3600, httponly=True,
                            secure=settings.uses_https, samesite="Lax", path="/")


def forget_hint(response) -> None:
    response.delete_cookie(HINT_COOKIE, path="/")
