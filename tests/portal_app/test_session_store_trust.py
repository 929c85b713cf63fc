"""What the session store may hold: data that is never code, and refresh tokens only sealed (issue 13).

Anyone who can write a ``portal:session:*`` key (or a file in var/sessions) must not run code in the portal,
and anyone who can read one must not find a refresh token in it.
"""

from __future__ import annotations

import os
import pickle

import pytest
import redis
from cachelib.file import FileSystemCache

from portal_app import create_app
from portal_app.signin.backend import SESSION_KEY_PREFIX
from tests.portal_app.conftest import SignInActions, portal_test_config


class _RunsCodeWhenUnpickled:
    """A pickle whose loading makes a folder: stands in for any code an attacker would run."""

    def __init__(self, marker) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.fixture(params=["redis", "files"])
def portal(request, tmp_path, redis_url, entra):
    """A portal on either session backend, with a way to write a raw value under a session key."""
    if request.param == "redis":
        app = create_app(portal_test_config(tmp_path, redis_url))
        client = redis.Redis.from_url(redis_url)

        def plant(sid: str, raw) -> None:
            client.set(SESSION_KEY_PREFIX + sid, pickle.dumps(raw), ex=600)

        def stored(sid: str) -> bytes:
            return client.get(SESSION_KEY_PREFIX + sid) or b""
    else:
        app = create_app(portal_test_config(tmp_path))
        folder = tmp_path / "sessions"

        def plant(sid: str, raw) -> None:
            FileSystemCache(str(folder)).set(SESSION_KEY_PREFIX + sid, raw)  # cachelib's default: pickle

        def stored(sid: str) -> bytes:
            return b"".join(path.read_bytes() for path in folder.iterdir() if path.is_file())
    app.plant, app.stored = plant, stored
    return app


def test_a_planted_pickle_in_the_session_store_is_never_loaded(portal, tmp_path):
    marker = tmp_path / "code-ran"
    sid = "planted-session-id-0123456789abcdefghijkl"
    portal.plant(sid, _RunsCodeWhenUnpickled(marker))
    client = portal.test_client()
    client.set_cookie("portal_session", sid, domain="localhost")

    response = client.get("/services")

    assert not marker.exists(), "the session store's bytes were run as code"
    assert response.status_code == 302 and response.location.startswith("/?next=")


def test_the_stored_session_holds_no_refresh_token_in_clear(portal, entra):
    client = portal.test_client()
    SignInActions(client, entra).sign_in()
    sid = client.get_cookie("portal_session").value

    raw = portal.stored(sid)

    assert raw, "the session was not stored"
    assert b"fake-refresh-token" not in raw and b"fake-access-token" not in raw
    assert client.get("/services").status_code == 200
