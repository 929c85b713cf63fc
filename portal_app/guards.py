"""Per-request session checks and the ``login_required`` decorator."""

from __future__ import annotations

import functools
import logging

from flask import Flask, current_app, g, request, session

from auth import user_session
from portal_app.silent import send_to_sign_in
from portal_app.token_refresh import refresh_if_due
from portal_app.web import clock

log = logging.getLogger(__name__)


def login_required(view):
    """Hand anonymous visitors to sign-in, keeping the page they asked for as ``next``."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            return send_to_sign_in()
        return view(*args, **kwargs)

    return wrapped


def _load_user() -> None:
    """Put the signed-in user on ``g``, ending sessions past their idle or absolute limit."""
    g.user = None
    if request.endpoint in (None, "static", "health.healthz", "health.readyz"):
        return
    user = user_session.current_user(session)
    if user is None:
        return
    settings = current_app.extensions["portal.settings"]
    now = clock.now()
    reason = user_session.expired_reason(session, now=now, idle_seconds=settings.idle_timeout_minutes * 60,
                                         absolute_seconds=settings.absolute_lifetime_hours * 3600)
    if reason:
        log.info("session ended", extra={"event": "session_expired", "reason": reason,
                                         "tid": user["tid"], "oid": user["oid"]})
        session.clear()
        return
    user_session.touch(session, now)
    if refresh_if_due(user, now):
        g.user = user


def init_app(app: Flask) -> None:
    app.before_request(_load_user)
