"""The mark-input data layer: models, migrations, imports and services, free of Flask."""

from portal_app.data.db import init_engine, make_session_factory, session_scope
from portal_app.data.migrate import upgrade_to_head

# Registers the favourite_service, moderation_export and change_stamp tables on the shared Base whenever the
# data layer is imported, so the schema the models describe always matches Alembic's head
# (tests/data/test_migrations.py compares the two).
from portal_app.data import favourites as _favourites  # noqa: E402,F401  isort: skip
from portal_app.data import moderation_export as _moderation_export  # noqa: E402,F401  isort: skip
from portal_app.data import examining_models as _examining_models  # noqa: E402,F401  isort: skip
from portal_app.data import change_stamps as _change_stamps  # noqa: E402,F401  isort: skip

__all__ = ["init_engine", "make_session_factory", "session_scope", "upgrade_to_head"]
