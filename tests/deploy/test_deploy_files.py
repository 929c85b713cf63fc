"""deploy/ and the README stay true to the code: every environment variable the portal reads is documented, the
Entra app roles match the role rules, the systemd units parse."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
import uuid

import pytest

from portal_app.settings import DEFAULTS, ENVIRONMENT_OVERRIDES
from tests.support.servers import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
# Set by the flask command itself, not by operations.
NOT_FOR_OPERATIONS = {"FLASK_RUN_FROM_CLI"}
_READ = re.compile(r"""(?:environ\.get\(|environ\[|getenv\()\s*["']([A-Z][A-Z0-9_]+)["']""")
# What a request's WSGI environ holds (HTTP_HOST, SCRIPT_NAME, ...) is read the same way, but it is not config.
_WSGI = re.compile(r"^(HTTP_[A-Z0-9_]+|SCRIPT_NAME|PATH_INFO|QUERY_STRING|REMOTE_ADDR|SERVER_NAME|SERVER_PORT)$")


def variables_the_portal_reads() -> set[str]:
    """ENVIRONMENT_OVERRIDES, and every name the code reads from the environment itself."""
    sources = [*REPO_ROOT.glob("portal_app/**/*.py"), *REPO_ROOT.glob("auth/**/*.py"), REPO_ROOT / "wsgi.py",
               REPO_ROOT / "gunicorn.conf.py"]
    read = {name for path in sources for name in _READ.findall(path.read_text(encoding="utf-8"))
            if not _WSGI.match(name)}
    return (set(ENVIRONMENT_OVERRIDES) | read) - NOT_FOR_OPERATIONS


def test_the_scan_finds_variables_read_outside_the_settings():
    found = variables_the_portal_reads()

    assert {"PORTAL_CONFIG", "PORTAL_METRICS_TOKEN", "GUNICORN_WORKERS", "PORTAL_CLIENT_CERT_PATH"} <= found


def test_every_variable_the_portal_reads_is_in_the_readme_table():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table_rows = [line for line in readme.splitlines() if line.startswith("| `")]

    missing = sorted(name for name in variables_the_portal_reads()
                     if not any(f"`{name}`" in row.split("|")[1] for row in table_rows))

    assert not missing, f"add a row to the README's table of environment variables for {missing}"


def test_every_variable_the_portal_reads_is_in_the_environment_file_template():
    template = (DEPLOY / "portal.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", template, re.M))

    missing = sorted(variables_the_portal_reads() - listed)

    assert not missing, f"add {missing} to deploy/portal.env.example"


def test_the_entra_app_roles_are_exactly_the_ones_the_role_rules_use():
    manifest = json.loads((DEPLOY / "entra" / "app-roles.json").read_text())["appRoles"]
    rules = tomllib.loads((REPO_ROOT / "config" / "roles.toml").read_text())["rules"]
    used = {value for rule in rules for value in rule.get("app_roles_any", [])}
    by_type = {kind: {r["value"] for r in manifest if r["allowedMemberTypes"] == [kind]}
               for kind in ("User", "Application")}

    # People get the roles the rules read; the board's results system gets the marks API's role (issue 15).
    assert by_type["User"] == used
    assert by_type["Application"] == {DEFAULTS["api"]["marks_app_role"]}
    assert len({role["id"] for role in manifest}) == len(manifest)
    for role in manifest:
        uuid.UUID(role["id"])
        assert role["isEnabled"] and role["displayName"]
        assert role["description"] and len(role["value"]) <= 120 and " " not in role["value"]


def test_the_emulators_portal_registration_defines_the_same_app_roles():
    directory = tomllib.loads((REPO_ROOT / "config" / "dev-directory.toml").read_text())
    portal = next(app for app in directory["apps"] if app["name"] == "Appointee Portal")
    manifest = json.loads((DEPLOY / "entra" / "app-roles.json").read_text())["appRoles"]

    assert set(portal["app_roles"]) == {role["value"] for role in manifest}


def test_the_systemd_units_parse(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (Debian's systemd package)", pytrace=False)
    units = [shutil.copy(path, tmp_path) for path in sorted((DEPLOY / "systemd").glob("*.service"))]
    done = subprocess.run([analyze, "verify", "--man=no", *units], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    # The release is not installed under /srv here; anything else systemd says is a mistake in a unit.
    complaints = [line for line in (done.stdout + done.stderr).splitlines()
                  if line.strip() and "is not executable: No such file or directory" not in line]

    assert len(units) == 2 and not complaints, complaints


def test_the_nginx_template_names_the_variables_its_render_line_lists():
    text = (DEPLOY / "nginx" / "appointee-portal.conf.template").read_text()
    render_line = " ".join(line for line in text.splitlines()[:12] if line.startswith("#"))
    config = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    used = set(re.findall(r"\$\{([A-Z_]+)\}", config))
    listed = set(re.findall(r"\$\{([A-Z_]+)\}", render_line))

    assert used == listed, "the envsubst line at the top must list exactly the placeholders used"


def test_the_documents_deploy_points_to_exist():
    for path in ("deploy/README.md", "docs/entra-setup.md", "docs/doctor.md"):
        assert (REPO_ROOT / path).is_file(), path
    readme = (REPO_ROOT / "README.md").read_text()
    production = readme.split("## Production", 1)[1].split("\n## ", 1)[0]
    assert "deploy/" in production and "docs/entra-setup.md" in production


