"""deploy/postgres/: the roles script, and a backup that has been restored, run against the real PostgreSQL.

The roles and databases get a per-run suffix (roles are global to the server), and are dropped afterwards.
"""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.exc import ProgrammingError

from portal_app.data.db import normalise_url
from tests.data.conftest import pg_server_url  # noqa: F401 - the fixture, by name
from tests.support.servers import REPO_ROOT

POSTGRES = REPO_ROOT / "deploy" / "postgres"
ROLES = ("portal_app", "portal_readonly", "portal_backup")


def psql(url: str, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["psql", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-q", url], input=script, text=True,
                          capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def deployed(pg_server_url):  # noqa: F811 - the imported fixture
    """deploy/postgres/roles.sql run as a superuser, with this run's names: {role: url of appointee_portal}."""
    suffix = uuid.uuid4().hex[:8]
    names = {name: f"{name}_{suffix}" for name in (*ROLES, "appointee_portal")}
    script = (POSTGRES / "roles.sql").read_text()
    for name in sorted(names, key=len, reverse=True):  # portal_app before appointee_portal's own substrings
        script = script.replace(name, names[name])
    server = make_url(pg_server_url).set(drivername="postgresql")  # what libpq's tools (psql, pg_dump) read
    done = psql(server.set(database="postgres").render_as_string(hide_password=False), script)
    assert done.returncode == 0, done.stderr
    urls = {role: server.set(username=names[role], password="unused-with-trust",
                             database=names["appointee_portal"]).render_as_string(hide_password=False)
            for role in ROLES}
    yield names, urls, server
    admin = create_engine(normalise_url(server.set(database="postgres").render_as_string(hide_password=False)),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for database in (names["appointee_portal"], names["appointee_portal"] + "_restored"):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        for role in ROLES:
            conn.execute(text(f'DROP ROLE IF EXISTS "{names[role]}"'))
    admin.dispose()


def portal(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url, "PORTAL_DEV_MODE": "1",
           "PORTAL_CLIENT_SECRET": "unused", "HOME": "/tmp"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "portal", *args], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=180)


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            return {table: conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() for table in tables}
    finally:
        engine.dispose()


def test_the_portal_runs_as_its_own_role_and_readers_cannot_write(deployed):
    names, urls, server = deployed
    migrated = portal(urls["portal_app"], "migrate")
    seeded = portal(urls["portal_app"], "seed-demo")

    assert migrated.returncode == 0, migrated.stderr
    assert seeded.returncode == 0, seeded.stderr
    reader = create_engine(normalise_url(urls["portal_readonly"]))
    try:
        with reader.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM candidate")).scalar() > 0
            with pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text("DELETE FROM mark"))
    finally:
        reader.dispose()


def test_a_backup_restores_into_an_empty_database_with_every_row(deployed, tmp_path):
    names, urls, server = deployed
    assert portal(urls["portal_app"], "seed-demo").returncode == 0  # idempotent: data to back up
    backup = subprocess.run([str(POSTGRES / "backup.sh"), urls["portal_backup"], str(tmp_path / "backups")],
                            capture_output=True, text=True, timeout=180)
    assert backup.returncode == 0, backup.stderr
    (dump,) = (tmp_path / "backups").glob("appointee-portal-*.dump")
    assert oct(dump.stat().st_mode & 0o777) == "0o600"

    restored_name = names["appointee_portal"] + "_restored"
    # As restore.sh says: an empty database, created by a superuser, owned by the portal's role.
    created = psql(server.set(database="postgres").render_as_string(hide_password=False),
                   f'CREATE DATABASE "{restored_name}" OWNER "{names["portal_app"]}"')
    assert created.returncode == 0, created.stderr
    restored_url = make_url(urls["portal_app"]).set(database=restored_name).render_as_string(hide_password=False)
    restore = subprocess.run([str(POSTGRES / "restore.sh"), str(dump), restored_url], capture_output=True,
                             text=True, timeout=180)

    assert restore.returncode == 0, restore.stderr
    original, copy = row_counts(urls["portal_app"]), row_counts(restored_url)
    assert copy == original and original["candidate"] > 0 and "alembic_version" in copy
    again = portal(restored_url, "migrate")  # the restored schema is at head: nothing to upgrade
    assert again.returncode == 0 and "Running upgrade" not in again.stderr + again.stdout
