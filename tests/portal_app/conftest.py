"""Fixtures for the portal's unit tests: an app against a fake Entra (``responses``) and real Redis."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from portal_app import create_app
from tests.support.fake_entra import FakeEntra
from tests.support.signed_tokens import APPOINTEE_TENANT_ID, AUTHORITY, PORTAL_CLIENT_ID

SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
# Outside dev mode the portal needs a metrics token (for /metrics and the detail of /readyz).
METRICS_TOKEN = "test-metrics-token-0123456789abcdef"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}
# For tests that sign in or post far more often than a person does (fuzzing, races), from the one test address.
UNLIMITED = {"login": "100000 per minute", "anonymous_posts": "100000 per minute"}


def portal_test_config(tmp_path, redis_url: str | None = None, **sections) -> dict:
    config = {
        "portal": {"external_url": "http://localhost:5000", "secret_key": SECRET_KEY, "dev_mode": False},
        "auth": {"authority": AUTHORITY, "client_id": PORTAL_CLIENT_ID, "client_secret": "test-client-secret",
                 "allowed_tenants": [APPOINTEE_TENANT_ID], "ca_bundle": "", "http_timeout_seconds": 5.0},
        "session": {"redis_url": redis_url or "", "file_dir": str(tmp_path / "sessions")},
        "database": {"url": f"sqlite:///{tmp_path / 'portal.sqlite3'}"},
        # The shipped file names the emulator's Graph, which a portal outside dev mode refuses.
        "roles": {"graph_base_url": "https://graph.microsoft.com"},
        # Rate-limit counters of their own: the test client always comes from 127.0.0.1, and tests (of this
        # run and of others on the machine) share one Redis.
        "limits": {"key_prefix": f"test:{uuid.uuid4().hex}:limits"},
        "flask": {"TESTING": True},
    }
    if redis_url is None:
        config["portal"]["dev_mode"] = True
    else:
        config["portal"]["metrics_token"] = METRICS_TOKEN
    for section, values in sections.items():
        config.setdefault(section, {}).update(values)
    return config


@pytest.fixture
def entra():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeEntra(mock)


@pytest.fixture
def app(tmp_path, redis_url, entra):
    return create_app(portal_test_config(tmp_path, redis_url))


@pytest.fixture
def client(app):
    return app.test_client()


class SignInActions:
    """Drive a sign-in through the portal's routes against the fake Entra, as a browser would."""

    def __init__(self, client, entra: FakeEntra) -> None:
        self.client = client
        self.entra = entra

    def start(self, next_path: str | None = None, **params) -> dict[str, str]:
        query = {"next": next_path, **params} if next_path else params
        response = self.client.get("/login", query_string=query)
        assert response.status_code == 302, response.data
        return self.entra.remember_authorize(response.location)

    def callback(self, authorize: dict[str, str], *, code: str = "test-code", **extra):
        form = {"code": code, "state": authorize["state"], "session_state": "s", **extra}
        return self.client.post("/auth/callback", data=form)

    def sign_in(self, next_path: str | None = None, **claims):
        self.entra.token_overrides = claims
        return self.callback(self.start(next_path))


@pytest.fixture
def auth(client, entra) -> SignInActions:
    return SignInActions(client, entra)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}

from tests.portal_app.conftest_data import database_at_head, migrated_sqlite_template  # noqa: E402,F401
