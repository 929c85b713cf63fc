"""Anonymous visitors are rate limited per client: /login and every POST they make (issue 13).

The limits are the shipped defaults of config/portal.toml ([limits]); counts live in Redis (or in memory for
file sessions), per client address.
"""

from __future__ import annotations

import pytest
from limits import parse_many

from portal_app import create_app
from portal_app.settings import DEFAULTS
from tests.portal_app.conftest import SignInActions, portal_test_config
from tests.portal_app.conftest_data import TEAM_LEADER

LOGINS_PER_MINUTE = parse_many(DEFAULTS["limits"]["login"])[0].amount
POSTS_PER_MINUTE = parse_many(DEFAULTS["limits"]["anonymous_posts"])[0].amount
CLIENT = {"REMOTE_ADDR": "198.51.100.7"}


@pytest.fixture(params=["redis", "files"])
def portal(request, tmp_path, redis_url, entra):
    return create_app(portal_test_config(tmp_path, redis_url if request.param == "redis" else None))


def test_login_is_limited_per_client(portal):
    client = portal.test_client()
    for _ in range(LOGINS_PER_MINUTE):
        assert client.get("/login", environ_base=CLIENT).status_code == 302

    refused = client.get("/login", environ_base=CLIENT)

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Please wait a minute" in refused.get_data(as_text=True)
    # Another client still has its own allowance.
    assert client.get("/login", environ_base={"REMOTE_ADDR": "198.51.100.8"}).status_code == 302


def test_limited_requests_say_their_allowance_and_the_others_carry_no_limit_headers(portal, entra):
    """Flask-Limiter's headers come from its after-request hook, which the portal skips for requests no limit
    checked (signin.limits._PortalLimiter): a limited request must still get them, the others none."""
    client = portal.test_client()
    first, second = client.get("/login", environ_base=CLIENT), client.get("/login", environ_base=CLIENT)
    assert first.headers["X-RateLimit-Limit"] == str(LOGINS_PER_MINUTE)
    assert int(first.headers["X-RateLimit-Remaining"]) == int(second.headers["X-RateLimit-Remaining"]) + 1
    anonymous_post = client.post("/logout", environ_base=CLIENT)
    assert anonymous_post.headers["X-RateLimit-Limit"] == str(POSTS_PER_MINUTE)

    browser = SignInActions(portal.test_client(), entra)
    assert browser.sign_in(**TEAM_LEADER).status_code == 303
    page = browser.client.get("/services", environ_base=CLIENT)
    assert page.status_code == 200
    assert not [name for name in page.headers.keys() if name.startswith("X-RateLimit")]
    # The allowance the anonymous requests used is untouched by the signed-in ones.
    assert int(client.get("/login", environ_base=CLIENT).headers["X-RateLimit-Remaining"]) == (
        int(second.headers["X-RateLimit-Remaining"]) - 1)


def test_anonymous_posts_are_limited_per_client(portal):
    client = portal.test_client()
    for _ in range(POSTS_PER_MINUTE):
        assert client.post("/logout", environ_base=CLIENT).status_code == 303

    refused = client.post("/emi/allocations/1", data={"mark-1": "5"}, environ_base=CLIENT)

    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert client.post("/logout", environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 303


def test_signed_in_users_posts_are_not_limited(portal, entra):
    browser = SignInActions(portal.test_client(), entra)
    assert browser.sign_in(**TEAM_LEADER).status_code == 303
    token = browser.client.get("/logout").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    for _ in range(POSTS_PER_MINUTE + 5):
        response = browser.client.post("/work-as", data={"csrf_token": token, "role": "moderator"})
        assert response.status_code == 303


def test_the_limit_page_is_in_welsh_too(portal):
    client = portal.test_client()
    client.set_cookie("portal_lang", "cy", domain="localhost")
    for _ in range(LOGINS_PER_MINUTE):
        client.get("/login", environ_base=CLIENT)
    refused = client.get("/login", environ_base=CLIENT, headers={"Accept-Language": "cy"})
    assert refused.status_code == 429
    assert "Please wait a minute" not in refused.get_data(as_text=True)
