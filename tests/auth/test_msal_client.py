"""One MSAL application per process, built on first use, with the token cache of the session being served."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
import requests
import responses

from auth.http import authority_session
from auth.msal_client import MsalClient, bound_token_cache
from tests.support.fake_entra import CLIENT_INFO, DISCOVERY_URL, FakeEntra
from tests.support.signed_tokens import AUTHORITY, EXAMINER_OID, PORTAL_CLIENT_ID, discovery_document

REDIRECT_URI = "https://portal.example/auth/callback"
# MSAL asks this when a cache has no account under the authority's own host, to try the host's aliases.
INSTANCE_DISCOVERY_URL = "https://login.microsoftonline.com/common/discovery/instance"
INSTANCE_METADATA = {"metadata": [{"preferred_network": "login.microsoftonline.com",
                                   "aliases": ["login.microsoftonline.com", "login.windows.net", "sts.windows.net"]}]}
OUTSIDE_BINDING = "outside bound_token_cache"


@pytest.fixture
def entra():
    """The fake Entra; any URL it does not serve fails the request (and so the test)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(INSTANCE_DISCOVERY_URL, json=INSTANCE_METADATA)
        yield FakeEntra(mock)


def msal_client(authority: str = AUTHORITY) -> MsalClient:
    return MsalClient(authority=authority, client_id=PORTAL_CLIENT_ID, client_secret="test-client-secret",
                      http_client=authority_session(5.0), timeout=5.0)


@pytest.fixture
def client(entra) -> MsalClient:
    return msal_client()


def redeem_a_code(client: MsalClient, entra: FakeEntra) -> dict:
    """One authorization code flow through MSAL against the fake Entra; tokens go to the bound cache."""
    flow = client.app.initiate_auth_code_flow([], redirect_uri=REDIRECT_URI, response_mode="form_post")
    entra.remember_authorize(flow["auth_uri"])
    return client.app.acquire_token_by_auth_code_flow(flow, {"state": flow["state"], "code": "test-code"})


@pytest.fixture
def examiner_cache(client, entra) -> str:
    """A serialized token cache holding the examiner's tokens, as the session keeps it after sign-in."""
    with bound_token_cache() as cache:
        assert "error" not in redeem_a_code(client, entra)
        return cache.serialize()


def usernames(client: MsalClient) -> list[str]:
    return [account["username"] for account in client.app.get_accounts()]


def refresh_tokens(cache: str) -> list[str]:
    return [item["secret"] for item in json.loads(cache).get("RefreshToken", {}).values()]


# --- one application, built lazily -------------------------------------------------------------------------


def test_creating_the_client_calls_nobody(entra):
    msal_client()
    assert len(entra.mock.calls) == 0


def test_the_app_is_built_on_first_use_and_then_reused(client, entra):
    first = client.app
    assert client.app is first
    assert entra.calls_to(DISCOVERY_URL) == 1


def test_threads_racing_for_first_use_build_one_app(client, entra):
    def slow_discovery(request):
        time.sleep(0.05)  # widens the window in which an unguarded build would start twice; nothing is timed
        return 200, {}, json.dumps(discovery_document(AUTHORITY))

    entra.mock.remove(responses.GET, DISCOVERY_URL)
    entra.mock.add_callback(responses.GET, DISCOVERY_URL, callback=slow_discovery)
    start = threading.Barrier(8)
    apps = []

    def first_use():
        start.wait(timeout=10)
        apps.append(client.app)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(apps) == 8 and len({id(app) for app in apps}) == 1
    assert entra.calls_to(DISCOVERY_URL) == 1


def test_a_failed_first_build_is_tried_again_on_next_use(client, entra):
    # The authority being away at the first sign-in of a process must not break every later sign-in.
    entra.mock.replace(responses.GET, DISCOVERY_URL, body=requests.ConnectionError("connection refused"))
    with pytest.raises(requests.ConnectionError):
        assert client.app
    entra.mock.replace(responses.GET, DISCOVERY_URL, json=discovery_document(AUTHORITY))
    assert client.app.client_id == PORTAL_CLIENT_ID


