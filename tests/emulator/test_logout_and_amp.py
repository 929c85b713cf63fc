"""End-session with front-channel fan-out, and AMP's single sign-on story."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

from emulator.testing import APPOINTEE_TENANT_ID, PORTAL_CLIENT_ID
from tests.emulator.flows import authorize_url, pkce_pair, redeem

AMP_CLIENT_ID = "a3b2c1d0-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def _logout_url(emu, **params) -> str:
    return f"{emu.authority}/oauth2/v2.0/logout?{urlencode(params)}"


def _sign_in_to_amp(emu, browser, sign_in):
    reply = sign_in(f"{emu.base_url}/amp/login", "examiner@wjec-appointees.co.uk")
    assert reply.mode == "form_post" and reply.url == f"{emu.base_url}/amp/callback"
    page = browser.open(reply.url, method="post", data=reply.params)
    assert "Signed in to AMP as Eleri Evans" in page
    return page


def test_logout_fans_out_to_every_app_and_returns_to_a_registered_uri(emu, http, browser, sign_in):
    verifier, challenge = pkce_pair()
    reply = sign_in(authorize_url(emu.authority, challenge), "examiner@wjec-appointees.co.uk")
    refresh = redeem(http, emu.authority, reply.params["code"], verifier).json()["refresh_token"]
    _sign_in_to_amp(emu, browser, sign_in)
    sid = reply.params["session_state"]
    page = browser.open(_logout_url(emu, post_logout_redirect_uri="http://localhost:5000/",
                                    client_id=PORTAL_CLIENT_ID))
    assert "You signed out of your account" in page
    frames = re.findall(r'<iframe src="([^"]+)"', page)
    assert len(frames) == 2
    portal_frame = next(f for f in frames if f.startswith("http://localhost:5000/auth/frontchannel-logout?"))
    query = parse_qs(urlsplit(portal_frame.replace("&amp;", "&")).query)
    assert query["sid"] == [sid] and query["iss"] == [f"{emu.base_url}/{APPOINTEE_TENANT_ID}/v2.0"]
    assert 'href="http://localhost:5000/"' in page
    # The session is over: no silent sign-in, and its refresh tokens are revoked.
    _, challenge = pkce_pair()
    assert browser.open(authorize_url(emu.authority, challenge, prompt="none")).params["error"] == "login_required"
    response = redeem(http, emu.authority, None, None, grant_type="refresh_token", refresh_token=refresh)
    assert response.status_code == 400


def test_unregistered_post_logout_uri_is_not_followed(emu, browser, sign_in):
    _, challenge = pkce_pair()
    sign_in(authorize_url(emu.authority, challenge), "examiner@wjec-appointees.co.uk")
    page = browser.open(_logout_url(emu, post_logout_redirect_uri="https://evil.example/",
                                    client_id=PORTAL_CLIENT_ID))
    assert "You signed out of your account" in page and "evil.example" not in page


def test_signed_in_to_amp_means_the_portal_signs_in_silently(emu, browser, sign_in):
    _sign_in_to_amp(emu, browser, sign_in)
    _, challenge = pkce_pair()
    reply = browser.open(authorize_url(emu.authority, challenge, prompt="none"))
    assert "code" in reply.params


def test_amp_sign_out_goes_through_the_logout_endpoint(emu, browser, sign_in):
    page = _sign_in_to_amp(emu, browser, sign_in)
    page = browser.submit(page)
    assert "You signed out of your account" in page
    assert f'href="{emu.base_url}/amp/"' in page
    assert "Not signed in" in browser.open(f"{emu.base_url}/amp/")
