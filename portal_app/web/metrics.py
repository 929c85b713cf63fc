"""Prometheus metrics at /metrics: sign-ins by outcome, callback latency, authority calls, session store errors.

Counting needs almost no changes elsewhere: sign-in outcomes and store errors come from the log records the
portal already writes (a handler on the ``portal_app`` logger, so every module below it counts wherever it
lives), authority calls from a wrapper the sign-in services put on their HTTP session (``instrument_http``).
The callback view times itself (decorated with ``CALLBACK_SECONDS.time()``): a hook before and after every
request to time one endpoint cost every page two hooks and two context lookups.

Labels are bounded: a sign-in's error is one of ``auth.errors.KNOWN_ERROR_CODES`` or "other" (visitors choose
the callback's error parameter), its outcome "success", "refused" or "other".

Access (``operator_request``, also for the detail of /readyz): a request carrying ``Authorization: Bearer
$PORTAL_METRICS_TOKEN``. Outside dev mode that token is required (the portal refuses to start without it):
behind a reverse proxy on the same host that adds no forwarded header, every visitor is a loopback peer. In
dev mode without a token, a direct request from loopback without any X-Forwarded-* header. Everyone else gets
a 404.
Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR (an empty folder; gunicorn.conf.py empties
it at start) so that every worker's counts are summed; without it each worker reports only its own.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time

import requests
from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from auth.errors import known_error_code

bp = Blueprint("metrics", __name__)
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus_client opens its files there as soon as a metric exists (below): a CLI command run with the
    # production environment (flask portal migrate) before gunicorn made the folder must not crash on import.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
# Our own registry: the metric objects are process-wide (Prometheus' model), but building the app twice in
# one test run must not register them twice in the global default registry.
REGISTRY = CollectorRegistry(auto_describe=True)
SIGN_INS = Counter("portal_sign_ins_total", "Sign-in attempts that reached the callback, by outcome.",
                   ["outcome", "error"], registry=REGISTRY)
CALLBACK_SECONDS = Histogram("portal_callback_seconds", "Time to answer /auth/callback (incl. the token call).",
                             buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30), registry=REGISTRY)
AUTHORITY_SECONDS = Histogram("portal_authority_request_seconds", "Calls to the authority, by endpoint.",
                              ["endpoint"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
                              registry=REGISTRY)
AUTHORITY_ERRORS = Counter("portal_authority_errors_total",
                           "Calls to the authority that failed (timeout, connection, HTTP 5xx).",
                           ["endpoint", "kind"], registry=REGISTRY)
STORE_ERRORS = Counter("portal_session_store_errors_total", "Session store (Redis) failures seen by pages.",
                       registry=REGISTRY)

# The parent of every portal module's logger: the sign-in views, the error handler and the session backend log
# the events counted here, and their records propagate to it.
_COUNTED_LOGGER = "portal_app"
_OUTCOMES = ("success", "refused")


class EventCounter(logging.Handler):
    """Counts sign-in outcomes and session store errors from the portal's structured log records."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "event", None) == "sign_in":
            outcome = getattr(record, "outcome", None)
            error = getattr(record, "error", "")
            SIGN_INS.labels(outcome=outcome if outcome in _OUTCOMES else "other",
                            error=known_error_code(error) if error else "").inc()
        elif record.levelno >= logging.ERROR and record.getMessage().startswith("session store unavailable"):
            STORE_ERRORS.inc()


def authority_endpoint(url: str) -> str:
    """A bounded label for an authority URL: token, discovery, keys, logout or other."""
    path = url.split("?", 1)[0]
    for suffix, label in (("/token", "token"), ("/openid-configuration", "discovery"), ("/keys", "keys"),
                          ("/logout", "logout")):
        if path.endswith(suffix):
            return label
    return "other"


def instrument_http(http: requests.Session) -> None:
    """Time every call through ``http`` and count its failures (exceptions and 5xx answers)."""
    if getattr(http, "_portal_metrics", False):
        return
    send = http.send

    def timed_send(prepared, **kwargs):
        endpoint = authority_endpoint(prepared.url or "")
        started = time.perf_counter()
        try:
            response = send(prepared, **kwargs)
        except requests.RequestException as exc:
            AUTHORITY_ERRORS.labels(endpoint=endpoint, kind=type(exc).__name__).inc()
            raise
        finally:
            AUTHORITY_SECONDS.labels(endpoint=endpoint).observe(time.perf_counter() - started)
        if response.status_code >= 500:
            AUTHORITY_ERRORS.labels(endpoint=endpoint, kind=f"http_{response.status_code}").inc()
        return response

    http.send = timed_send
    http._portal_metrics = True


def operator_request() -> bool:
    """Whether this request may read metrics and readiness detail (see the module docstring)."""
    settings = current_app.extensions["portal.settings"]
    token = settings.metrics_token
    if token:
        offered = request.headers.get("Authorization", "")
        return hmac.compare_digest(offered.encode(), f"Bearer {token}".encode())
    if not settings.dev_mode:
        return False  # not reached: the settings checks refuse to start without a token outside dev mode
    if any(name.lower().startswith("x-forwarded") or name.lower() == "forwarded" for name in request.headers.keys()):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics():
    """The Prometheus exposition; 404 unless allowed (see the module docstring)."""
    if not operator_request():
        abort(404)
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    """Register /metrics and the log-record counter (the callback times itself: ``CALLBACK_SECONDS.time()``)."""
    app.register_blueprint(bp)
    logger = logging.getLogger(_COUNTED_LOGGER)
    if not any(isinstance(h, EventCounter) for h in logger.handlers):
        logger.addHandler(EventCounter())
    # Counting needs the INFO records (sign-in successes) even where logging is left at WARNING (tests).
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
