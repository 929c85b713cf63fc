"""Per-request session checks and the ``login_required`` decorator."""

from __future__ import annotations

import functools
import logging
import time
from urllib.parse import urlencode

from flask import Flask, current_app, g, redirect, request, session

from auth import user_session

log = logging.getLogger(__name__)


def login_required(view):
    """Hand anonymous visitors to sign-in, keeping the page they asked for as ``next``."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            return redirect("/login?" + urlencode({"next": request.full_path.rstrip("?")}))
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
    now = time.time()
    reason = user_session.expired_reason(session, now=now, idle_seconds=settings.idle_timeout_minutes * 60,
                                         absolute_seconds=settings.absolute_lifetime_hours * 3600)
    if reason:
        log.info("session ended", extra={"event": "session_expired", "reason": reason,
                                         "tid": user["tid"], "oid": user["oid"]})
        session.clear()
        return
    user_session.touch(session, now)
    g.user = user


def init_app(app: Flask) -> None:
    app.before_request(_load_user)
