"""The portal's API for other systems: ``GET /api/v1/marks`` for the board's results system.

Callers authenticate the Entra way, with an app-only access token (client credentials) in the Authorization
header, validated by ``auth.access_tokens``; the API never reads or writes a browser session and never sets a
cookie, so a session cookie sent along is ignored.
"""

from __future__ import annotations

from flask import Flask

from portal_app.api import marks
from portal_app.api.sessionless import API_PREFIX, SessionlessForApi


def init_app(app: Flask) -> None:
    """Register the API and keep the session machinery away from it (after signin chose the session store)."""
    app.session_interface = SessionlessForApi(app.session_interface, API_PREFIX)
    app.register_blueprint(marks.bp)
