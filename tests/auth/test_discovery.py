"""OpenID discovery: the metadata document is validated, fetched once per process, and failures are 503s."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
import responses

from auth.discovery import DiscoveryCache, discovery_url, entra_shaped, fetch_discovery, issuer_of
from auth.errors import AuthorityUnavailable
from tests.support.signed_tokens import (
    AUTHORITY,
    DISCOVERY_URL,
    ISSUER_TEMPLATE,
    JWKS_URI,
    TENANT_ISSUER,
    discovery_document,
)


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
    assert document["issuer"] == TENANT_ISSUER
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
    assert cache.issuer == TENANT_ISSUER
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
    assert cache.issuer == TENANT_ISSUER
    assert len(authority_metadata.calls) == 2



# --- bound to the configured authority (OpenID Connect Discovery 4.3, ASVS 10.5.3) ----------------------------

MICROSOFT = "https://login.microsoftonline.com"
TENANT = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"


@pytest.mark.parametrize("authority, issuer, where", [
    (f"{MICROSOFT}/{TENANT}", f"{MICROSOFT}/{TENANT}/v2.0", f"{MICROSOFT}/{TENANT}/v2.0"),
    (f"{MICROSOFT}/organizations", f"{MICROSOFT}/organizations/v2.0", f"{MICROSOFT}/organizations/v2.0"),
    (f"{MICROSOFT}/contoso.onmicrosoft.com", f"{MICROSOFT}/contoso.onmicrosoft.com/v2.0",
     f"{MICROSOFT}/contoso.onmicrosoft.com/v2.0"),
    (f"https://127.0.0.1:8443/{TENANT}", f"https://127.0.0.1:8443/{TENANT}/v2.0", f"https://127.0.0.1:8443/{TENANT}/v2.0"),
    ("https://idp.example/oidc", "https://idp.example/oidc", "https://idp.example/oidc"),
    ("https://idp.example", "https://idp.example", "https://idp.example"),
    (f"https://127.0.0.1:8443/{TENANT}/v2.0", f"https://127.0.0.1:8443/{TENANT}/v2.0",
     f"https://127.0.0.1:8443/{TENANT}/v2.0"),
], ids=["entra-tenant", "entra-organizations", "entra-domain", "emulator", "oidc-path", "oidc-host", "issuer-given"])
def test_the_document_is_looked_up_where_discovery_puts_it_for_the_authoritys_issuer(authority, issuer, where):
    assert issuer_of(authority) == issuer
    assert discovery_url(authority) == where + "/.well-known/openid-configuration"


def test_only_entra_shaped_authorities_are_entra():
    assert entra_shaped(f"{MICROSOFT}/{TENANT}") and entra_shaped(f"https://127.0.0.1:8443/{TENANT}")
    assert not entra_shaped("https://idp.example/oidc") and not entra_shaped(f"https://idp.example/{TENANT}/x")


def _fetch(authority: str, document: dict) -> dict:
    with responses.RequestsMock() as mock:
        mock.get(discovery_url(authority), json=document)
        return fetch_discovery(authority, requests.Session())


@pytest.mark.parametrize("authority, issuer", [
    (f"{MICROSOFT}/{TENANT}", f"{MICROSOFT}/{TENANT}/v2.0"),
    (f"{MICROSOFT}/organizations", ISSUER_TEMPLATE),
    (f"{MICROSOFT}/common", ISSUER_TEMPLATE),
    (f"{MICROSOFT}/contoso.onmicrosoft.com", f"{MICROSOFT}/{TENANT}/v2.0"),
    ("https://idp.example/oidc", "https://idp.example/oidc"),
])
def test_a_document_naming_the_authoritys_issuer_is_accepted(authority, issuer):
    keys = urlsplit(authority)._replace(path="/keys").geturl()
    assert _fetch(authority, {**discovery_document(authority), "issuer": issuer, "jwks_uri": keys})["issuer"] == issuer


@pytest.mark.parametrize("authority, issuer", [
    (f"{MICROSOFT}/{TENANT}", ISSUER_TEMPLATE),  # a tenant's authority publishing the multi-tenant template
    (f"{MICROSOFT}/{TENANT}", f"{MICROSOFT}/b7c4e1f2-9a3d-4e8b-8c5f-1a2b3c4d5e6f/v2.0"),  # another tenant
    (f"{MICROSOFT}/{TENANT}", f"https://evil.example/{TENANT}/v2.0"),
    (f"{MICROSOFT}/organizations", f"{MICROSOFT}/{TENANT}/v2.0"),
    (f"{MICROSOFT}/contoso.onmicrosoft.com", f"https://evil.example/{TENANT}/v2.0"),
    ("https://idp.example/oidc", "https://idp.example/other"),
    ("https://idp.example/oidc", "https://idp.example"),
], ids=["template-for-tenant", "other-tenant", "other-host", "tenant-for-organizations", "domain-other-host",
        "oidc-other-path", "oidc-parent"])
def test_a_document_naming_another_issuer_is_refused(authority, issuer):
    keys = urlsplit(authority)._replace(path="/keys").geturl()
    with pytest.raises(AuthorityUnavailable) as caught:
        _fetch(authority, {**discovery_document(authority), "issuer": issuer, "jwks_uri": keys})
    assert "not the issuer" in caught.value.reason


@pytest.mark.parametrize("jwks_uri", ["https://evil.example/keys", "https://login.microsoftonline.com.evil.example/k",
                                      "https://10.0.0.1/keys"])
def test_signing_keys_on_another_host_are_refused(jwks_uri):
    with pytest.raises(AuthorityUnavailable) as caught:
        _fetch(AUTHORITY, {**discovery_document(), "jwks_uri": jwks_uri})
    assert "signing keys" in caught.value.reason
