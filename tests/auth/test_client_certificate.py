"""The certificate credential: files read and paired with every problem at once, and the assertion it signs."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs

import jwt
import pytest
import responses
from cryptography.hazmat.primitives import serialization

from auth.client_certificate import ClientCertificateError, load_client_certificate
from auth.http import authority_session
from auth.msal_client import MsalClient
from tests.support.fake_entra import TOKEN_URL
from tests.support.pki import client_certificate
from tests.support.signed_tokens import AUTHORITY, PORTAL_CLIENT_ID, discovery_document

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return client_certificate(tmp_path_factory.mktemp("client-cert"))


def problems_of(*args, **kwargs) -> dict[str, str]:
    with pytest.raises(ClientCertificateError) as caught:
        load_client_certificate(*args, **kwargs)
    return {problem.key: problem.problem for problem in caught.value.problems}


def test_reads_a_certificate_and_key_from_two_files_or_one(files):
    apart = load_client_certificate(str(files.cert_path), str(files.key_path))
    combined = load_client_certificate(str(files.combined_path))

    assert apart.thumbprint == combined.thumbprint == files.thumbprint
    assert 363 < apart.days_left() < 364  # valid since yesterday, for 365 days


def test_an_encrypted_key_needs_its_passphrase(tmp_path):
    locked = client_certificate(tmp_path, passphrase="correct horse")

    assert load_client_certificate(str(locked.cert_path), str(locked.key_path), "correct horse").thumbprint
    assert "encrypted" in problems_of(str(locked.cert_path), str(locked.key_path))["auth.client_key_passphrase"]
    assert "cannot be read" in problems_of(str(locked.cert_path), str(locked.key_path),
                                           "wrong")["auth.client_key_passphrase"]


def test_every_problem_is_named_at_once(tmp_path, files):
    other = client_certificate(tmp_path / "other", name="other")
    mismatched = problems_of(str(files.cert_path), str(other.key_path))
    expired = client_certificate(tmp_path / "expired", starts_in_days=-30, days=10)
    missing = problems_of(str(tmp_path / "nowhere.pem"), str(tmp_path / "nowhere-key.pem"))

    assert "belongs to another certificate" in mismatched["auth.client_key_path"]
    assert "expired on" in problems_of(str(expired.combined_path))["auth.client_cert_path"]
    assert set(missing) == {"auth.client_cert_path", "auth.client_key_path"}
    assert "no PEM private key" in problems_of(str(files.cert_path))["auth.client_key_path"]


def test_refuses_a_certificate_not_yet_valid_and_a_weak_key(tmp_path):
    future = client_certificate(tmp_path / "future", starts_in_days=2)
    weak = client_certificate(tmp_path / "weak", key_size=1024)

    assert "valid only from" in problems_of(str(future.combined_path))["auth.client_cert_path"]
    assert "RSA certificate of 2048 bits" in problems_of(str(weak.combined_path))["auth.client_cert_path"]


def test_assertion_is_what_entra_expects_and_fresh_for_every_request(files):
    credential = load_client_certificate(str(files.combined_path))
    context = {"client_id": PORTAL_CLIENT_ID, "token_endpoint": TOKEN_URL}

    first, second = credential.assertion(context), credential.assertion(context)

    header = jwt.get_unverified_header(first)
    claims = jwt.decode(first, files.certificate.public_key(), algorithms=["PS256"], audience=TOKEN_URL)
    der = files.certificate.public_bytes(serialization.Encoding.DER)
    assert header["alg"] == "PS256"
    assert header["x5t#S256"] == base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    assert header["x5c"] == [base64.b64encode(der).decode()]
    assert claims["iss"] == claims["sub"] == PORTAL_CLIENT_ID
    assert claims["exp"] - claims["nbf"] == 300
    assert claims["jti"] != jwt.decode(second, options={"verify_signature": False})["jti"]


@responses.activate
def test_msal_sends_a_new_assertion_instead_of_a_secret_on_each_token_request(files):
    responses.get(f"{AUTHORITY}/v2.0/.well-known/openid-configuration", json=discovery_document(AUTHORITY))
    responses.post(TOKEN_URL, json={"access_token": "at", "token_type": "Bearer", "expires_in": 5})
    msal = MsalClient(authority=AUTHORITY, client_id=PORTAL_CLIENT_ID, client_secret="",
                      http_client=authority_session(5.0), timeout=5.0,
                      client_certificate=load_client_certificate(str(files.combined_path)))
    from auth.msal_client import bound_token_cache

    with bound_token_cache():
        for scope in ("api://one/.default", "api://two/.default"):
            assert "access_token" in msal.app.acquire_token_for_client([scope])

    bodies = [parse_qs(call.request.body) for call in responses.calls if call.request.url == TOKEN_URL]
    assert len(bodies) == 2
    assert all(body["client_assertion_type"] == [ASSERTION_TYPE] and "client_secret" not in body for body in bodies)
    jtis = {jwt.decode(body["client_assertion"][0], options={"verify_signature": False})["jti"] for body in bodies}
    assert len(jtis) == 2
