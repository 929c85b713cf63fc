"""Faults with real servers: Redis going away and coming back, the authority going down after start-up."""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest

from emulator.testing import DEMO_PASSWORD, running_emulator
from tests.support.servers import Browserless, free_port, mfa_codes, portal_url_for, private_redis, running_portal

pytestmark = pytest.mark.e2e
EXAMINER = "examiner@wjec-appointees.co.uk"


def _wait_for(check, timeout: float = 15.0, interval: float = 0.2):
    """Poll ``check`` until it returns something truthy; that value, or the last one after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def redis_server(tmp_path):
    with private_redis(tmp_path) as server:
        yield server


@pytest.fixture
def portal_on_private_redis(emu, tmp_path, redis_server):
    with running_portal(emu, tmp_path, redis_server.url, workers=2, name="portal-private-redis") as server:
        yield server


def test_redis_down_gives_503_with_retry_after_and_the_portal_recovers_by_itself(
        portal_on_private_redis, redis_server, emu):
    browser = Browserless(portal_on_private_redis, emu)
    browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))

    redis_server.stop()
    page = browser.get("/services", allow_redirects=False)
    operator = {"Authorization": f"Bearer {portal_on_private_redis.env['PORTAL_METRICS_TOKEN']}"}
    ready = browser.get("/readyz", headers=operator)

    assert page.status_code == 503
    assert page.headers["Retry-After"].isdigit()
    assert "try again" in page.text.lower() and "Traceback" not in page.text
    assert ready.status_code == 503 and "session_store" in ready.json()["problems"]
    assert browser.get("/login", allow_redirects=False).status_code == 503

    redis_server.start()  # same port, empty: a restart without persistence
    assert _wait_for(lambda: browser.get("/readyz").status_code == 200)
    # The old session died with Redis: the user is asked to sign in again, not shown an error.
    assert browser.get("/services", allow_redirects=False).status_code == 302
    again = browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    assert again.status_code == 200 and "Eleri Evans" in again.text
    assert portal_on_private_redis.process.poll() is None
    assert "Traceback" not in portal_on_private_redis.log_path.read_text()


@pytest.fixture
def fragile_authority(tmp_path, redis_url):
    """An emulator that the test may stop (``stack.close()``), and a portal that trusts it."""
    port = free_port()
    with ExitStack() as portal_stack:
        stack = ExitStack()
        emu = stack.enter_context(running_emulator(tmp_path, test_mode=True, portal_url=portal_url_for(port)))
        portal = portal_stack.enter_context(running_portal(emu, tmp_path, redis_url, port=port, workers=1,
                                                           name="portal-fragile-authority"))
        yield emu, portal, stack
        stack.close()


def test_authority_down_after_start_up_keeps_signed_in_users_working(fragile_authority):
    emu, portal, emulator_stack = fragile_authority
    browser = Browserless(portal, emu)
    browser.sign_in(EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    pending = Browserless(portal, emu)
    reply = pending.authenticate(pending.start_sign_in(), EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))

    emulator_stack.close()  # the authority is gone: discovery, keys, token endpoint

    assert [browser.get("/services", allow_redirects=False).status_code for _ in range(10)] == [200] * 10
    started = time.monotonic()
    callback = pending.deliver(reply, allow_redirects=False)  # the code cannot be redeemed now
    assert time.monotonic() - started < 15
    assert callback.status_code == 503
    assert "Microsoft sign-in is not responding" in callback.text and "Traceback" not in callback.text
    assert callback.headers["Retry-After"].isdigit()
    # /login needs no call to the authority once discovery is cached, so it still answers at once with the
    # redirect; the browser then meets the outage at Microsoft's own address.
    login = Browserless(portal, emu).get("/login", allow_redirects=False)
    assert login.status_code == 302 and login.headers["Location"].startswith(emu.authority)

