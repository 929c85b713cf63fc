"""The JWKS cache: one fetch per process, rate-limited refetch on unknown kids, keys survive outages."""

from __future__ import annotations

import json
import threading

import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from auth.errors import AuthorityUnavailable, InvalidToken
from auth.jwks import JwksCache
from auth.tokens import validate_id_token
from tests.support.signed_tokens import (
    APPOINTEE_TENANT_ID,
    ISSUER_TEMPLATE,
    JWKS_URI,
    PORTAL_CLIENT_ID,
    ROTATED_KID,
    TRUSTED_KID,
    TokenFactory,
    jwks_document,
    public_jwk,
    rotated_key,
    trusted_key,
)


def replace_jwks(authority, document=None, **answer) -> None:
    """Make the fake authority answer later JWKS requests with ``document`` or another answer."""
    if document is not None:
        answer["json"] = document
    authority.replace(responses.GET, JWKS_URI, **answer)


def test_fetches_keys_once_and_serves_them_from_memory(jwks_cache, authority):
    first = jwks_cache.key_for(TRUSTED_KID)
    assert jwks_cache.key_for(TRUSTED_KID) is first
    assert len(authority.calls) == 1
    assert first.public_numbers() == trusted_key().public_key().public_numbers()


def test_every_request_carries_the_configured_timeout(authority, clock):
    JwksCache(JWKS_URI, requests.Session(), timeout=2.5, clock=clock).key_for(TRUSTED_KID)
    assert authority.calls[0].request.req_kwargs["timeout"] == 2.5


def test_accepts_token_signed_with_a_rotated_key_after_one_refetch(jwks_cache, authority, clock):
    jwks_cache.key_for(TRUSTED_KID)
    replace_jwks(authority, jwks_document((trusted_key(), TRUSTED_KID), (rotated_key(), ROTATED_KID)))
    clock.advance(31)
    token = TokenFactory(key=rotated_key(), kid=ROTATED_KID).mint()
    claims = validate_id_token(
        token,
        jwks=jwks_cache,
        issuer_template=ISSUER_TEMPLATE,
        client_id=PORTAL_CLIENT_ID,
        allowed_tenants=[APPOINTEE_TENANT_ID],
    )
    assert claims["tid"] == APPOINTEE_TENANT_ID
    assert len(authority.calls) == 2


def test_unknown_kids_refetch_at_most_once_per_interval(jwks_cache, authority, clock):
    jwks_cache.key_for(TRUSTED_KID)
    clock.advance(100)
    with pytest.raises(InvalidToken):
        jwks_cache.key_for("made-up-1")
    clock.advance(10)
    with pytest.raises(InvalidToken):
        jwks_cache.key_for("made-up-2")
    assert len(authority.calls) == 2  # the warm-up fetch and one refetch, not two
    clock.advance(21)
    with pytest.raises(InvalidToken):
        jwks_cache.key_for("made-up-3")
    assert len(authority.calls) == 3


def test_unknown_kid_right_after_start_waits_for_the_interval(jwks_cache, authority, clock):
    jwks_cache.key_for(TRUSTED_KID)
    replace_jwks(authority, jwks_document((trusted_key(), TRUSTED_KID), (rotated_key(), ROTATED_KID)))
    clock.advance(5)
    with pytest.raises(InvalidToken):
        jwks_cache.key_for(ROTATED_KID)
    clock.advance(30)
    assert jwks_cache.key_for(ROTATED_KID) is not None
    assert len(authority.calls) == 2


def test_concurrent_lookups_of_an_unknown_kid_share_one_refetch(jwks_cache, authority, clock):
    jwks_cache.key_for(TRUSTED_KID)
    replace_jwks(authority, jwks_document((trusted_key(), TRUSTED_KID), (rotated_key(), ROTATED_KID)))
    clock.advance(60)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(jwks_cache.key_for(ROTATED_KID))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len(authority.calls) == 2


def test_withdrawn_key_stops_working_after_a_refetch(jwks_cache, authority, clock):
    jwks_cache.key_for(TRUSTED_KID)
    replace_jwks(authority, jwks_document((rotated_key(), ROTATED_KID)))
    clock.advance(31)
    jwks_cache.key_for(ROTATED_KID)
    with pytest.raises(InvalidToken):
        jwks_cache.key_for(TRUSTED_KID)


OUTAGES = [
    pytest.param({"body": requests.Timeout("read timed out")}, id="timeout"),
    pytest.param({"body": requests.ConnectionError("refused")}, id="connection-refused"),
    pytest.param({"status": 503}, id="http-503"),
    pytest.param({"status": 404}, id="http-404"),
    pytest.param({"body": "<html>maintenance</html>"}, id="not-json"),
    pytest.param({"body": "[1, 2]"}, id="json-list"),
    pytest.param({"body": '{"keys": "none"}'}, id="keys-not-list"),
    pytest.param({"body": '{"keys": []}'}, id="no-keys"),
    pytest.param(
        {"body": '{"keys": [{"kty": "RSA", "use": "enc", "kid": "k", "n": "AQAB", "e": "AQAB"}]}'},
        id="no-usable-keys",
    ),
    pytest.param({"body": '{"keys": []}' + " " * 600_000}, id="too-large"),
]


