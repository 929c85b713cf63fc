"""OpenID discovery: the metadata document is validated, fetched once per process, and failures are 503s."""

from __future__ import annotations

import pytest
import requests
import responses

from auth.discovery import DiscoveryCache, discovery_url, fetch_discovery
from auth.errors import AuthorityUnavailable
from tests.support.signed_tokens import AUTHORITY, DISCOVERY_URL, ISSUER_TEMPLATE, JWKS_URI, discovery_document


@pytest.fixture
def authority_metadata():
    """A ``responses`` mock serving the discovery document of the fake authority."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(DISCOVERY_URL, json=discovery_document())
        yield mock


@pytest.mark.parametrize("authority", [AUTHORITY, AUTHORITY + "/"])
def test_discovery_url_is_the_one_msal_reads(authority):
    assert discovery_url(authority) == DISCOVERY_URL


def test_fetches_and_returns_the_document(authority_metadata):
    document = fetch_discovery(AUTHORITY, requests.Session(), timeout=3.0)
    assert document["issuer"] == ISSUER_TEMPLATE
    assert document["jwks_uri"] == JWKS_URI
    assert authority_metadata.calls[0].request.req_kwargs["timeout"] == 3.0


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"body": requests.Timeout("read timed out")}, id="timeout"),
        pytest.param({"body": requests.ConnectionError("refused")}, id="connection-refused"),
        pytest.param({"status": 500}, id="http-500"),
        pytest.param({"status": 400, "json": {"error": "invalid_tenant"}}, id="unknown-tenant"),
        pytest.param({"body": "<html>sign in</html>"}, id="not-json"),
        pytest.param({"json": ["issuer"]}, id="json-list"),
        pytest.param({"body": "{}" + " " * 300_000}, id="too-large"),
    ],
)
def test_unusable_answers_are_authority_unavailable(authority_metadata, answer):
    authority_metadata.replace(responses.GET, DISCOVERY_URL, **answer)
    with pytest.raises(AuthorityUnavailable):
        fetch_discovery(AUTHORITY, requests.Session())


@pytest.mark.parametrize(
    "field", ["issuer", "jwks_uri", "authorization_endpoint", "token_endpoint", "end_session_endpoint"]
)
@pytest.mark.parametrize(
    "value",
    ["<omit>", "http://login.example/x", "https://", "/relative/path", "javascript:alert(1)", 42, None],
    ids=["missing", "plain-http", "no-host", "relative", "javascript", "number", "null"],
)
def test_refuses_documents_without_https_endpoints(authority_metadata, field, value):
    document = discovery_document()
    if value == "<omit>":
        del document[field]
    else:
        document[field] = value
    authority_metadata.replace(responses.GET, DISCOVERY_URL, json=document)
    with pytest.raises(AuthorityUnavailable) as caught:
        fetch_discovery(AUTHORITY, requests.Session())
    assert field in caught.value.reason


def test_refuses_an_authority_that_is_not_https():
    with pytest.raises(AuthorityUnavailable):
        fetch_discovery("http://login.example/tenant", requests.Session())


def test_cache_fetches_once_per_process(authority_metadata):
    cache = DiscoveryCache(AUTHORITY, requests.Session())
    assert cache.issuer == ISSUER_TEMPLATE
    assert cache.jwks_uri == JWKS_URI
    assert cache.end_session_endpoint.endswith("/logout")
    assert len(authority_metadata.calls) == 1


def test_cache_does_not_retry_a_failed_fetch_at_once_but_recovers(authority_metadata):
    now = [0.0]
    authority_metadata.replace(responses.GET, DISCOVERY_URL, status=503)
    cache = DiscoveryCache(AUTHORITY, requests.Session(), min_refetch_interval=10, clock=lambda: now[0])
    for _ in range(3):
        with pytest.raises(AuthorityUnavailable):
            cache.document()
    assert len(authority_metadata.calls) == 1
    authority_metadata.replace(responses.GET, DISCOVERY_URL, json=discovery_document())
    now[0] = 10.0
    assert cache.issuer == ISSUER_TEMPLATE
    assert len(authority_metadata.calls) == 2
