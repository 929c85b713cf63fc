"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify

from auth.errors import AuthError
from auth.stores import StoreUnavailable
from portal_app.database import schema_problem
from portal_app.identity import identity_services
from portal_app.sessions import ping_session_store

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive and serving requests."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when the session store answers, the authority's metadata is known and the database schema is at
    head (503 and why, if not)."""
    problems = {}
    try:
        ping_session_store(current_app)
    except StoreUnavailable as exc:
        problems["session_store"] = str(exc)
    try:
        identity_services().metadata()
    except AuthError as exc:
        problems["authority"] = exc.reason
    database_problem = schema_problem()
    if database_problem:
        problems["database"] = database_problem
    if problems:
        log.warning("not ready: %s", problems)
        response = jsonify(status="unavailable", problems=problems)
        response.status_code = 503
        response.headers["Retry-After"] = "10"
        return response
    return jsonify(status="ready")
