"""The emulator configured as a plain OpenID Provider: the authority given as its issuer (issue 13).

``PORTAL_AUTHORITY=https://127.0.0.1:PORT/TENANT/v2.0`` is not Entra-shaped, so the portal reads
``<issuer>/.well-known/openid-configuration`` and builds MSAL with ``oidc_authority``: the path any other
OpenID Provider takes, here end to end with a real provider, gunicorn and Redis.
"""

from __future__ import annotations

import pytest

from emulator.testing import DEMO_PASSWORD
from tests.support.servers import Browserless, mfa_codes, running_portal

pytestmark = pytest.mark.e2e
EXAMINER = "examiner@wjec-appointees.co.uk"


@pytest.fixture
def portal_by_issuer(emu, tmp_path, redis_url):
    with running_portal(emu, tmp_path, redis_url, workers=1, name="portal-oidc-issuer",
                        PORTAL_AUTHORITY=f"{emu.authority}/v2.0") as server:
        yield server


def test_signs_in_and_out_with_the_authority_given_as_its_issuer(portal_by_issuer, emu):
    browser = Browserless(portal_by_issuer, emu)

    page = browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))

    assert page.status_code == 200 and "Eleri Evans" in page.text
    out = browser.sign_out()
    assert out.status_code == 303 and out.headers["Location"].startswith(emu.authority)
    assert "id_token_hint=" in out.headers["Location"]
    assert browser.get("/services", allow_redirects=False).status_code == 302
