"""No sessions under /api/: the session store is neither read nor written, and no cookie is set.

Flask opens the session for every request before any view runs, so a flag on the view would come too late;
this wraps the session interface the sign-in package chose and gives API requests Flask's null session
(empty, and any write to it raises, so a mistake fails loudly instead of storing something).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin

API_PREFIX = "/api/"


class SessionlessForApi(SessionInterface):
    """Delegates to the real interface, except for requests under ``prefix``."""

    def __init__(self, inner: SessionInterface, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix

    def _is_api(self, request: Request) -> bool:
        return request.path.startswith(self.prefix)

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if self._is_api(request):
            return self.make_null_session(app)
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if self._is_api(request):
            return
        self.inner.save_session(app, session, response)

    def is_null_session(self, obj: object) -> bool:
        return isinstance(obj, self.null_session_class) or self.inner.is_null_session(obj)

    def __getattr__(self, name: str) -> Any:
        # regenerate(), _retrieve_session_data() and the rest of Flask-Session's interface, for sign-in.
        return getattr(self.inner, name)
