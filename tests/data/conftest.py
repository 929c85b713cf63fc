"""Database fixtures: every data test runs on a SQLite file and on a fresh PostgreSQL database."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal_app.data.db import init_engine, normalise_url
from portal_app.data.migrate import upgrade_to_head
from portal_app.data.models import Base
from portal_app.data.seed import seed_demo
from tests.support.sql import temporary_database

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def _server_reachable(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def _start_local_postgres() -> None:
    # This machine's cluster may be stopped; start it rather than skip (the suite never skips PostgreSQL).
    clusters = Path("/etc/postgresql")
    versions = sorted(p.name for p in clusters.iterdir()) if clusters.is_dir() else []
    for version in versions:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            check=False,
            capture_output=True,
        )


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """The PostgreSQL server (DATABASE_URL or the local one), started if down; fails loudly otherwise."""
    url = normalise_url(os.environ.get("DATABASE_URL") or DEFAULT_SERVER)
    if _server_reachable(url):
        return url
    _start_local_postgres()
    for _ in range(30):
        if _server_reachable(url):
            return url
        time.sleep(0.5)
    pytest.fail(f"PostgreSQL at {url} is not reachable and could not be started; the data tests need it")


@pytest.fixture(scope="session")
def pg_database_url(pg_server_url: str):
    """A uniquely named database for this test session, dropped at the end."""
    with temporary_database(pg_server_url, "portal_data_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path: Path) -> str:
    """The URL of an empty database: a fresh SQLite file, or the session's PostgreSQL database wiped clean."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'marks.db'}"
    url = request.getfixturevalue("pg_database_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def engine(empty_db_url: str):
    """An engine on a database holding the current schema."""
    engine = init_engine(empty_db_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    """A session on the schema; tests commit as the services' callers would."""
    with Session(engine) as session:
        yield session


@pytest.fixture
def demo_engine(empty_db_url):
    """An engine on a database migrated to head (triggers and all) holding the demo data."""
    upgrade_to_head(empty_db_url)
    engine = init_engine(empty_db_url)
    with Session(engine) as session:
        seed_demo(session)
        session.commit()
    yield engine
    engine.dispose()
