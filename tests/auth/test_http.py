"""The authority's HTTP session: an extra CA that wins over REQUESTS_CA_BUNDLE, and a bound on every call."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from auth.http import authority_session
from emulator.testing import running_emulator


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with running_emulator(tmp_path_factory.mktemp("emulator")) as emulator:
        yield emulator


def test_portal_ca_bundle_wins_over_requests_ca_bundle(emu, monkeypatch):
    # This machine sets REQUESTS_CA_BUNDLE to the system store, which does not know the emulator's CA.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    with authority_session(5, str(emu.ca_path)) as http:
        response = http.get(f"{emu.authority}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200


def test_without_the_extra_ca_the_emulator_is_not_trusted(emu):
    with authority_session(5) as http, pytest.raises(requests.exceptions.SSLError):
        http.get(f"{emu.authority}/v2.0/.well-known/openid-configuration")


@pytest.fixture
def hanging_server():
    """A server that accepts connections and never answers, like a stuck token endpoint."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/token"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_a_hanging_authority_is_abandoned_after_the_timeout(hanging_server):
    # No timeout is passed here, as MSAL passes none: without the session's default this would hang forever.
    with authority_session(1) as http, pytest.raises(requests.Timeout):
        http.post(hanging_server, data={"grant_type": "authorization_code"})
