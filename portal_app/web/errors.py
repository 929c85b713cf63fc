"""One place that turns every failure into a friendly page with a reference id; never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from auth.errors import AuthError
from auth.stores import StoreUnavailable
from portal_app.web.logs import request_id

log = logging.getLogger(__name__)

_TITLES = {
    400: _l("Something in that request was not right"),
    401: _l("We could not sign you in"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("That action is not allowed here"),
    429: _l("Please wait a moment"),
    503: _l("The portal is busy"),
}


def error_page(status: int, description: str, *, title: str | None = None, error_code: str | None = None):
    """The friendly error page, quoting this request's id as the reference (the same id as in its log lines)."""
    response = render_template("error.html", status=status, description=description, error_code=error_code,
                               title=title or _TITLES.get(status) or _("Something went wrong"),
                               reference=request_id())
    headers = {"Cache-Control": "no-store"}
    if status == 503:
        headers["Retry-After"] = "10"
    return response, status, headers


def handle_auth_error(exc: AuthError):
    event = "access_denied" if exc.status_code == 403 else "sign_in"
    log.warning("refused (%s): %s", exc.error, exc.reason, extra={
        "event": event, "outcome": "refused", "error": exc.error, "reason": exc.reason,
        "reference": request_id(), "path": request.path})
    # auth/ has no Flask: its descriptions are English marked with N_, translated here as they are shown.
    return error_page(exc.status_code, _(str(exc.description)), error_code=exc.error)


def handle_http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc
    return error_page(exc.code, http_error_description(exc))


def http_error_description(exc: HTTPException) -> str:
    """The description given to abort() (ours are translated), else a translated one: never Werkzeug's English."""
    # HTTPException stores a description on the instance only when one was passed; the class default is English.
    given = vars(exc).get("description")
    if given and exc.code != 429:
        return str(given)
    return {
        400: _("Something in that request was not right. Go back, reload the page and try again."),
        403: _("You do not have permission to do that."),
        404: _("We could not find that page. It may have moved, or the link may be wrong."),
        405: _("That action is not allowed on this page."),
        413: _("That was more than the portal accepts in one go."),
        # Flask-Limiter's own description is the limit in English ("10 per 1 minute"): never shown.
        429: _("Too many attempts from your network in a short time. Please wait a minute and try again."),
    }.get(exc.code) or _("Please try again.")


def handle_store_unavailable(exc: StoreUnavailable):
    log.error("session store unavailable: %s", exc)
    return error_page(503, _("The portal cannot reach its session store right now. Please try again in a moment."))


def handle_unexpected(exc: Exception):
    log.exception("unexpected error, reference %s", request_id())
    return error_page(500, _("Something went wrong on our side. Please try again; if it keeps happening, "
                             "quote the reference below."))


def init_app(app: Flask) -> None:
    app.register_error_handler(AuthError, handle_auth_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(StoreUnavailable, handle_store_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