def test_an_authority_outside_microsoft_is_not_looked_up_at_microsoft():
    # The emulator (or any other authority) is its own discovery source; MSAL's instance discovery would ask
    # login.microsoftonline.com about it, and `responses` fails any such request.
    emulator = "https://entra-emulator.test/3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{emulator}/v2.0/.well-known/openid-configuration", json=discovery_document(emulator))
        with bound_token_cache():
            assert msal_client(emulator).app.get_accounts() == []
        assert [call.request.url.split("/")[2] for call in mock.calls] == ["entra-emulator.test"]


# --- the token cache of the session being served -----------------------------------------------------------


def test_the_token_cache_is_refused_outside_a_binding(client):
    with pytest.raises(RuntimeError, match=OUTSIDE_BINDING):
        client.app.get_accounts()


def test_redeeming_a_code_outside_a_binding_fails_instead_of_sharing_tokens(client, entra):
    with pytest.raises(RuntimeError, match=OUTSIDE_BINDING):
        redeem_a_code(client, entra)
    with bound_token_cache():
        assert client.app.get_accounts() == []


def test_tokens_from_a_sign_in_land_in_the_bound_cache(client, entra):
    with bound_token_cache() as cache:
        redeem_a_code(client, entra)
        assert usernames(client) == ["examiner@wjec-appointees.co.uk"]
    assert refresh_tokens(cache.serialize()) == ["fake-refresh-token"]


def test_a_serialized_cache_comes_back_in_a_later_binding(client, examiner_cache):
    with bound_token_cache(examiner_cache):
        [account] = client.app.get_accounts()
    assert account["local_account_id"] == EXAMINER_OID


def test_a_fresh_binding_sees_none_of_an_earlier_sessions_tokens(client, examiner_cache):
    with bound_token_cache():
        assert client.app.get_accounts() == []


def test_the_binding_ends_with_its_block_even_when_the_block_fails(client, examiner_cache):
    with pytest.raises(ZeroDivisionError), bound_token_cache(examiner_cache):
        1 / 0  # noqa: B018 - any failure inside the block
    with pytest.raises(RuntimeError, match=OUTSIDE_BINDING):
        client.app.get_accounts()


def test_a_nested_binding_gives_the_outer_cache_back(client, examiner_cache):
    with bound_token_cache(examiner_cache):
        with bound_token_cache():
            assert client.app.get_accounts() == []
        assert usernames(client) == ["examiner@wjec-appointees.co.uk"]


def test_a_rotated_refresh_token_lands_in_the_session_being_served(client, entra, examiner_cache):
    # MSAL keeps the cache's update_rt from construction time: build the app while another cache is bound,
    # then check the rotated refresh token reaches the cache bound when the refresh runs.
    with bound_token_cache() as bystander:
        assert client.app
    entra.token_response = lambda form: (200, {
        "token_type": "Bearer", "scope": "openid profile offline_access", "expires_in": 3600,
        "access_token": "refreshed-access-token", "refresh_token": "rotated-refresh-token",
        "id_token": entra.factory.mint(), "client_info": CLIENT_INFO,
    })

    with bound_token_cache(examiner_cache) as served:
        [account] = client.app.get_accounts()
        result = client.app.acquire_token_silent_with_error([], account=account, force_refresh=True)

    assert result["access_token"] == "refreshed-access-token"
    assert refresh_tokens(served.serialize()) == ["rotated-refresh-token"]
    assert refresh_tokens(bystander.serialize()) == []


def test_two_threads_never_see_each_others_cache(client, examiner_cache):
    both_bound, both_looked = threading.Barrier(2), threading.Barrier(2)
    seen: dict[str, list[str]] = {}

    def serve(name: str, serialized: str | None) -> None:
        with bound_token_cache(serialized):
            both_bound.wait(timeout=10)  # each thread's binding is in place before either looks
            seen[name] = usernames(client)
            both_looked.wait(timeout=10)

    threads = [threading.Thread(target=serve, args=("examiner", examiner_cache)),
               threading.Thread(target=serve, args=("stranger", None))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert seen == {"examiner": ["examiner@wjec-appointees.co.uk"], "stranger": []}


def test_two_tasks_of_one_thread_never_see_each_others_cache(client, examiner_cache):
    async def serve(serialized: str | None) -> list[str]:
        with bound_token_cache(serialized):
            await asyncio.sleep(0)  # let the other task bind its cache in between
            return usernames(client)

    async def both():
        return await asyncio.gather(serve(examiner_cache), serve(None))

    assert asyncio.run(both()) == [["examiner@wjec-appointees.co.uk"], []]
