"""Periodic token refresh against the emulator (issue 6): a revoked session ends cleanly, a good one carries on.

The portal refreshes every ``refresh_minutes`` (at least 5) on its own clock, which an e2e test cannot move.
Instead the test moves the session's record of the last refresh back in time, in Redis, where the portal
keeps it: the portal then refreshes on the next request exactly as it would after 30 minutes.
"""

from __future__ import annotations

import pytest

from auth import user_session
from auth.sealing import Sealer
from emulator.testing import DEMO_PASSWORD
from tests.support.flows import edit_stored_session, end_sso_session, follow, stored_session
from tests.support.servers import mfa_codes

pytestmark = pytest.mark.e2e
EXAMINER = "examiner@wjec-appointees.co.uk"
REFRESHED_AT = "auth.refreshed_at"


@pytest.fixture
def signed_in(browser, emu, redis_url):
    """An examiner signed in to the portal: (browser, portal session id, the authority's sid)."""
    browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    session_id = browser.session_cookie()
    data = stored_session(redis_url, session_id)
    return browser, session_id, data["auth.user"]["sid"]


def test_refresh_that_is_due_renews_the_tokens_and_keeps_the_user_signed_in(signed_in, redis_url, portal):
    browser, session_id, _ = signed_in
    # The cache is sealed under a key derived from the portal's secret key; the test knows that key.
    sealer = Sealer(portal.env["PORTAL_SECRET_KEY"], purpose="token cache")
    cache_before = user_session.token_cache(stored_session(redis_url, session_id), sealer)
    assert '"RefreshToken"' in cache_before
    edit_stored_session(redis_url, session_id, **{REFRESHED_AT: 0})

    page = browser.get("/emi/", allow_redirects=False)

    assert page.status_code == 200 and "ELECTRONIC MARK INPUT" in page.text
    after = stored_session(redis_url, session_id)
    assert after[REFRESHED_AT] > 0
    assert user_session.token_cache(after, sealer) not in ("", cache_before)  # refresh tokens rotate at the emulator


def test_refresh_refused_with_invalid_grant_ends_the_session_and_keeps_next(signed_in, emu, redis_url):
    browser, session_id, authority_sid = signed_in
    end_sso_session(emu, authority_sid)  # revokes the refresh tokens issued through it
    edit_stored_session(redis_url, session_id, **{REFRESHED_AT: 0})

    trip = follow(browser, "/emi/")

    assert trip.final.status_code == 200 and "Sign in to your Portal account" in trip.final.text
    assert trip.final.url.endswith("/?next=%2Femi%2F"), trip.urls
    stored = stored_session(redis_url, session_id)
    assert stored is None or "auth.user" not in stored
    assert browser.get("/emi/", allow_redirects=False).status_code == 302  # and it stays signed out


def test_refresh_not_yet_due_makes_no_call_to_the_authority(signed_in, emu, redis_url):
    browser, session_id, authority_sid = signed_in
    end_sso_session(emu, authority_sid)  # the portal cannot know until its next refresh

    page = browser.get("/emi/", allow_redirects=False)

    assert page.status_code == 200  # within refresh_minutes the session lives on its own clocks
    assert stored_session(redis_url, session_id)["auth.user"]["sid"] == authority_sid
