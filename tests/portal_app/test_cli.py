"""Operations commands: check-config and explain."""

from __future__ import annotations

import json

import pytest

from portal_app.cli import portal_cli

DEV_ENV = {"PORTAL_DEV_MODE": "1", "PORTAL_CLIENT_SECRET": "a-client-secret", "PORTAL_SECRET_KEY": "",
           "REDIS_URL": "", "PORTAL_CONFIG": ""}


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()
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
