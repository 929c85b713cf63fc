"""Flow state: single use, expiring, bound to the browser that started it."""

from __future__ import annotations

import pytest

from auth.errors import InvalidState
from auth.flow_state import SignInFlows, new_browser_secret
from auth.stores import FileStore, RedisStore
from portal_app.redis_connect import redis_client


class Clock:
    now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture(params=["redis", "files"])
def store(request, tmp_path, redis_url):
    if request.param == "redis":
        return RedisStore(redis_client(redis_url), f"test:flow:{tmp_path.name}:")
    return FileStore(tmp_path / "flows", "flow:")


def _flow(state="state-1"):
    return {"state": state, "nonce": "n", "code_verifier": "v", "auth_uri": "https://x"}


def test_a_flow_finishes_once_in_the_browser_that_started_it(store):
    flows, secret = SignInFlows(store, 600), new_browser_secret()
    flows.start(_flow(), browser_secret=secret, next_path="/emi/")
    assert flows.finish("state-1", secret).next_path == "/emi/"
    with pytest.raises(InvalidState):
        flows.finish("state-1", secret)


def test_another_browser_cannot_finish_a_flow_and_burns_it(store):
    flows, secret = SignInFlows(store, 600), new_browser_secret()
    flows.start(_flow(), browser_secret=secret, next_path="/")
    with pytest.raises(InvalidState):
        flows.finish("state-1", new_browser_secret())
    with pytest.raises(InvalidState):
        flows.finish("state-1", secret)


def test_an_expired_flow_is_refused(store):
    clock = Clock()
    flows, secret = SignInFlows(store, 600, clock=clock), new_browser_secret()
    flows.start(_flow(), browser_secret=secret, next_path="/")
    clock.now += 601
    with pytest.raises(InvalidState):
        flows.finish("state-1", secret)


@pytest.mark.parametrize("state", [None, "", "x" * 500])
def test_missing_or_absurd_state_is_refused(store, state):
    with pytest.raises(InvalidState):
        SignInFlows(store, 600).finish(state, new_browser_secret())
