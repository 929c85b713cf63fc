"""/metrics: who may read it, and what it counts (sign-ins, callback latency, authority calls, store errors)."""

from __future__ import annotations

import uuid

import pytest
import responses

from auth.errors import KNOWN_ERROR_CODES
from portal_app import create_app
from portal_app.settings import ConfigError
from portal_app.web.metrics import REGISTRY, authority_endpoint
from tests.portal_app.conftest import METRICS_AUTH, SignInActions, portal_test_config
from tests.support.fake_entra import TOKEN_URL


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_served_to_the_token_in_prometheus_format(client):
    response = client.get("/metrics", headers=METRICS_AUTH)

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
    ("Bearer s3cret-metrics-token-from-the-environment", 200),
    ("Bearer wrong", 404),
    ("s3cret-metrics-token-from-the-environment", 404),
    ("", 404),  # with a token configured, loopback alone is not enough
])
def test_metrics_token_is_required_when_configured(tmp_path, redis_url, entra, monkeypatch, authorization, status):
    monkeypatch.setenv("PORTAL_METRICS_TOKEN", "s3cret-metrics-token-from-the-environment")
    config = portal_test_config(tmp_path, redis_url)
    del config["portal"]["metrics_token"]  # so the environment's applies
    client = create_app(config).test_client()

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


def _label_values(name: str, label: str) -> set[str]:
    return {sample.labels[label] for metric in REGISTRY.collect() if metric.name == name.removesuffix("_total")
            for sample in metric.samples if label in sample.labels}


def test_visitors_cannot_choose_metric_labels(client, auth):
    # Anyone can start a flow and post error=<anything> to the callback: each value must not become a series.
    chosen = "visitor-chosen-" + uuid.uuid4().hex
    authorize = auth.start()
    refused = auth.callback(authorize, error=chosen, error_description="made up")

    assert refused.status_code == 401
    assert chosen not in refused.get_data(as_text=True)
    assert chosen not in _label_values("portal_sign_ins_total", "error")
    assert _label_values("portal_sign_ins_total", "error") <= KNOWN_ERROR_CODES | {"", "other"}


def test_a_known_oauth_error_keeps_its_label(client, auth):
    before = sample("portal_sign_ins_total", outcome="refused", error="access_denied")
    auth.callback(auth.start(), error="access_denied")
    assert sample("portal_sign_ins_total", outcome="refused", error="access_denied") == before + 1


def test_outside_dev_mode_the_portal_refuses_to_start_without_a_metrics_token(tmp_path, redis_url, entra):
    with pytest.raises(ConfigError) as refused:
        create_app(portal_test_config(tmp_path, redis_url, portal={"metrics_token": ""}))
    assert "portal.metrics_token" in {problem.key for problem in refused.value.problems}


def test_outside_dev_mode_loopback_without_the_token_gets_nothing(client):
    # Behind a reverse proxy on the same host that adds no forwarded header, every visitor is loopback.
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=METRICS_AUTH).status_code == 200


def test_in_dev_mode_without_a_token_only_direct_loopback_reads_metrics(tmp_path, entra):
    client = create_app(portal_test_config(tmp_path)).test_client()  # dev mode, file sessions, no token
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
