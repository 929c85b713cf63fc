"""Fixtures for the mark-input pages: a portal on a migrated, seeded database (SQLite file or PostgreSQL)."""

from __future__ import annotations

import shutil

import pytest

from portal_app import create_app
from portal_app.data.db import init_engine, make_session_factory, session_scope
from portal_app.data.migrate import upgrade_to_head
from portal_app.data.seed import seed_demo
from portal_app.database import database
from tests.data.conftest import pg_server_url  # noqa: F401 - a fixture, used by pg_seeded_url
from tests.portal_app.conftest import SignInActions, portal_test_config
from tests.support.sql import temporary_database

TENANT = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
EXAMINER = {"roles": ["Examiner"], "oid": "11111111-1111-4111-8111-111111111111",
            "preferred_username": "examiner@wjec-appointees.co.uk", "name": "Eleri Evans"}
MODERATOR = {"roles": ["Moderator"], "oid": "22222222-2222-4222-8222-222222222222",
             "preferred_username": "moderator@wjec-appointees.co.uk", "name": "Morgan Price"}
TEAM_LEADER = {"roles": ["TeamLeader", "Moderator"], "oid": "33333333-3333-4333-8333-333333333333",
               "preferred_username": "teamleader@wjec-appointees.co.uk", "name": "Tomos Lloyd"}
PRINCIPAL = {"roles": ["PrincipalModerator", "TeamLeader", "Moderator"],
             "oid": "44444444-4444-4444-8444-444444444444",
             "preferred_username": "principal@wjec-appointees.co.uk", "name": "Pat Hughes"}
OTHER_EXAMINER = {"roles": ["Examiner"], "oid": "77777777-7777-4777-8777-777777777777",
                  "preferred_username": "nomfa@wjec-appointees.co.uk", "name": "Nia Jones"}


def seed(url: str) -> None:
    """Migrate ``url`` to head and load the demo data, as `portal prepare-data` does."""
    upgrade_to_head(url)
    engine = init_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        seed_demo(session)
    engine.dispose()


@pytest.fixture(scope="session")
def seeded_sqlite_template(tmp_path_factory):
    """One migrated, seeded SQLite file per test run; each test gets its own copy."""
    path = tmp_path_factory.mktemp("seeded") / "template.sqlite3"
    seed(f"sqlite:///{path}")
    return path


@pytest.fixture
def seeded_sqlite_url(seeded_sqlite_template, tmp_path) -> str:
    copy = tmp_path / "portal.sqlite3"
    shutil.copy(seeded_sqlite_template, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def pg_seeded_url(pg_server_url):  # noqa: F811 - the imported fixture
    """A fresh, migrated, seeded PostgreSQL database for one test, dropped afterwards."""
    with temporary_database(pg_server_url, "portal_pages_test") as url:
        seed(url)
        yield url


def make_data_app(tmp_path, redis_url, database_url: str):
    app = create_app(portal_test_config(tmp_path, redis_url, database={"url": database_url}))
    yield app
    app.extensions["portal.database"].dispose()


def two_workers_of(make, *args):
    """Two apps made by ``make(*args)`` on one config, database and Redis: two gunicorn workers, each with its own
    caches. A generator, for fixtures to ``yield from``."""
    made = [make(*args) for _ in range(2)]
    apps = [next(factory) for factory in made]
    yield apps
    for factory in made:
        next(factory, None)


@pytest.fixture
def data_app(tmp_path, redis_url, entra, seeded_sqlite_url):
    yield from make_data_app(tmp_path, redis_url, seeded_sqlite_url)


@pytest.fixture
def browser(data_app, entra) -> SignInActions:
    return SignInActions(data_app.test_client(), entra)


def sign_in_as(browser: SignInActions, claims: dict) -> None:
    response = browser.sign_in(**claims)
    assert response.status_code == 303, response.data


def engine_of(app):
    return database.__wrapped__(app) if hasattr(database, "__wrapped__") else app.extensions["portal.database"].engine


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory):
    """One empty SQLite file at the newest schema per test run."""
    path = tmp_path_factory.mktemp("migrated") / "template.sqlite3"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(autouse=True)
def database_at_head(request, tmp_path_factory):
    """The database file that portal_test_config names, at head, as after `portal migrate` in a deployment.

    Autouse through conftest.py so that every portal test app starts on a migrated (empty) database; tests
    that need a seeded or an unmigrated one use their own file.
    """
    if "tmp_path" not in request.fixturenames:
        return
    target = request.getfixturevalue("tmp_path") / "portal.sqlite3"
    if not target.exists():
        shutil.copy(request.getfixturevalue("migrated_sqlite_template"), target)
