"""The mark-input data layer: models, migrations, imports and services, free of Flask."""

from portal_app.data.db import database_url, init_engine, make_session_factory, session_scope
from portal_app.data.migrate import upgrade_to_head

__all__ = ["database_url", "init_engine", "make_session_factory", "session_scope", "upgrade_to_head"]
