"""Pages only over https when the portal's address is https: a plain-http request is refused, never served.

Behind a TLS-terminating proxy the portal knows a request came over https only from X-Forwarded-Proto, which it
believes from exactly ``portal.trusted_proxy_hops`` proxies (``proxy``). A page request over plain http while
PORTAL_EXTERNAL_URL is https therefore means one of two mistakes: a proxy in front with no hops trusted, or a
client talking to an app server directly, past the proxy. Serving it would start sign-ins whose ``__Host-``/Secure
cookies the browser drops and build redirects to http; refusing it, with a log line naming the setting, makes the
mistake plain on the first request. Health probes and metrics scrapers talk to each app server directly, so their
paths are exempt.
"""

from __future__ import annotations

import logging

from flask import Flask, abort, request
from flask_babel import gettext as _

from portal_app.settings import PortalSettings

log = logging.getLogger(__name__)
# Probes and scrapers call each app server directly over plain http, not through the proxy.
DIRECT_PATHS = ("/healthz", "/readyz", "/metrics")


def init_app(app: Flask, settings: PortalSettings) -> None:
    if not settings.uses_https:
        return  # a laptop on http://localhost

    @app.before_request
    def refuse_plain_http() -> None:
        here = request._get_current_object()  # every request: one lookup through the proxy
        if here.is_secure or here.path in DIRECT_PATHS:
            return
        log.warning("refused a plain-http request for %s: PORTAL_EXTERNAL_URL is https. Behind a TLS proxy, set "
                    "portal.trusted_proxy_hops (PORTAL_TRUSTED_PROXY_HOPS) to the number of proxies that set "
                    "X-Forwarded-Proto (1 for nginx alone, deploy/README.md); otherwise clients are reaching this "
                    "app server past the proxy.", request.path,
                    extra={"event": "plain_http_refused", "hops": settings.trusted_proxy_hops})
        abort(400, description=_("This address only works over a secure (https) connection. Please open "
                                 "%(url)s instead.", url=settings.external_url))
