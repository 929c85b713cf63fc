"""Sessions on Redis Sentinel and Redis Cluster, against real servers started for the test."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time

import pytest

from portal_app import create_app
from portal_app.redis_connect import redis_client, redis_url_problem
from tests.portal_app.conftest import SignInActions, portal_test_config


def _free_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free and valid too."""
    for port in random.sample(range(20000, 40000), 200):
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise AssertionError("no free port pair")


def _wait(check, seconds=15.0):
    deadline, last = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # noqa: BLE001 - not up yet
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"server did not come up: {last!r}")


@pytest.fixture
def servers(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed: apt-get install redis-server")
    processes = []

    def start(*args, config: str | None = None):
        folder = tmp_path / f"node{len(processes)}"
        folder.mkdir()
        command = ["redis-server"]
        if config is not None:  # a Sentinel: its own config file, which it rewrites
            (folder / "redis.conf").write_text(config)
            command += [str(folder / "redis.conf"), "--sentinel", "--dir", str(folder)]
        else:
            command += ["--dir", str(folder), "--save", "", "--appendonly", "no", *args]
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=10)


def test_sessions_work_through_sentinel(servers, tmp_path, entra):
    master, sentinel = _free_port(), _free_port()
    servers("--port", str(master), "--bind", "127.0.0.1")
    servers(config=f"port {sentinel}\nbind 127.0.0.1\nsentinel monitor portal 127.0.0.1 {master} 1\n")
    url = f"redis+sentinel://127.0.0.1:{sentinel}/portal/0"
    _wait(lambda: redis_client(url).ping())
    app = create_app(portal_test_config(tmp_path, url))
    browser = SignInActions(app.test_client(), entra)
    browser.sign_in()
    assert browser.client.get("/services").status_code == 200


def test_sessions_work_on_a_cluster(servers, tmp_path, entra):
    ports = [_free_port() for _ in range(3)]
    for port in ports:
        servers("--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                "--cluster-config-file", f"nodes-{port}.conf")
    _wait(lambda: all(subprocess.run(["redis-cli", "-p", str(p), "ping"], capture_output=True).returncode == 0
                      for p in ports))
    subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports], "--cluster-yes"],
                   check=True, capture_output=True, timeout=30)
    url = "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in ports)
    _wait(lambda: redis_client(url).set("probe", "1"))
    app = create_app(portal_test_config(tmp_path, url))
    laptop, phone = SignInActions(app.test_client(), entra), SignInActions(app.test_client(), entra)
    laptop.sign_in()
    phone.sign_in()
    assert laptop.client.get("/services").status_code == 200
    sid = "00aa11bb-22cc-33dd-44ee-55ff66aa77bb"  # the sid claim of the test tokens
    assert app.test_client().get(f"/auth/frontchannel-logout?sid={sid}").status_code == 200
    assert laptop.client.get("/services").status_code == 302 and phone.client.get("/services").status_code == 302


@pytest.mark.parametrize("url, ok", [
    ("redis://127.0.0.1:6379/0", True),
    ("rediss://cache.example:6380/1", True),
    ("redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26379/portal/2", True),
    ("redis+cluster://10.0.0.1:7000,10.0.0.2:7000", True),
    ("redis+sentinel://10.0.0.1:26379", False),
    ("redis+cluster://10.0.0.1", False),
    ("memcached://x:1", False),
])
def test_redis_urls_are_checked_at_start(url, ok):
    assert (redis_url_problem(url) is None) is ok
