"""What the EMI and IAMIS views share: who is acting, the audit context, the posted marks, CSRF, and data
errors as pages."""

from __future__ import annotations

import hashlib
import logging

from flask import abort, g, request, session
from flask_babel import gettext as _

from portal_app.data.audit import Appointee, AuditContext
from portal_app.data.errors import DataError
from portal_app.signin import gate
from portal_app.web.errors import error_page

log = logging.getLogger(__name__)
FIELD_PREFIX = "mark-"


def current_appointee() -> Appointee:
    """The signed-in user as the data layer knows them (tenant id + object id, never the email)."""
    return Appointee(g.user["tid"], g.user["oid"])


def audit_context() -> AuditContext:
    """A reference to the sign-in session (a hash, never the id itself) and the request id, for the audit."""
    sid = getattr(session, "sid", None) or ""
    reference = hashlib.sha256(sid.encode()).hexdigest()[:16] if sid else None
    return AuditContext(session_ref=reference, request_id=g.get("request_id"))


def require_csrf() -> None:
    """400 unless the form carries this session's CSRF token, saying the marks were not saved."""
    gate.require_csrf(_("This form has expired or did not come from the portal. Your marks were not saved: go "
                        "back, reload the sheet and enter them again."))


def csrf_token() -> str:
    return gate.csrf_token()


def typed_values() -> dict[str, str]:
    """The mark fields of the posted form: entry id (as typed in the field name) -> raw value."""
    return {key[len(FIELD_PREFIX):]: value for key, value in request.form.items() if key.startswith(FIELD_PREFIX)}


def expected_version() -> int:
    raw = request.form.get("expected_version", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 12):
        abort(400, description=_("This form is missing the sheet version. Reload the sheet and try again."))
    return int(raw)


def handle_data_error(exc: DataError):
    """NotFound, SheetLocked and the rest as friendly pages with their own status codes."""
    log.info("mark input refused: %s", exc.reason, extra={"event": "data_refused", "status": exc.status_code,
                                                           "path": request.path})
    titles = {404: _("Page not found"), 409: _("This sheet cannot be changed"), 422: _("Some marks need correcting")}
    # The data layer marks its descriptions with N_ (no Flask there); they are translated here, as they are shown.
    return error_page(exc.status_code, _(exc.description),
                      title=titles.get(exc.status_code, _("That could not be done")))
