"""Behind a reverse proxy: trust X-Forwarded-For/-Proto from exactly ``portal.trusted_proxy_hops`` proxies,
and answer only requests for the portal's own host.

With 0 (the default) no forwarded header is trusted, so a client cannot pretend to come from elsewhere or
over https. The Host header is never taken from X-Forwarded-Host: absolute URLs (redirect URIs, sign-out
return) come from PORTAL_EXTERNAL_URL, never from the request. And a request for any other host (``Host:
evil.example``) is a 400 before routing, through Flask's TRUSTED_HOSTS, so nothing can reflect it (Werkzeug's
trailing-slash redirect built ``http://evil.example/emi/`` from it). The proxy passes the user's Host on, so
the one trusted name is the external URL's; ``portal.extra_hosts`` adds names that probes or a metrics
scraper use (a pod address, say).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_host

from portal_app.settings import PortalSettings

# Answered before Flask makes a request context (none can be made for an untrusted host, so the usual error page,
# which builds URLs, cannot render): both languages, no links.
_UNTRUSTED_HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bad request</title></head><body>
<h1>Something in that request was not right</h1>
<p>This address is not the portal's. Use the address you were given for the portal.</p>
<h1 lang="cy">Roedd rhywbeth o'i le ar y cais hwnnw</h1>
<p lang="cy">Nid cyfeiriad y porth yw hwn. Defnyddiwch y cyfeiriad a roddwyd i chi ar gyfer y porth.</p>
</body></html>
"""


class TrustedHostsOnly:
    """WSGI middleware: a 400 for any Host not in the app's TRUSTED_HOSTS, before routing."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self._app = app
        self._wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            get_host(environ, self._app.config["TRUSTED_HOSTS"])
        except SecurityError:
            response = Response(_UNTRUSTED_HOST_PAGE, status=400, mimetype="text/html",
                                headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                         "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"})
            return response(environ, start_response)
        return self._wsgi_app(environ, start_response)


def init_app(app: Flask, settings: PortalSettings) -> None:
    """Trust only the portal's own host; wrap the WSGI app in ProxyFix when proxies sit in front of it."""
    # Werkzeug compares host names without the port (and IDNA-encodes them).
    app.config["TRUSTED_HOSTS"] = [settings.external_host, *settings.extra_hosts]
    app.wsgi_app = TrustedHostsOnly(app, app.wsgi_app)
    hops = settings.trusted_proxy_hops
    if hops > 0:
        # x_for: the client address in logs and /metrics' loopback check; x_proto: request.is_secure.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
