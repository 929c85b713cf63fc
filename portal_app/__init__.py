"""The Appointee Portal: a Flask application factory, one package per concern.

``settings`` (configuration) and ``web`` (HTTP plumbing every page shares) sit at the bottom; ``signin``
(sessions, identity, roles, the gate) builds on them; ``database``, ``marks`` and ``catalogue`` build on
sign-in. ``auth/`` (identity without Flask) and ``portal_app/data/`` (marks without Flask) are below them all.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g

from portal_app.settings import PROJECT_ROOT, load_settings
from portal_app.settings.dev_secret import dev_secret_key


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the portal; ``test_config`` overrides settings section by section (``{"auth": {...}}``)."""
    from portal_app import api, catalogue, cli, database, marks, signin, web
    from portal_app.web.flask_app import PortalFlask

    settings = load_settings(test_config)
    app = PortalFlask(__name__, template_folder=str(PROJECT_ROOT / "templates"),
                      static_folder=str(PROJECT_ROOT / "static"))
    app.config.update(
        SECRET_KEY=settings.secret_key or dev_secret_key(PROJECT_ROOT / "var"),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        TEMPLATES_AUTO_RELOAD=settings.dev_mode,
        # Static assets may be cached for an hour and are revalidated by ETag after that; pages themselves are
        # never cached (portal_app.web.security_headers).
        SEND_FILE_MAX_AGE_DEFAULT=0 if settings.dev_mode else 3600,
    )
    app.config.update((test_config or {}).get("flask", {}))
    app.extensions["portal.settings"] = settings
    app.context_processor(lambda: {"current_user": g.get("user"), "settings": settings})
    # Bottom up: each package may use what the ones before it registered.
    web.init_app(app, settings)
    signin.init_app(app, settings)
    cli.init_app(app)
    database.init_app(app, settings)
    marks.init_app(app)
    api.init_app(app)
    catalogue.init_app(app)  # last: it checks the catalogue's internal endpoints against every registered page
    return app
