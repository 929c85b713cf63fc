"""HTTP plumbing every page shares: clock, request ids and logs, Cymraeg/English, error pages, security headers,
the reverse proxy, metrics and health. Nothing here knows about sign-in, the catalogue or marks."""

from __future__ import annotations

from flask import Flask

from portal_app.settings import PortalSettings
from portal_app.web import (
    clock,
    errors,
    fragments,
    health,
    i18n,
    layout,
    logs,
    metrics,
    proxy,
    security_headers,
    template_gettext,
    transport,
    url_memo,
)


def init_app(app: Flask, settings: PortalSettings) -> None:
    # Order matters once: the request id exists before anything logs, the language before any page renders.
    clock.init_app(app)
    logs.init_app(app)
    i18n.init_app(app)
    template_gettext.init_app(app)
    url_memo.init_app(app)
    errors.init_app(app)
    fragments.init_app(app)
    layout.init_app(app)
    security_headers.init_app(app, settings)
    metrics.init_app(app)
    proxy.init_app(app, settings)
    transport.init_app(app, settings)
    app.register_blueprint(health.bp)
