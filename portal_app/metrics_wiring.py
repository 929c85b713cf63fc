"""Interim: readiness checks and the authority call timer, until the sign-in package registers its own."""

from __future__ import annotations

from flask import Flask

from auth.errors import AuthError
from auth.stores import StoreUnavailable
from portal_app.database import schema_problem
from portal_app.sessions import ping_session_store
from portal_app.web.health import add_readiness_check
from portal_app.web.metrics import instrument_http


def wire_checks(app: Flask) -> None:
    def session_store() -> str | None:
        try:
            ping_session_store(app)
        except StoreUnavailable as exc:
            return str(exc)
        return None

    def authority() -> str | None:
        try:
            app.extensions["portal.identity"].metadata()
        except AuthError as exc:
            return exc.reason
        return None

    add_readiness_check(app, "session_store", session_store)
    add_readiness_check(app, "authority", authority)
    add_readiness_check(app, "database", lambda: schema_problem(app))
    instrument_http(app.extensions["portal.identity"].http)
