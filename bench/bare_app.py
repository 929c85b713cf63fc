"""The baseline for pages_bench: a bare Flask route that loads the same Redis session as the portal.

Same cookie, same Flask-Session Redis interface, key prefix and serialisation; no portal layer (no guards,
role checks, templates, security headers, logging). ``gunicorn bench.bare_app:app``.
"""

from __future__ import annotations

import os
from datetime import timedelta

import redis
from flask import Flask, session
from flask_session.redis import RedisSessionInterface

from auth.user_session import USER

app = Flask(__name__)
app.config.update(SECRET_KEY="bench-only", SESSION_COOKIE_NAME="__Host-portal_session", SESSION_COOKIE_SECURE=True,
                  SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(minutes=30),
                  SESSION_REFRESH_EACH_REQUEST=False)  # one GET per view, as the portal does
app.session_interface = RedisSessionInterface(
    app, client=redis.Redis.from_url(os.environ["REDIS_URL"]), key_prefix="portal:session:", use_signer=False,
    permanent=True, sid_length=32, serialization_format="msgpack")


@app.get("/bare")
def bare():
    """The signed-in user's name from the session, or 401."""
    user = session.get(USER)
    if not user:
        return "not signed in", 401
    return f"<p>Signed in as {user.get('name', '?')}</p>"


@app.get("/healthz")
def healthz():
    return "ok"
