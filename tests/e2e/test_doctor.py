"""`flask --app wsgi portal doctor` run as operations would, against the emulator: a sound deployment passes
(exit 0), and a broken one gets every problem named with its fix (exit 1)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from emulator.testing import PORTAL_CLIENT_ID, running_emulator
from tests.support.pki import client_certificate
from tests.support.servers import REPO_ROOT, free_port, portal_environment, portal_url_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def doctor_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("doctor")


@pytest.fixture(scope="module")
def doctor_emu(doctor_dir):
    with running_emulator(doctor_dir, test_mode=True, portal_url=portal_url_for(free_port())) as emu:
        yield emu


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "portal", *args], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def sound_env(doctor_emu, doctor_dir, redis_url) -> dict[str, str]:
    """A deployment that is right: https address, Redis, a migrated database, the emulator as authority."""
    env = portal_environment(doctor_emu, portal_url_for(free_port()), redis_url,
                             f"sqlite:///{doctor_dir / 'portal.sqlite3'}")
    migrated = flask(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    return env


def lines_of(result: subprocess.CompletedProcess) -> dict[str, str]:
    """Each check's name -> its line and the fix line under it."""
    found, current = {}, None
    for line in result.stdout.splitlines():
        parts = re.split(r"\s{2,}", line.strip())  # label, name, detail: columns apart by two spaces or more
        if len(parts) == 3 and parts[0] in ("ok", "warn", "FAIL"):
            current = parts[1]
            found[current] = line
        elif current and line.strip().startswith("fix:"):
            found[current] += "\n" + line
    return found


def test_a_sound_deployment_passes_with_advice_to_use_a_certificate(sound_env):
    result = flask(sound_env, "doctor")

    assert result.returncode == 0, result.stdout + result.stderr
    checks = lines_of(result)
    assert all(line.startswith("  ok") for name, line in checks.items() if name != "Client credential")
    assert checks["Client credential"].startswith("  warn") and "recommends a certificate" in checks[
        "Client credential"]
    assert "refused a made-up client secret with invalid_client (AADSTS7000215)" in checks["Token endpoint"]
    assert result.stdout.rstrip().endswith("8 checks: 7 passed, 1 with advice, 0 failed.")


def test_a_sound_deployment_with_a_certificate_passes_every_check(sound_env, doctor_emu, doctor_dir):
    files = client_certificate(doctor_dir / "cert", days=200)
    env = {**sound_env, "PORTAL_CLIENT_SECRET": "", "PORTAL_CLIENT_CERT_PATH": str(files.combined_path)}

    result = flask(env, "doctor")

    assert result.returncode == 0, result.stdout + result.stderr
    checks = lines_of(result)
    assert f"thumbprint {files.thumbprint}" in checks["Client credential"] and "(199 days)" in checks[
        "Client credential"]
    assert "refused a client assertion signed by a throwaway key with invalid_client (AADSTS700027)" in checks[
        "Token endpoint"]
    assert result.stdout.rstrip().endswith("8 checks: 8 passed, 0 with advice, 0 failed.")


def test_a_broken_deployment_gets_each_problem_named_with_its_fix(sound_env, doctor_emu, doctor_dir):
    env = {**sound_env,
           "PORTAL_EXTERNAL_URL": "http://localhost:5000",                    # http outside dev mode
           "PORTAL_AUTHORITY": f"{doctor_emu.base_url}/wjec-appointees.co.uk",  # issuer is the tenant id's
           "PORTAL_CLIENT_ID": "00000000-0000-4000-8000-000000000000",        # not registered
           "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",                 # nobody listens
           "DATABASE_URL": f"sqlite:///{doctor_dir / 'never-migrated.sqlite3'}"}
    doctor_emu.advance_clock(-600)  # the authority's clock, ten minutes behind ours
    try:
        result = flask(env, "doctor")
    finally:
        doctor_emu.state.clock.set_offset(0)

    assert result.returncode == 1
    checks = lines_of(result)
    assert "plain http outside dev mode" in checks["Redirect URI"] and "fix: set PORTAL_EXTERNAL_URL" in checks[
        "Redirect URI"]
    assert "does not belong to PORTAL_AUTHORITY" in checks["Authority metadata"]
    assert "does not know client id 00000000-0000-4000-8000-000000000000" in checks["Token endpoint"]
    assert "fix: set PORTAL_CLIENT_ID" in checks["Token endpoint"]
    skew = re.search(r"clock is (\d+) s ahead of the authority's", checks["Clock"])
    assert skew and 598 <= int(skew.group(1)) <= 602 and "NTP" in checks["Clock"]  # Date has 1 s resolution
    assert checks["Session store"].startswith("  FAIL") and "fix: check REDIS_URL" in checks["Session store"]
    assert "schema not at head" in checks["Database"] and "portal migrate" in checks["Database"]
    assert checks["Signing keys"].startswith("  ok")  # what still holds is said to hold
    assert result.stdout.rstrip().endswith("8 checks: 1 passed, 1 with advice, 6 failed.")


def test_an_unreachable_authority_is_named_and_what_depends_on_it_skipped(sound_env):
    env = {**sound_env, "PORTAL_AUTHORITY": f"https://127.0.0.1:{free_port()}/{PORTAL_CLIENT_ID}",
           "PORTAL_ALLOWED_TENANTS": PORTAL_CLIENT_ID}

    result = flask(env, "doctor")

    checks = lines_of(result)
    assert result.returncode == 1
    assert checks["Authority metadata"].startswith("  FAIL") and "fix: check PORTAL_AUTHORITY" in checks[
        "Authority metadata"]
    assert "skipped" in checks["Signing keys"] and "skipped" in checks["Token endpoint"]


def test_a_certificate_near_its_end_with_a_key_anyone_can_read_fails(sound_env, doctor_dir):
    files = client_certificate(doctor_dir / "ending", days=12)
    os.chmod(files.combined_path, 0o644)
    env = {**sound_env, "PORTAL_CLIENT_SECRET": "", "PORTAL_CLIENT_CERT_PATH": str(files.combined_path)}

    result = flask(env, "doctor")

    assert result.returncode == 1
    line = lines_of(result)["Client credential"]
    assert "under 30 days left" in line and "rollover" in line
    os.chmod(files.combined_path, 0o600)
    files_ok_but_open = client_certificate(doctor_dir / "open", days=300)
    os.chmod(files_ok_but_open.combined_path, 0o644)
    opened = flask({**env, "PORTAL_CLIENT_CERT_PATH": str(files_ok_but_open.combined_path)}, "doctor")
    assert "readable by every user" in lines_of(opened)["Client credential"]


def test_a_configuration_with_problems_lists_them_all_before_any_check(sound_env):
    env = {**sound_env, "PORTAL_CLIENT_SECRET": "", "PORTAL_SECRET_KEY": "short"}

    result = flask(env, "doctor")

    assert result.returncode == 1
    assert "auth.client_secret: no client credential is set" in result.stderr
    assert "portal.secret_key" in result.stderr and "Fix:" in result.stderr
