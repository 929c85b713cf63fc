"""Marks kept across a sign-in: a session that expires while someone types must not cost them their marks.

The anonymous POST is stashed in the short-lived anonymous store under a random key carried in ``next``,
bound to this browser by a cookie, and the sheet shows the values again (unsaved) after sign-in.

Anyone can make an anonymous POST, so what is kept is bounded and checked (issue 13):
- only the page's own fields, each no longer than the page accepts: marks and codes at most ``MAX_VALUE_CHARS``,
  a note or a report comment at most its own limit; empty fields left out. The caller names the fields
  (``mark_fields`` for a sheet's marks), so a record is never larger than the page's form can be, and /login and
  anonymous POSTs are rate limited per client (``portal_app.signin.limits``);
- only a same-origin request (``Sec-Fetch-Site``, else ``Origin``, against PORTAL_EXTERNAL_URL) that carries
  the sheet's stash token: signed with the secret key, bound to the form's path and to the signed-in user it
  was rendered for, so it is checked without a session. After sign-in the values are shown only to that user:
  an attacker's page cannot pre-fill a victim's sheet (ASVS 3.5.1).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from flask import Flask, current_app, g, redirect, request
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer

from auth.redirects import next_destination
from portal_app.marks.common import typed_values
from portal_app.signin.backend import backend
from portal_app.signin.redirect import sign_in_page
from portal_app.web.cookies import set_cookie
from portal_app.web.errors import error_page

log = logging.getLogger(__name__)
STASH_COOKIE = "portal_stash"
TOKEN_FIELD = "stash_token"
# Long enough to sign in again with MFA; the flow itself lasts at most 10 minutes.
STASH_TTL_SECONDS = 20 * 60
# A sheet rendered longer ago than this is not kept (a session lasts at most 24 hours).
TOKEN_MAX_AGE_SECONDS = 24 * 3600
MAX_VALUE_CHARS = 16
_SALT = "portal.marks-stash"


def stash_token() -> str:
    """The token the sheet's form carries, for the signed-in user on this path (template helper)."""
    user = g.get("user")
    if user is None:
        return ""
    return _serializer().dumps({"path": request.path, "user": _user_ref(user)})


def mark_fields(entry_ids: Collection[int], *prefixes: str) -> dict[str, int]:
    """The longest value kept for each mark field of these entries (``mark-<id>``, and ``mark-<prefix><id>``)."""
    return {f"{prefix}{entry}": MAX_VALUE_CHARS for entry in entry_ids for prefix in ("", *prefixes)}


@dataclass(frozen=True)
class Kept:
    """What a browser typed before its session ended: field values, and the ticked boxes among the page's own."""

    values: dict[str, str]
    ticked: frozenset[str] = field(default_factory=frozenset)


def stash_and_sign_in(return_path: str, fields: Mapping[str, int], ticks: Collection[str] = ()):
    """The session ended while typing: keep what was typed in ``fields`` (name -> longest value kept, names
    without the ``mark-`` prefix) and which of the checkboxes named in ``ticks`` (whole field names) were
    ticked, server-side, and send the browser to sign in."""
    values = _keepable(typed_values(), fields)
    ticked = sorted(name for name in ticks if request.form.get(name) == "1")
    if not values and not ticked:
        return redirect(sign_in_page(next_destination(return_path)), code=303)
    user_ref = _checked_token(return_path)
    if user_ref is None:
        log.warning("refused to keep marks from a cross-site or unsigned anonymous post",
                    extra={"event": "marks_stash_refused", "path": return_path})
        return error_page(403, _("Your session had ended, and this form could not be checked, so your marks were "
                                 "not kept. Sign in, open the sheet again and enter them."))
    key = secrets.token_urlsafe(24)
    browser = secrets.token_urlsafe(24)
    record = {"path": return_path, "values": values, "ticked": ticked, "browser": _digest(browser),
              "user": user_ref}
    backend().stash.put(key, record, STASH_TTL_SECONDS)
    log.info("session expired during a save; marks kept for after sign-in",
             extra={"event": "marks_stashed", "path": return_path, "fields": len(values) + len(ticked)})
    response = redirect(sign_in_page(next_destination(f"{return_path}?restore={key}")), code=303)
    set_cookie(response, STASH_COOKIE, browser, max_age=STASH_TTL_SECONDS)
    return response


def restored_values(return_path: str) -> dict[str, str] | None:
    """The values stashed for this page by this browser and this user (single use), or None."""
    kept = restored(return_path)
    return kept.values if kept else None


def restored(return_path: str) -> Kept | None:
    """What was stashed for this page by this browser and this user (single use), or None."""
    key = request.args.get("restore", "")
    if not key or len(key) > 64 or g.get("user") is None:
        return None
    record = backend().stash.take(key)
    browser = request.cookies.get(STASH_COOKIE, "")
    # Bound to the browser that typed them: a planted link cannot pre-fill someone else's sheet.
    if not record or record.get("path") != return_path or not browser:
        return None
    if not secrets.compare_digest(str(record.get("browser", "")), _digest(browser)):
        return None
    # ...and to the user the sheet was rendered for: a token of the attacker's own does not restore here.
    if not secrets.compare_digest(str(record.get("user", "")), _user_ref(g.user)):
        return None
    values, ticked = record.get("values"), record.get("ticked", [])
    if not isinstance(values, dict) or not isinstance(ticked, list):
        return None
    return Kept({str(k): str(v) for k, v in values.items()}, frozenset(str(name) for name in ticked))


def _checked_token(return_path: str) -> str | None:
    """The user the form was rendered for, when the post is same-origin and its token is good; else None."""
    if not _same_origin():
        return None
    try:
        data = _serializer().loads(request.form.get(TOKEN_FIELD, ""), max_age=TOKEN_MAX_AGE_SECONDS)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("path") != return_path or not isinstance(data.get("user"), str):
        return None
    return data["user"]


def _same_origin() -> bool:
    """Fetch Metadata where the browser sends it, else the Origin header; neither (or anything else): no."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin.lower() == current_app.extensions["portal.settings"].external_origin


def _keepable(values: dict[str, str], fields: Mapping[str, int]) -> dict[str, str]:
    """The typed values of the page's own fields, not empty and no longer than each field accepts."""
    return {key: value for key, value in values.items()
            if key in fields and value.strip() and len(value) <= fields[key]}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _user_ref(user: dict) -> str:
    """Who the token is for, without putting tenant and object ids in the page."""
    return hashlib.sha256(f"{user['tid']}/{user['oid']}".encode()).hexdigest()[:32]


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def init_app(app: Flask) -> None:
    app.add_template_global(stash_token)
