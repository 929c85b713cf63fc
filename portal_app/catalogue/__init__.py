"""The All Services catalogue: its model (config/services.toml), who sees what (menu), reloading on edit
(source), the page with search and favourites (views), and the admin link check."""

from __future__ import annotations

from flask import Flask

from portal_app.catalogue import link_check, source, views
from portal_app.web.layout import HEADER_MENU


def init_app(app: Flask) -> None:
    """Register the pages, then load the catalogue: call it last, once every page of the portal exists."""
    app.register_blueprint(views.bp)
    app.extensions[HEADER_MENU] = views.header_menu_html
    app.register_blueprint(link_check.bp)
    source.load_catalogue(app)
