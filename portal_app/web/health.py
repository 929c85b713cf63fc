"""Liveness and readiness for load balancers and orchestrators.

Readiness is the sum of the checks the other packages register (``add_readiness_check``): the session store
and the authority's metadata (sign-in), the database and its schema (database). Each check answers None when
ready, or a sentence saying what is wrong. Those sentences name internal hosts and ports, so only operators
(``metrics.operator_request``: the metrics token) read them in the answer; everyone gets the bare status, and
the detail is always in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify

from portal_app.web.metrics import operator_request

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
CHECKS = "portal.readiness_checks"


def add_readiness_check(app: Flask, name: str, check: Callable[[], str | None]) -> None:
    """Make ``/readyz`` answer 503 while ``check()`` returns a problem; ``name`` labels it in the answer."""
    app.extensions.setdefault(CHECKS, {})[name] = check


@bp.get("/healthz")
def healthz():
    """The process is alive and serving requests."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when every registered check holds (503 and why, if not)."""
    problems = {name: problem for name, check in current_app.extensions.get(CHECKS, {}).items()
                if (problem := check())}
    if problems:
        log.warning("not ready: %s", problems)
        response = jsonify(status="unavailable", problems=problems) if operator_request() else jsonify(
            status="unavailable")
        response.status_code = 503
        response.headers["Retry-After"] = "10"
        return response
    return jsonify(status="ready")
