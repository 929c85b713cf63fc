"""Security headers (portal_app/web/security_headers.py): each response carries each of them exactly once, pages
are not stored, and what a response set for itself (its own caching, its own CSP) is kept, not doubled."""

from __future__ import annotations

import pytest

from portal_app import create_app
from portal_app.web.security_headers import SecurityHeaders
from tests.portal_app.conftest import portal_test_config

ALWAYS = ("X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy", "Content-Security-Policy",
          "X-Frame-Options")


def counts(headers, names=ALWAYS) -> dict[str, int]:
    return {name: len(headers.getlist(name)) for name in names}


def headers_of(client, path: str, **kwargs):
    with client.get(path, **kwargs) as response:  # a static file's response holds the file open until closed
        return response.headers


@pytest.mark.parametrize("path", ["/", "/healthz", "/does-not-exist", "/static/portal.css", "/login"])
def test_every_response_carries_each_security_header_exactly_once(client, path):
    assert counts(headers_of(client, path)) == dict.fromkeys(ALWAYS, 1)


def test_a_page_is_not_stored_and_data_that_is_not_a_page_is_left_to_its_own_caching(client):
    assert headers_of(client, "/").getlist("Cache-Control") == ["no-store"]
    assert "Cache-Control" not in headers_of(client, "/healthz")  # JSON, not a page
    assert headers_of(client, "/static/portal.css").getlist("Cache-Control") == ["public, max-age=3600"]


def test_under_https_every_response_says_so_once(tmp_path, redis_url, entra):
    client = create_app(portal_test_config(tmp_path, redis_url, portal={"external_url": "https://portal.example"})
                        ).test_client()
    for path in ("/", "/healthz", "/static/portal.css"):
        headers = headers_of(client, path, base_url="https://portal.example")
        assert headers.getlist("Strict-Transport-Security") == ["max-age=31536000; includeSubDomains"]
        assert counts(headers) == dict.fromkeys(ALWAYS, 1)


def sent_headers(app, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What the portal's middleware sends for a response that set ``headers`` itself."""
    inner = lambda environ, start_response: start_response("200 OK", list(headers)) or [b""]  # noqa: E731
    sent = []
    wrapped = SecurityHeaders(inner, app.extensions["portal.settings"])
    wrapped({}, lambda status, found, exc_info=None: sent.extend(found))
    return sent


def test_a_response_keeps_its_own_policies_and_gets_ours_in_place_of_its_own_nosniff(tmp_path, redis_url, entra):
    app = create_app(portal_test_config(tmp_path, redis_url, portal={"external_url": "https://portal.example"}))
    sent = sent_headers(app, [("Content-Type", "text/html"), ("Referrer-Policy", "no-referrer"),
                              ("x-content-type-options", "sniff"), ("Content-Security-Policy", "frame-ancestors x"),
                              ("Cache-Control", "private")])
    names = [name.lower() for name, _ in sent]
    assert dict((name.lower(), value) for name, value in sent) == {
        "content-type": "text/html", "referrer-policy": "no-referrer", "content-security-policy": "frame-ancestors x",
        "cache-control": "private", "x-content-type-options": "nosniff", "cross-origin-opener-policy": "same-origin",
        "strict-transport-security": "max-age=31536000; includeSubDomains"}
    assert len(names) == len(set(names))  # nothing doubled, and no X-Frame-Options beside the response's own CSP
