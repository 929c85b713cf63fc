"""Behind a reverse proxy: trust X-Forwarded-For/-Proto from exactly ``portal.trusted_proxy_hops`` proxies.

With 0 (the default) no forwarded header is trusted, so a client cannot pretend to come from elsewhere or
over https. The Host header is never taken from X-Forwarded-Host: absolute URLs (redirect URIs, sign-out
return) come from PORTAL_EXTERNAL_URL, never from the request.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal_app.settings import PortalSettings


def init_app(app: Flask, settings: PortalSettings) -> None:
    """Wrap the WSGI app in ProxyFix when the deployment says proxies sit in front of it."""
    hops = settings.trusted_proxy_hops
    if hops > 0:
        # x_for: the client address in logs and /metrics' loopback check; x_proto: request.is_secure.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
