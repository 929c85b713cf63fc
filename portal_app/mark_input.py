"""What the EMI and IAMIS views share: who is acting, CSRF, data errors as pages, and marks kept across sign-in.

A session that expires while someone types must not cost them their marks: the anonymous POST is stashed in
the short-lived flow store under a random key carried in ``next``, bound to this browser by a cookie, and the
sheet shows the values again (unsaved) after sign-in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from flask import Flask, abort, current_app, g, redirect, render_template, request, session
from flask_babel import gettext as _

from auth import user_session
from portal_app.auth_views import next_destination
from portal_app.data.audit import Appointee, AuditContext
from portal_app.data.errors import DataError
from portal_app.silent import sign_in_page

log = logging.getLogger(__name__)
STASH_COOKIE = "portal_stash"
STASH_PREFIX = "marks-stash:"
STASH_TTL_SECONDS = 3600
FIELD_PREFIX = "mark-"
MAX_STASHED_FIELDS = 10000


def current_appointee() -> Appointee:
    """The signed-in user as the data layer knows them (tenant id + object id, never the email)."""
    return Appointee(g.user["tid"], g.user["oid"])


def audit_context() -> AuditContext:
    """A reference to the sign-in session (a hash, never the id itself) and the request id, for the audit."""
    sid = getattr(session, "sid", None) or ""
    reference = hashlib.sha256(sid.encode()).hexdigest()[:16] if sid else None
    return AuditContext(session_ref=reference, request_id=g.get("request_id"))


def require_csrf() -> None:
    """400 unless the form carries this session's CSRF token."""
    if not user_session.csrf_matches(session, request.form.get("csrf_token")):
        abort(400, description=_("This form has expired or did not come from the portal. Your marks were not "
                                 "saved: go back, reload the sheet and enter them again."))


def csrf_token() -> str:
    return user_session.csrf_token(session)


def typed_values() -> dict[str, str]:
    """The mark fields of the posted form: entry id (as typed in the field name) -> raw value."""
    return {key[len(FIELD_PREFIX):]: value for key, value in request.form.items() if key.startswith(FIELD_PREFIX)}


def expected_version() -> int:
    raw = request.form.get("expected_version", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 12):
        abort(400, description=_("This form is missing the sheet version. Reload the sheet and try again."))
    return int(raw)


def stash_and_sign_in(return_path: str):
    """The session ended while typing: keep the typed values server-side and send the browser to sign in."""
    values = typed_values()
    if not values or len(values) > MAX_STASHED_FIELDS:
        return redirect(sign_in_page(next_destination(return_path)), code=303)
    key = secrets.token_urlsafe(24)
    browser = secrets.token_urlsafe(24)
    record = {"path": return_path, "values": values, "browser": _digest(browser)}
    current_app.extensions["portal.flow_store"].put(STASH_PREFIX + key, record, STASH_TTL_SECONDS)
    log.info("session expired during a save; marks kept for after sign-in",
             extra={"event": "marks_stashed", "path": return_path, "fields": len(values)})
    response = redirect(sign_in_page(next_destination(f"{return_path}?restore={key}")), code=303)
    settings = current_app.extensions["portal.settings"]
    response.set_cookie(STASH_COOKIE, browser, max_age=STASH_TTL_SECONDS, httponly=True,
                        secure=settings.uses_https, samesite="Lax", path="/")
    return response


def restored_values(return_path: str) -> dict[str, str] | None:
    """The values stashed for this page by this browser (single use), or None."""
    key = request.args.get("restore", "")
    if not key or len(key) > 64:
        return None
    record = current_app.extensions["portal.flow_store"].take(STASH_PREFIX + key)
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


def handle_data_error(exc: DataError):
    """NotFound, SheetLocked and the rest as friendly pages with their own status codes."""
    log.info("mark input refused: %s", exc.reason, extra={"event": "data_refused", "status": exc.status_code,
                                                           "path": request.path})
    titles = {404: _("Page not found"), 409: _("This sheet cannot be changed"), 422: _("Some marks need correcting")}
    # The data layer marks its descriptions with N_ (no Flask there); they are translated here, as they are shown.
    page = render_template("error.html", status=exc.status_code, description=_(exc.description), error_code=None,
                           title=titles.get(exc.status_code, _("That could not be done")),
                           reference=g.get("request_id") or "-")
    return page, exc.status_code, {"Cache-Control": "no-store"}


def register_error_handler(app_or_bp: Flask) -> None:
    app_or_bp.register_error_handler(DataError, handle_data_error)
