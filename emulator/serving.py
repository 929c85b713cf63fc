"""Serve an emulator app over HTTPS with werkzeug's threaded server."""

from __future__ import annotations

import ssl
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import DEFAULT_PORTAL_URL, create_app
from .pki import DEFAULT_HOSTNAMES, issue_server_cert


def tls_context(state_dir: str | Path) -> ssl.SSLContext:
    """A server TLS context with the emulator's certificate (created on first use)."""
    cert_path, key_path = issue_server_cert(state_dir, DEFAULT_HOSTNAMES)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_path, key_path)
    return context


class EmulatorRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, with the Date header on the emulator's clock: a test that moves the clock sees an
    authority whose clock is off, as a client (and `portal doctor`) would."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        app = getattr(self.server, "app", None)
        if timestamp is None and app is not None and "emulator" in app.extensions:
            timestamp = app.extensions["emulator"].clock.now()
        return super().date_time_string(timestamp)


def build_server(*, host: str, port: int, directory_path: str | Path, state_dir: str | Path,
                 test_mode: bool = False, portal_url: str = DEFAULT_PORTAL_URL) -> BaseWSGIServer:
    """A bound (not yet serving) HTTPS server; ``port=0`` picks a free port.

    The app is built after binding because its issuer must name the real port.
    """
    server = make_server(host, port, app=None, threaded=True, ssl_context=tls_context(state_dir),
                         request_handler=EmulatorRequestHandler)
    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"https://{shown_host}:{server.server_port}"
    server.app = create_app(directory_path, state_dir, base_url, test_mode=test_mode, portal_url=portal_url)
    return server
