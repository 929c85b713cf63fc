"""ProxyFix: forwarded headers count only from the configured number of trusted proxies."""

from __future__ import annotations

import pytest
from flask import request

from portal_app import create_app
from tests.portal_app.conftest import portal_test_config

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}


def _seen_by_app(tmp_path, redis_url, hops: int, headers=FORWARDED) -> dict:
    app = create_app(portal_test_config(tmp_path, redis_url, portal={"trusted_proxy_hops": hops}))
    app.add_url_rule("/_probe", "probe", lambda: {"addr": request.remote_addr, "scheme": request.scheme,
                                                  "host": request.host})
    return app.test_client().get("/_probe", headers=headers).get_json()


def test_without_trusted_proxies_forwarded_headers_are_ignored(tmp_path, redis_url, entra):
    seen = _seen_by_app(tmp_path, redis_url, 0)

    assert seen == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_fewer_forwarded_values_than_trusted_hops_are_ignored(tmp_path, redis_url, entra):
    seen = _seen_by_app(tmp_path, redis_url, 2)  # one value where two proxies should have written

    assert seen["addr"] == "127.0.0.1" and seen["scheme"] == "http"


@pytest.mark.parametrize("hops, forwarded_for, proto", [
    (1, "203.0.113.7", "https"),
    (2, "203.0.113.7, 10.0.0.2", "https, http"),  # each proxy appends; the outer one saw the client
])
def test_with_trusted_proxies_client_address_and_scheme_come_from_them_but_never_the_host(
        tmp_path, redis_url, entra, hops, forwarded_for, proto):
    headers = {**FORWARDED, "X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": proto}
    seen = _seen_by_app(tmp_path, redis_url, hops, headers)

    assert seen["addr"] == "203.0.113.7" and seen["scheme"] == "https"
    assert seen["host"] == "localhost"  # X-Forwarded-Host is never trusted


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "localhost.evil.example", "127.0.0.2"])
def test_a_forged_host_is_refused_and_never_reflected(client, host):
    response = client.get("/emi", headers={"Host": host})

    assert response.status_code == 400
    assert "evil.example" not in response.headers.get("Location", "")
    assert "Something in that request was not right" in response.get_data(as_text=True)


def test_the_external_urls_host_is_served(client):
    response = client.get("/emi", headers={"Host": "localhost:5000"})
    assert response.status_code == 308 and response.location in ("/emi/", "http://localhost:5000/emi/")


def test_extra_hosts_serve_probes_that_use_another_name(tmp_path, redis_url, entra):
    app = create_app(portal_test_config(tmp_path, redis_url, portal={"extra_hosts": ["10.0.0.8"]}))
    assert app.test_client().get("/healthz", headers={"Host": "10.0.0.8:8000"}).status_code == 200
    assert app.test_client().get("/healthz", headers={"Host": "10.0.0.9:8000"}).status_code == 400


def test_hosts_served_before_never_let_a_forged_one_through(client):
    """Trusted Host values are remembered (web.proxy): a forged host is still refused after any number of
    trusted ones, with or without ports, and once the memory is full the check itself still runs."""
    for port in range(1, 100):
        assert client.get("/healthz", headers={"Host": f"localhost:{port}"}).status_code == 200
    for host in ("evil.example", "localhost.evil.example", "evil.example:1", "LOCALHOST.evil.example"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 400
    assert client.get("/healthz", headers={"Host": "localhost:4242"}).status_code == 200  # past the memory's size
    assert client.get("/healthz", headers={"Host": "evil.example:4243"}).status_code == 400