@pytest.mark.parametrize("outage", OUTAGES)
def test_cached_keys_keep_working_while_jwks_is_down(jwks_cache, authority, clock, outage):
    jwks_cache.key_for(TRUSTED_KID)
    replace_jwks(authority, **outage)
    clock.advance(2 * 24 * 3600)  # past max_key_age, so the cache does try to refresh
    assert jwks_cache.key_for(TRUSTED_KID) is not None
    assert len(authority.calls) == 2


@pytest.mark.parametrize("outage", OUTAGES)
def test_unknown_kid_during_an_outage_is_authority_unavailable(jwks_cache, authority, clock, outage):
    jwks_cache.key_for(TRUSTED_KID)
    replace_jwks(authority, **outage)
    clock.advance(31)
    with pytest.raises(AuthorityUnavailable):
        jwks_cache.key_for(ROTATED_KID)


@pytest.mark.parametrize("outage", OUTAGES)
def test_first_fetch_failing_is_authority_unavailable_and_not_retried_at_once(authority, clock, outage):
    replace_jwks(authority, **outage)
    cache = JwksCache(JWKS_URI, requests.Session(), clock=clock)
    for _ in range(3):
        with pytest.raises(AuthorityUnavailable):
            cache.key_for(TRUSTED_KID)
    assert len(authority.calls) == 1
    assert not cache.has_keys


def test_recovers_once_the_authority_is_back(authority, clock):
    replace_jwks(authority, status=503)
    cache = JwksCache(JWKS_URI, requests.Session(), clock=clock)
    with pytest.raises(AuthorityUnavailable):
        cache.key_for(TRUSTED_KID)
    replace_jwks(authority, jwks_document((trusted_key(), TRUSTED_KID)))
    clock.advance(30)
    assert cache.key_for(TRUSTED_KID) is not None
    assert cache.has_keys


def test_refresh_fetches_now_and_reports_failure(authority, clock):
    cache = JwksCache(JWKS_URI, requests.Session(), clock=clock)
    cache.refresh()
    assert cache.has_keys
    replace_jwks(authority, status=500)
    with pytest.raises(AuthorityUnavailable):
        cache.refresh()
    assert cache.key_for(TRUSTED_KID) is not None


def _small_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def _ec_jwk(kid: str) -> dict:
    jwk = json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key()))
    return {**jwk, "kid": kid, "use": "sig"}


@pytest.mark.parametrize(
    "make_jwk",
    [
        pytest.param(lambda: public_jwk(rotated_key(), "bad", use="enc"), id="encryption-key"),
        pytest.param(lambda: public_jwk(rotated_key(), "bad", alg="RS512"), id="other-alg"),
        pytest.param(lambda: public_jwk(_small_rsa_key(), "bad"), id="rsa-1024"),
        pytest.param(lambda: _ec_jwk("bad"), id="ec-key"),
        pytest.param(lambda: {"kty": "oct", "kid": "bad", "k": "c2VjcmV0"}, id="symmetric-key"),
        pytest.param(lambda: {"kty": "RSA", "kid": "bad", "n": "!!", "e": "AQAB"}, id="malformed-modulus"),
        pytest.param(lambda: {"kty": "RSA", "kid": "bad"}, id="no-modulus"),
        pytest.param(lambda: "bad", id="not-an-object"),
    ],
)
def test_skips_keys_not_fit_for_rs256_signatures(authority, clock, make_jwk):
    document = jwks_document((trusted_key(), TRUSTED_KID))
    document["keys"].append(make_jwk())
    replace_jwks(authority, document)
    cache = JwksCache(JWKS_URI, requests.Session(), clock=clock)
    assert cache.key_for(TRUSTED_KID) is not None
    with pytest.raises(InvalidToken):
        cache.key_for("bad")


def test_accepts_keys_without_use_or_alg(authority, clock):
    jwk = public_jwk(trusted_key(), TRUSTED_KID)
    del jwk["use"]
    replace_jwks(authority, {"keys": [jwk]})
    assert JwksCache(JWKS_URI, requests.Session(), clock=clock).key_for(TRUSTED_KID) is not None


def test_skips_a_private_key_published_by_mistake(authority, clock):
    private = {**json.loads(RSAAlgorithm.to_jwk(rotated_key())), "kid": "bad", "use": "sig"}
    replace_jwks(authority, {"keys": [public_jwk(trusted_key(), TRUSTED_KID), private]})
    cache = JwksCache(JWKS_URI, requests.Session(), clock=clock)
    with pytest.raises(InvalidToken):
        cache.key_for("bad")


@pytest.mark.parametrize("uri", ["http://login.example/keys", "file:///etc/keys.json", "keys.json", ""])
def test_refuses_a_jwks_uri_that_is_not_https(uri):
    with pytest.raises(ValueError):
        JwksCache(uri, requests.Session())
