"""Certificate credentials at the token endpoint: client assertions checked as Entra does, and jti held to one use."""

from __future__ import annotations

import base64
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import hashes

from emulator.testing import PORTAL_CLIENT_ID
from tests.emulator.flows import authorize_url, pkce_pair, redeem
from tests.support.pki import client_certificate

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module")
def registered(tmp_path_factory):
    return client_certificate(tmp_path_factory.mktemp("registered"))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory):
    return client_certificate(tmp_path_factory.mktemp("stranger"), name="not-uploaded")


@pytest.fixture
def uploaded(emu, http, registered):
    response = http.post(f"{emu.base_url}/_test/apps/{PORTAL_CLIENT_ID}/certificates", data=registered.public_pem)
    assert response.status_code == 201 and response.json()["thumbprint"] == registered.thumbprint
    return registered


@pytest.fixture
def code_and_verifier(emu, sign_in):
    verifier, challenge = pkce_pair()
    reply = sign_in(authorize_url(emu.authority, challenge), "examiner@wjec-appointees.co.uk")
    return reply.params["code"], verifier


def assertion(emu, files, *, key_of=None, algorithm="PS256", thumbprint="x5t#S256", **claims) -> str:
    """A client assertion as MSAL makes it, signed by ``key_of`` (default: the certificate's own key)."""
    now = int(time.time())
    body = {"aud": f"{emu.authority}/oauth2/v2.0/token", "iss": PORTAL_CLIENT_ID, "sub": PORTAL_CLIENT_ID,
            "jti": str(uuid.uuid4()), "nbf": now, "iat": now, "exp": now + 300, **claims}
    digest = files.certificate.fingerprint(_hash(thumbprint))
    header = {thumbprint: base64.urlsafe_b64encode(digest).rstrip(b"=").decode()}
    key = (key_of or files).key_path.read_bytes()
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=algorithm, headers=header)


def _hash(thumbprint: str):
    return hashes.SHA256() if thumbprint == "x5t#S256" else hashes.SHA1()  # noqa: S303 - x5t is SHA-1


def with_assertion(value: str, **extra) -> dict:
    return {"client_secret": None, "client_assertion_type": ASSERTION_TYPE, "client_assertion": value, **extra}


def refusal(response) -> tuple[str, str]:
    assert response.status_code == 400, response.text
    body = response.json()
    return body["error"], body["error_description"].split("\r\n")[0]


@pytest.mark.parametrize("algorithm, thumbprint", [("PS256", "x5t#S256"), ("RS256", "x5t")])
def test_a_certificate_uploaded_to_the_app_redeems_the_code(emu, http, uploaded, code_and_verifier, algorithm,
                                                            thumbprint):
    code, verifier = code_and_verifier
    signed = assertion(emu, uploaded, algorithm=algorithm, thumbprint=thumbprint)

    response = redeem(http, emu.authority, code, verifier, **with_assertion(signed))

    assert response.status_code == 200, response.text
    assert response.json()["id_token"]


def test_an_assertion_is_good_for_one_request(emu, http, uploaded, sign_in):
    signed = assertion(emu, uploaded)
    answers = []
    for _ in range(2):
        verifier, challenge = pkce_pair()
        code = sign_in(authorize_url(emu.authority, challenge), "examiner@wjec-appointees.co.uk").params["code"]
        answers.append(redeem(http, emu.authority, code, verifier, **with_assertion(signed)))

    assert answers[0].status_code == 200
    error, description = refusal(answers[1])
    assert error == "invalid_client" and "jti was used before" in description


def test_a_certificate_that_was_never_uploaded_is_refused_with_its_thumbprint(emu, http, uploaded, stranger,
                                                                              code_and_verifier):
    code, verifier = code_and_verifier

    error, description = refusal(redeem(http, emu.authority, code, verifier,
                                        **with_assertion(assertion(emu, stranger))))

    assert error == "invalid_client"
    assert description.startswith("AADSTS700027:") and "The key was not found." in description


def test_an_uploaded_certificate_past_its_end_is_refused(emu, http, uploaded, code_and_verifier):
    code, verifier = code_and_verifier
    signed = assertion(emu, uploaded)
    emu.advance_clock(366 * 86400)

    error, description = refusal(redeem(http, emu.authority, code, verifier, **with_assertion(signed)))

    assert error == "invalid_client" and "The key used is expired." in description


@pytest.mark.parametrize("change, aadsts, words", [
    ({"key_of": "stranger"}, 700027, "did not match the expected signature"),
    ({"aud": "https://login.microsoftonline.com/other/oauth2/v2.0/token"}, 700027, "is not this token endpoint"),
    ({"iss": "someone-else"}, 700021, "doesn't match 'client_id'"),
    ({"exp": int(time.time()) - 900, "nbf": int(time.time()) - 1200}, 700024, "not within its valid time range"),
    ({"exp": int(time.time()) + 7200}, 700024, "not within its valid time range"),
    ({"jti": None}, 50027, "lacks jti"),
    ({"algorithm": "HS256"}, 50027, "not supported"),
])
def test_a_wrong_assertion_is_refused_with_entras_reason(emu, http, uploaded, stranger, code_and_verifier, change,
                                                         aadsts, words):
    code, verifier = code_and_verifier
    change = dict(change)
    if change.get("key_of") == "stranger":
        change["key_of"] = stranger
    if change.get("algorithm") == "HS256":
        signed = jwt.encode({"iss": PORTAL_CLIENT_ID}, "a-shared-secret-of-32-bytes-or-more!", algorithm="HS256")
    else:
        signed = assertion(emu, uploaded, **change)

    error, description = refusal(redeem(http, emu.authority, code, verifier, **with_assertion(signed)))

    assert error == "invalid_client"
    assert description.startswith(f"AADSTS{aadsts}:") and words in description


def test_an_assertion_needs_its_type(emu, http, uploaded, code_and_verifier):
    code, verifier = code_and_verifier

    error, description = refusal(redeem(http, emu.authority, code, verifier,
                                        **with_assertion(assertion(emu, uploaded), client_assertion_type=None)))

    assert error == "invalid_request" and "client_assertion_type" in description


def test_uploading_something_that_is_not_a_certificate_is_refused(emu, http):
    response = http.post(f"{emu.base_url}/_test/apps/{PORTAL_CLIENT_ID}/certificates", data="not a certificate")

    assert response.status_code == 400 and "not a PEM certificate" in response.json()["error"]
