"""/metrics: who may read it, and what it counts (sign-ins, callback latency, authority calls, store errors)."""

from __future__ import annotations

import pytest
import responses

from portal_app import create_app
from portal_app.web.metrics import REGISTRY, authority_endpoint
from tests.portal_app.conftest import SignInActions, portal_test_config
from tests.support.fake_entra import TOKEN_URL


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_served_to_loopback_in_prometheus_format(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    for name in ("portal_sign_ins_total", "portal_callback_seconds", "portal_authority_request_seconds",
                 "portal_authority_errors_total", "portal_session_store_errors_total"):
        assert f"# TYPE {name}" in response.text


@pytest.mark.parametrize("environ, headers", [
    ({"REMOTE_ADDR": "10.1.2.3"}, {}),
    ({"REMOTE_ADDR": "203.0.113.9"}, {}),
    ({}, {"X-Forwarded-For": "203.0.113.9"}),  # a proxy on the same host must not make outsiders local
    ({}, {"Forwarded": "for=203.0.113.9"}),
    ({"REMOTE_ADDR": "not-an-ip"}, {}),
])
def test_metrics_are_hidden_from_everyone_else(client, environ, headers):
    assert client.get("/metrics", environ_base=environ, headers=headers).status_code == 404


@pytest.mark.parametrize("authorization, status", [
    ("Bearer s3cret-metrics-token", 200),
    ("Bearer wrong", 404),
    ("s3cret-metrics-token", 404),
    ("", 404),  # with a token configured, loopback alone is not enough
])
def test_metrics_token_is_required_when_configured(tmp_path, redis_url, entra, monkeypatch, authorization, status):
    monkeypatch.setenv("PORTAL_METRICS_TOKEN", "s3cret-metrics-token")
    client = create_app(portal_test_config(tmp_path, redis_url)).test_client()

    headers = {"Authorization": authorization} if authorization else {}
    assert client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code == status


def test_successful_sign_in_is_counted_and_timed(auth):
    successes = sample("portal_sign_ins_total", outcome="success", error="")
    callbacks = sample("portal_callback_seconds_count")
    token_calls = sample("portal_authority_request_seconds_count", endpoint="token")

    assert auth.sign_in().status_code == 303

    assert sample("portal_sign_ins_total", outcome="success", error="") == successes + 1
    assert sample("portal_callback_seconds_count") == callbacks + 1
    assert sample("portal_authority_request_seconds_count", endpoint="token") == token_calls + 1


def test_refused_sign_in_is_counted_with_its_error(client, entra):
    before = sample("portal_sign_ins_total", outcome="refused", error="invalid_request")
    refused = client.post("/auth/callback", data={"code": "x", "state": "never-issued"})

    assert refused.status_code == 400
    after = sum(sample("portal_sign_ins_total", outcome="refused", error=e)
                for e in ("invalid_request", "invalid_state", "invalid_grant"))
    assert after >= before + 1


def test_authority_errors_are_counted(app, entra, client):
    entra.mock.replace(responses.POST, TOKEN_URL, status=503, json={"error": "temporarily_unavailable"})
    before = sample("portal_authority_errors_total", endpoint="token", kind="http_503")

    SignInActions(client, entra).sign_in()

    assert sample("portal_authority_errors_total", endpoint="token", kind="http_503") == before + 1


def test_session_store_errors_are_counted(tmp_path, entra):
    app = create_app(portal_test_config(tmp_path, "redis://127.0.0.1:1/0"))
    client = app.test_client()
    client.set_cookie("portal_session", "a" * 32)
    before = sample("portal_session_store_errors_total")

    assert client.get("/services").status_code == 503

    assert sample("portal_session_store_errors_total") >= before + 1


@pytest.mark.parametrize("url, label", [
    ("https://login.example/t/oauth2/v2.0/token", "token"),
    ("https://login.example/t/v2.0/.well-known/openid-configuration", "discovery"),
    ("https://login.example/t/discovery/v2.0/keys?x=1", "keys"),
    ("https://login.example/t/oauth2/v2.0/logout", "logout"),
    ("https://login.example/anything/else", "other"),
])
def test_authority_endpoint_labels_are_bounded(url, label):
    assert authority_endpoint(url) == label
