"""Sign-in glue between Flask and ``auth/``: the session backend, identity services, roles, the gate, the views.

Imports point downward: views -> gate -> refresh -> roles -> redirect -> services -> backend. Nothing but this
package's ``init_app`` imports the views.
"""

from __future__ import annotations

from flask import Flask

from portal_app.settings import PortalSettings
from portal_app.signin import backend, gate, limits, roles, services, views


def init_app(app: Flask, settings: PortalSettings) -> None:
    backend.init_app(app, settings)
    services.init_app(app, settings, backend.backend_of(app).flows)
    roles.init_app(app, settings)
    gate.init_app(app)
    app.register_blueprint(views.bp)
    limits.init_app(app, settings)  # after the gate (it says who is anonymous) and the views (it limits /login)
