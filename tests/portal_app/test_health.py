"""Liveness, readiness, and a 503 (never a 500) while Redis is away."""

from __future__ import annotations

from portal_app import create_app
from tests.portal_app.conftest import METRICS_AUTH, portal_test_config
from tests.support.fake_entra import DISCOVERY_URL

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def test_healthz_answers(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_is_ready_with_redis_and_authority(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json


def test_readyz_says_why_when_redis_is_down(tmp_path, entra):
    client = create_app(portal_test_config(tmp_path, CLOSED_PORT_REDIS)).test_client()
    response = client.get("/readyz", headers=METRICS_AUTH)
    assert response.status_code == 503
    assert "session_store" in response.json["problems"]


def test_readyz_says_why_when_the_authority_is_down(tmp_path, redis_url, entra):
    entra.mock.replace("GET", DISCOVERY_URL, status=500)
    client = create_app(portal_test_config(tmp_path, redis_url)).test_client()
    response = client.get("/readyz", headers=METRICS_AUTH)
    assert response.status_code == 503
    assert "authority" in response.json["problems"]


def test_pages_answer_503_with_retry_after_while_redis_is_down(tmp_path, entra):
    client = create_app(portal_test_config(tmp_path, CLOSED_PORT_REDIS)).test_client()
    client.set_cookie("portal_session", "some-session-id", domain="localhost")
    response = client.get("/services")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert b"try again" in response.data


def test_readyz_tells_anyone_only_that_it_is_not_ready(tmp_path, entra):
    client = create_app(portal_test_config(tmp_path, CLOSED_PORT_REDIS)).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.json == {"status": "unavailable"}
    assert "127.0.0.1" not in response.get_data(as_text=True) and ":1" not in response.get_data(as_text=True)


def test_readyz_gives_the_detail_to_the_metrics_token(tmp_path, entra):
    client = create_app(portal_test_config(tmp_path, CLOSED_PORT_REDIS)).test_client()
    response = client.get("/readyz", headers=METRICS_AUTH)
    assert response.status_code == 503 and "session_store" in response.json["problems"]
