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
