"""Apply Alembic migrations programmatically: ``portal migrate`` calls ``upgrade_to_head`` (an operations step,
never implicit in production); only dev mode on the embedded SQLite file migrates at first use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where it is used, not here: every gunicorn worker imports this module (dev mode migrates
# the embedded SQLite file), and Alembic was a seventh of a worker's start, which max_requests repeats.
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(engine_url: str) -> Config:
    """An Alembic config for ``engine_url`` that needs no alembic.ini in the working directory."""
    from alembic.config import Config

    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; URLs may carry percent-encoded passwords.
    config.set_main_option("sqlalchemy.url", engine_url.replace("%", "%%"))
    return config


def upgrade_to_head(engine_url: str) -> None:
    """Bring the database at ``engine_url`` to the newest schema; marks are never dropped by a migration."""
    from alembic import command

    command.upgrade(alembic_config(engine_url), "head")
