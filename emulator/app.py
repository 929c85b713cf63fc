"""The emulator's Flask app factory: state, blueprints, security headers and error pages."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, g, render_template

from . import amp, authorize, graph, i18n, logout, protocol, signin, testctl
from .clock import Clock
from .directory import load_directory
from .i18n import gettext as _
from .keys import KeyRing
from .pki import ca_path
from .state import Emulator
from .store import Store
from .tokens import TokenIssuer

DEFAULT_PORTAL_URL = "http://localhost:5000"
log = logging.getLogger("emulator")


def create_app(directory_path: str | Path, state_dir: str | Path, issuer_host: str, *, test_mode: bool = False,
               portal_url: str = DEFAULT_PORTAL_URL) -> Flask:
    """Build an emulator app.

    ``issuer_host`` is the https base URL clients use (``https://127.0.0.1:8443``); it goes into issuers,
    endpoints and ``${EMULATOR_URL}``. Test controls under ``/_test/`` exist only with ``test_mode``.
    """
    base_url = issuer_host.rstrip("/")
    directory = load_directory(directory_path, {"PORTAL_URL": portal_url, "EMULATOR_URL": base_url})
    clock = Clock()
    keys = KeyRing(state_dir)
    app = Flask(__name__)
    # AMP keeps its own signed session cookie; a fresh key per start is fine for a dev tool.
    app.config.update(SECRET_KEY=secrets.token_hex(32), SESSION_COOKIE_NAME="amp_session",
                      SESSION_COOKIE_PATH="/amp", SESSION_COOKIE_SECURE=True, SESSION_COOKIE_SAMESITE="Lax")
    app.extensions["emulator"] = Emulator(
        directory=directory, store=Store(clock), clock=clock, keys=keys,
        tokens=TokenIssuer(keys, clock, base_url), base_url=base_url, ca_path=ca_path(state_dir),
        test_mode=test_mode,
    )
    i18n.init_app(app)
    _register_blueprints(app, test_mode)
    _install_security_headers(app)
    _install_error_pages(app)
    return app


def _register_blueprints(app: Flask, test_mode: bool) -> None:
    for module in (protocol, authorize, signin, logout, graph, amp):
        app.register_blueprint(module.bp)
    if test_mode:
        app.register_blueprint(testctl.bp)


def _install_security_headers(app: Flask) -> None:
    """A strict CSP with a per-response nonce; views may widen form-action / frame-src for their targets."""

    @app.before_request
    def make_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)
        g.form_targets = []
        g.frame_targets = []
        g.frame_ancestors = "'none'"

    @app.after_request
    def add_headers(response):
        if response.mimetype == "text/html":
            nonce = g.get("csp_nonce", "")
            forms = " ".join(["'self'", *g.get("form_targets", [])])
            frames = " ".join(g.get("frame_targets", [])) or "'none'"
            ancestors = g.get("frame_ancestors", "'none'")
            response.headers["Content-Security-Policy"] = (
                f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
                f"img-src 'self' data:; form-action {forms}; frame-src {frames}; "
                f"frame-ancestors {ancestors}; base-uri 'none'"
            )
            response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def _install_error_pages(app: Flask) -> None:
    """Friendly pages for 404/405/500: never a traceback."""

    @app.errorhandler(404)
    def not_found(_exc):
        return render_template("error.html", title=_("Page not found"), code=None,
                               message=_("This address is not part of the emulator.")), 404

    @app.errorhandler(405)
    def bad_method(_exc):
        return render_template("error.html", title=_("Method not allowed"), code=None,
                               message=_("This address does not accept that request method.")), 405

    @app.errorhandler(Exception)
    def unexpected(exc):
        from werkzeug.exceptions import HTTPException

        if isinstance(exc, HTTPException):
            return exc
        log.exception("emulator: unexpected error; this is a bug in the emulator, not in your app")
        return render_template("error.html", title=_("Something went wrong"), code=None,
                               message=_("The emulator hit an unexpected error; see its log.")), 500
