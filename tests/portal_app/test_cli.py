"""Operations commands: check-config and explain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from portal_app import create_app
from portal_app.cli import portal_cli
from tests.portal_app.conftest import portal_test_config

DEV_ENV = {"PORTAL_DEV_MODE": "1", "PORTAL_CLIENT_SECRET": "a-client-secret", "PORTAL_SECRET_KEY": "",
           "REDIS_URL": "", "PORTAL_CONFIG": ""}
PRODUCTION_ENV = {"PORTAL_DEV_MODE": "0", "PORTAL_CLIENT_SECRET": "a-client-secret", "PORTAL_SECRET_KEY": "k" * 40,
                  "PORTAL_CONFIG": "", "PORTAL_METRICS_TOKEN": "m" * 32,
                  "PORTAL_AUTHORITY": "https://login.microsoftonline.com/3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70",
                  "PORTAL_GRAPH_URL": "https://graph.microsoft.com"}
REPO_ROOT = Path(__file__).resolve().parents[2]
# `flask --app wsgi portal explain ARGS` as an operator runs it, in a fresh interpreter, then what it imported.
EXPLAIN_THEN_LIST_EMULATOR_MODULES = """
import sys
from flask.cli import main
sys.argv = ["flask", "--app", "wsgi", "portal", "explain", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
print("emulator modules:", sorted(m for m in sys.modules if m.split(".")[0] == "emulator"), file=sys.stderr)
sys.exit(code)
"""


@pytest.fixture
def run(tmp_path, entra):
    """The commands of a portal in dev mode (file sessions, the emulator's directory for ``explain --user``)."""
    runner = create_app(portal_test_config(tmp_path)).test_cli_runner()
    return lambda *args, env=DEV_ENV: runner.invoke(portal_cli, list(args), env=env)


def test_check_config_prints_the_effective_values_with_secrets_masked(run):
    result = run("check-config")
    assert result.exit_code == 0, result.output
    assert "auth.client_secret" in result.output and "a-client-secret" not in result.output
    assert "Configuration OK" in result.output


def test_check_config_lists_every_problem_and_fails(run):
    result = run("check-config", env={**DEV_ENV, "PORTAL_DEV_MODE": "0", "PORTAL_CLIENT_SECRET": ""})
    assert result.exit_code == 1
    assert "portal.secret_key" in result.output and "auth.client_secret" in result.output


def test_explain_a_directory_user(run):
    result = run("explain", "--user", "principal@wjec-appointees.co.uk")
    assert result.exit_code == 0, result.output
    assert "principal_moderator" in result.output and "granted by" in result.output


def test_explain_claims_from_another_tenant_grants_nothing(run, tmp_path):
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps({"tid": "b7c4e1f2-9a3d-4e8b-8c5f-1a2b3c4d5e6f", "oid": "x", "roles": ["Examiner"],
                                  "preferred_username": "mallory@wjec-appointees.co.uk"}))
    result = run("explain", "--claims", str(claims))
    assert result.exit_code == 0, result.output
    assert "NOT allowed" in result.output


def test_explain_needs_exactly_one_source(run):
    assert run("explain").exit_code != 0


def test_explain_a_user_outside_dev_mode_reads_sessions_not_the_emulator(redis_url):
    done = subprocess.run([sys.executable, "-c", EXPLAIN_THEN_LIST_EMULATOR_MODULES,
                           "--user", "nobody-signed-in@wjec-appointees.co.uk"],
                          cwd=REPO_ROOT, env={**os.environ, **PRODUCTION_ENV, "REDIS_URL": redis_url},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "nobody-signed-in@wjec-appointees.co.uk has no signed-in session on this portal" in done.stderr
    assert "emulator modules: []" in done.stderr


def test_explain_a_signed_in_user_shows_the_decision_stored_in_their_session(app, auth):
    # A username of its own: other tests sign in to the same Redis.
    username = f"examiner-{uuid.uuid4().hex[:8]}@wjec-appointees.co.uk"
    assert auth.sign_in(roles=["Examiner", "Moderator"], preferred_username=username).status_code == 303
    result = app.test_cli_runner().invoke(portal_cli, ["explain", "--user", username.upper()], env=PRODUCTION_ENV)
    assert result.exit_code == 0, result.output
    assert f"Eleri Evans <{username}>" in result.output
    assert "Signed-in sessions: 1;" in result.output
    assert "examiner (" in result.output and "moderator (" in result.output and "granted by" in result.output
    assert "emi:enter-marks from examiner" in result.output


UNCONFIGURED_ENV = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PORTAL_CONFIG": ""}


def test_portal_help_works_without_any_secret_set():
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "portal", "--help"], cwd=REPO_ROOT,
                          env=UNCONFIGURED_ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "check-config" in done.stdout and "migrate" in done.stdout and "import" in done.stdout


def test_other_commands_list_the_configuration_problems_instead_of_running(tmp_path):
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "portal", "migrate"], cwd=REPO_ROOT,
                          env=UNCONFIGURED_ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "portal.secret_key" in done.stderr and "Mend these first" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_server_never_starts_on_a_broken_configuration():
    """gunicorn imports wsgi:app outside the flask CLI: the import must fail, not serve a stand-in."""
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=REPO_ROOT, env=UNCONFIGURED_ENV,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "portal.secret_key" in done.stderr
