"""Marks kept across a sign-in: a session that expires while someone types must not cost them their marks.

The anonymous POST is stashed in the short-lived flow store under a random key carried in ``next``, bound to
this browser by a cookie, and the sheet shows the values again (unsaved) after sign-in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from flask import redirect, request

from auth.redirects import next_destination
from portal_app.marks.common import typed_values
from portal_app.signin.backend import backend
from portal_app.signin.redirect import sign_in_page
from portal_app.web.cookies import set_cookie

log = logging.getLogger(__name__)
STASH_COOKIE = "portal_stash"
STASH_PREFIX = "marks-stash:"
STASH_TTL_SECONDS = 3600
MAX_STASHED_FIELDS = 10000


def stash_and_sign_in(return_path: str):
    """The session ended while typing: keep the typed values server-side and send the browser to sign in."""
    values = typed_values()
    if not values or len(values) > MAX_STASHED_FIELDS:
        return redirect(sign_in_page(next_destination(return_path)), code=303)
    key = secrets.token_urlsafe(24)
    browser = secrets.token_urlsafe(24)
    record = {"path": return_path, "values": values, "browser": _digest(browser)}
    backend().flows.put(STASH_PREFIX + key, record, STASH_TTL_SECONDS)
    log.info("session expired during a save; marks kept for after sign-in",
             extra={"event": "marks_stashed", "path": return_path, "fields": len(values)})
    response = redirect(sign_in_page(next_destination(f"{return_path}?restore={key}")), code=303)
    set_cookie(response, STASH_COOKIE, browser, max_age=STASH_TTL_SECONDS)
    return response


def restored_values(return_path: str) -> dict[str, str] | None:
    """The values stashed for this page by this browser (single use), or None."""
    key = request.args.get("restore", "")
    if not key or len(key) > 64:
        return None
    record = backend().flows.take(STASH_PREFIX + key)
    browser = request.cookies.get(STASH_COOKIE, "")
    # Bound to the browser that typed them: a planted link cannot pre-fill someone else's sheet.
    if not record or record.get("path") != return_path or not browser:
        return None
    if not secrets.compare_digest(record.get("browser", ""), _digest(browser)):
        return None
    values = record.get("values")
    return {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
