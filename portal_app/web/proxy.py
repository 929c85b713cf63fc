"""Behind a reverse proxy: trust X-Forwarded-For/-Proto from exactly ``portal.trusted_proxy_hops`` proxies,
and answer only requests for the portal's own host.

With 0 (the default) no forwarded header is trusted, so a client cannot pretend to come from elsewhere or
over https. The Host header is never taken from X-Forwarded-Host: absolute URLs (redirect URIs, sign-out
return) come from PORTAL_EXTERNAL_URL, never from the request. And a request for any other host (``Host:
evil.example``) is a 400 before routing, by this module's middleware (Werkzeug's rule, as Flask's
TRUSTED_HOSTS applies it), so nothing can reflect it (Werkzeug's trailing-slash redirect built
``http://evil.example/emi/`` from it). The proxy passes the user's Host on, so the one trusted name is the
external URL's; ``portal.extra_hosts`` adds names that probes or a metrics scraper use (a pod address, say).

The check runs once per request, here, and not again in Flask: with TRUSTED_HOSTS set, Flask checks the host
twice more per request (each time it builds a URL adapter), IDNA-encoding the names each time. A Host header
found trusted is remembered (a few distinct values: the name, with and without a port), so the usual request
looks up one string.
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


# Trusted Host header values remembered per process; beyond this many (a client trying ports) each is checked.
_REMEMBERED_HOSTS = 64


class TrustedHostsOnly:
    """WSGI middleware: a 400 for any Host not among ``trusted_hosts``, before routing."""

    def __init__(self, wsgi_app: Callable, trusted_hosts: list[str]) -> None:
        self._wsgi_app = wsgi_app
        self.trusted_hosts = trusted_hosts
        self._seen_trusted: set[str] = set()  # Host header values get_host accepted

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        header = environ.get("HTTP_HOST")
        if header is None or header not in self._seen_trusted:
            try:
                get_host(environ, self.trusted_hosts)  # Werkzeug's rule: names without the port, IDNA-encoded
            except SecurityError:
                response = Response(_UNTRUSTED_HOST_PAGE, status=400, mimetype="text/html",
                                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                             "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"})
                return response(environ, start_response)
            if header is not None and len(self._seen_trusted) < _REMEMBERED_HOSTS:
                self._seen_trusted.add(header)  # set.add under the GIL: threads may race, never corrupt it
        return self._wsgi_app(environ, start_response)


def init_app(app: Flask, settings: PortalSettings) -> None:
    """Trust only the portal's own host; wrap the WSGI app in ProxyFix when proxies sit in front of it."""
    # Not Flask's TRUSTED_HOSTS: the middleware has checked every request before Flask sees it (module docstring).
    app.wsgi_app = TrustedHostsOnly(app.wsgi_app, [settings.external_host, *settings.extra_hosts])
    hops = settings.trusted_proxy_hops
    if hops > 0:
        # x_for: the client address in logs and /metrics' loopback check; x_proto: request.is_secure.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
