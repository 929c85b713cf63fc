"""The development set-up (./scripts/run): the portal on plain http://localhost, the emulator on https.

Chromium counts http://localhost as a secure context, so it keeps the flow cookie (SameSite=None; Secure)
and sends it on the emulator's cross-site form_post: sign-in works without https on a laptop.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from emulator.testing import DEMO_PASSWORD, running_emulator
from tests.support.servers import free_port, portal_url_for, running_portal

pytestmark = pytest.mark.browser
EXAMINER = "examiner@wjec-appointees.co.uk"


@pytest.fixture(scope="module")
def dev_setup(tmp_path_factory, redis_url):
    folder = tmp_path_factory.mktemp("dev-setup")
    port = free_port()
    with running_emulator(folder, test_mode=True, portal_url=portal_url_for(port, https=False)) as emu, \
            running_portal(emu, folder, redis_url, port=port, workers=1, https=False, name="dev-portal") as portal:
        yield emu, portal


def test_secure_flow_cookie_set_on_http_localhost_is_sent_on_the_cross_site_form_post(page, dev_setup):
    emu, portal = dev_setup
    posts = []
    page.on("request", lambda r: posts.append(r) if r.url.startswith(portal.url + "/auth/callback") else None)
    page.goto(portal.url + "/login")
    page.wait_for_url(emu.base_url + "/**")
    page.record.snap("microsoft-email")
    flow = {c["name"]: c for c in page.context.cookies(portal.url)}.get("portal_flow")
    assert flow is not None, "Chromium dropped the Secure flow cookie set over http://localhost"
    assert flow["secure"] and flow["sameSite"] == "None"
    page.fill("#loginfmt", EXAMINER)
    page.click("#idSIButton9")
    page.fill("#passwd", DEMO_PASSWORD)
    page.click("#idSIButton9")
    page.fill("#idTxtBx_SAOTCC_OTC", emu.totp(EXAMINER))
    page.click("#idSubmit_SAOTCC_Continue")
    page.click("#idSIButton9")

    page.wait_for_url(portal.url + "/services")

    expect(page.locator("body")).to_contain_text("Eleri Evans")
    page.record.snap("portal-services")
    assert "portal_flow=" in posts[0].all_headers().get("cookie", "")
