"""Shared fixtures: real Redis (started here if the machine has none running)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest
import redis


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """A Redis that answers: REDIS_URL, the machine's own, or one started for this test run."""
    for url in (os.environ.get("REDIS_URL"), "redis://127.0.0.1:6379/14"):
        if url and _answers(url):
            yield url
            return
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("No Redis answers and redis-server is not installed: apt-get install redis-server")
    port = _free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis"))],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if _answers(url):
            break
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)
