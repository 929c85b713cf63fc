"""An https portal serves pages over https only: plain http (a proxy's hops not trusted, or a client past the
proxy) is refused with a clear page, never half served."""

from __future__ import annotations

import pytest

from portal_app import create_app
from tests.portal_app.conftest import portal_test_config

HTTPS = {"external_url": "https://portal.example"}


def client_for(tmp_path, redis_url, **portal):
    return create_app(portal_test_config(tmp_path, redis_url, portal={**HTTPS, **portal})).test_client()


@pytest.mark.parametrize("path", ["/", "/login", "/services", "/auth/callback"])
def test_pages_over_plain_http_are_refused_when_the_portal_is_https(tmp_path, redis_url, entra, path):
    response = client_for(tmp_path, redis_url).get(path, base_url="http://portal.example")

    assert response.status_code == 400
    assert "only works over a secure (https) connection" in response.text
    assert "https://portal.example" in response.text
    assert "Set-Cookie" not in response.headers


def test_the_refusal_is_in_welsh_too(tmp_path, redis_url, entra):
    response = client_for(tmp_path, redis_url).get("/login", base_url="http://portal.example",
                                                   headers={"Accept-Language": "cy"})

    assert response.status_code == 400 and "gysylltiad diogel (https)" in response.text


def test_a_trusted_proxy_saying_https_is_believed(tmp_path, redis_url, entra):
    client = client_for(tmp_path, redis_url, trusted_proxy_hops=1)

    through_proxy = client.get("/login", base_url="http://portal.example", headers={"X-Forwarded-Proto": "https"})
    without_header = client.get("/login", base_url="http://portal.example")

    assert through_proxy.status_code == 302 and "__Host-portal_flow=" in through_proxy.headers["Set-Cookie"]
    assert without_header.status_code == 400


def test_the_same_header_is_not_believed_without_trusted_hops(tmp_path, redis_url, entra):
    response = client_for(tmp_path, redis_url).get("/login", base_url="http://portal.example",
                                                   headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_reach_each_app_server_directly_over_http(tmp_path, redis_url, entra, path):
    response = client_for(tmp_path, redis_url).get(path, base_url="http://portal.example")

    assert response.status_code in (200, 503) and response.is_json


def test_a_laptop_on_plain_http_localhost_is_served(client):
    assert client.get("/").status_code == 200
