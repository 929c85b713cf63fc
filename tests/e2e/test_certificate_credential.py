"""Signing in with a certificate credential end to end: gunicorn portal -> emulator, no client secret anywhere.

This module has its own emulator (its clock moves here) and portals configured with PORTAL_CLIENT_CERT_PATH;
the emulator holds only the certificates uploaded to it, as an app registration does.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from cryptography.hazmat.primitives import hashes

from emulator.testing import DEMO_PASSWORD, PORTAL_CLIENT_ID, running_emulator
from tests.support.pki import client_certificate
from tests.support.servers import (
    REPO_ROOT,
    Browserless,
    build_portal,
    free_port,
    mfa_codes,
    portal_url_for,
    private_redis,
)

pytestmark = pytest.mark.e2e
EXAMINER = "examiner@wjec-appointees.co.uk"
MODERATOR = "moderator@wjec-appointees.co.uk"


@pytest.fixture(scope="module")
def certs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("certificate-credential")


@pytest.fixture(scope="module")
def uploaded(certs_dir):
    return client_certificate(certs_dir / "uploaded", days=90)


@pytest.fixture(scope="module")
def cert_emu(certs_dir, uploaded):
    port = free_port()
    with running_emulator(certs_dir, test_mode=True, portal_url=portal_url_for(port)) as emu:
        emu.port = port
        with emu.http_session() as http:
            http.post(f"{emu.base_url}/_test/apps/{PORTAL_CLIENT_ID}/certificates",
                      data=uploaded.public_pem, timeout=10).raise_for_status()
        yield emu


def certificate_env(files, *, combined: bool) -> dict[str, str]:
    """The portal's environment for a certificate credential: two files, or one combined PEM; no secret."""
    env = {"PORTAL_CLIENT_SECRET": "", "PORTAL_CLIENT_CERT_PATH": str(files.combined_path if combined
                                                                      else files.cert_path)}
    if not combined:
        env["PORTAL_CLIENT_KEY_PATH"] = str(files.key_path)
    return env


@pytest.fixture(scope="module")
def redis_url(certs_dir):
    """A Redis of this module's own: "sign out everywhere" for a demo user elsewhere must not end these sessions."""
    with private_redis(certs_dir) as server:
        yield server.url


@pytest.fixture(scope="module")
def cert_portal(cert_emu, certs_dir, redis_url, uploaded):
    portal = build_portal(cert_emu, certs_dir, redis_url, port=cert_emu.port, workers=1, name="cert-portal",
                          **certificate_env(uploaded, combined=False))
    assert "PORTAL_CLIENT_SECRET" not in {k for k, v in portal.env.items() if v}
    portal.start(ca_path=cert_emu.ca_path)
    yield portal
    portal.stop()


@pytest.fixture
def stranger_portal(cert_emu, certs_dir, redis_url, tmp_path):
    """A portal whose certificate was never uploaded to the app registration (the wrong one)."""
    stranger = client_certificate(tmp_path / "stranger", name="never-uploaded")
    portal = build_portal(cert_emu, certs_dir, redis_url, port=free_port(), workers=1, name="stranger-portal",
                          **certificate_env(stranger, combined=True))
    portal.start(ca_path=cert_emu.ca_path)
    yield portal, stranger
    portal.stop()


def sign_in(portal, emu, email: str) -> tuple[Browserless, requests.Response]:
    browser = Browserless(portal, emu)
    return browser, browser.sign_in(email, DEMO_PASSWORD, mfa_codes(emu, email))


def test_signs_in_with_the_certificate_each_time_with_a_fresh_assertion(cert_portal, cert_emu):
    # Two sign-ins by the same process: the emulator accepts each assertion (jti) once, so a reused one fails.
    for email in (EXAMINER, MODERATOR):
        browser, landed = sign_in(cert_portal, cert_emu, email)
        try:
            assert landed.status_code == 200 and landed.url.endswith("/services"), landed.text[:300]
            assert browser.get("/services", allow_redirects=False).status_code == 200
        finally:
            browser.close()


def test_a_certificate_the_app_registration_does_not_know_is_refused_clearly(stranger_portal, cert_emu):
    portal, stranger = stranger_portal
    browser, landed = sign_in(portal, cert_emu, EXAMINER)
    browser.close()

    assert landed.status_code == 401
    assert "refused the portal&#39;s own sign-in credentials" in landed.text
    assert "problem on our side, not with your account" in landed.text
    log = portal.log_tail(80)
    assert "refused the portal's client credential" in log and "AADSTS700027" in log
    sha256 = stranger.certificate.fingerprint(hashes.SHA256()).hex().upper()
    assert "The key was not found." in log and sha256 in log  # the thumbprint the portal signed with (x5t#S256)


def test_a_certificate_past_its_end_at_the_authority_is_refused_clearly(cert_portal, cert_emu):
    browser = Browserless(cert_portal, cert_emu)
    auth_uri = browser.start_sign_in()
    cert_emu.advance_clock(91 * 86400)  # the uploaded certificate was valid for 90 days
    try:
        reply = browser.authenticate(auth_uri, EXAMINER, DEMO_PASSWORD, mfa_codes(cert_emu, EXAMINER))
        landed = browser.deliver(reply)
    finally:
        cert_emu.state.clock.set_offset(0)
        browser.close()

    assert landed.status_code == 401 and "own sign-in credentials" in landed.text
    assert "The key used is expired." in cert_portal.log_tail(80)


def test_an_expired_certificate_stops_the_portal_before_it_serves(cert_portal, certs_dir):
    expired = client_certificate(certs_dir / "expired", starts_in_days=-100, days=90)
    env = {**cert_portal.env, **certificate_env(expired, combined=True)}

    checked = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "portal", "check-config"],
                             cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    served = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=60)

    assert checked.returncode == 1
    assert "auth.client_cert_path" in checked.stderr and "expired on" in checked.stderr
    assert served.returncode == 1 and "expired on" in served.stderr
