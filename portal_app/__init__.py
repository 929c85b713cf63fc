"""The Appointee Portal: a Flask application factory and its blueprints."""

from __future__ import annotations

from typing import Any

from flask import Flask

from portal_app.settings import PROJECT_ROOT, load_settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the portal; ``test_config`` overrides settings section by section (``{"auth": {...}}``)."""
    from portal_app import (
        auth_views,
        authorization,
        cli,
        database,
        documents,
        emi,
        guards,
        iamis,
        identity,
        link_check,
        pages,
        services_views,
        session_control,
        sessions,
        web,
    )
    from portal_app.catalogue_source import check_catalogue_endpoints
    from portal_app.metrics_wiring import wire_checks
    from portal_app.settings.dev_secret import dev_secret_key

    settings = load_settings(test_config)
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"),
                static_folder=str(PROJECT_ROOT / "static"))
    app.config.update(
        SECRET_KEY=settings.secret_key or dev_secret_key(PROJECT_ROOT / "var"),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        TEMPLATES_AUTO_RELOAD=settings.dev_mode,
        # Static assets (CSS, JS, images) may be cached for an hour and are revalidated by ETag after that;
        # pages themselves are never cached (portal_app.security_headers).
        SEND_FILE_MAX_AGE_DEFAULT=0 if settings.dev_mode else 3600,
    )
    if test_config and "flask" in test_config:
        app.config.update(test_config["flask"])
    app.extensions["portal.settings"] = settings
    web.init_app(app, settings)
    sessions.init_app(app, settings)
    identity.init_app(app, settings)
    authorization.init_app(app, settings)
    guards.init_app(app)
    cli.init_app(app)
    database.init_app(app, settings)
    wire_checks(app)
    for module in (pages, auth_views, session_control, emi, iamis, services_views, documents, link_check):
        app.register_blueprint(module.bp)

    @app.context_processor
    def portal_context():
        from flask import g

        return {"current_user": g.get("user"), "settings": settings}

    check_catalogue_endpoints(app)  # last: internal endpoints exist only once every blueprint is registered
    return app
