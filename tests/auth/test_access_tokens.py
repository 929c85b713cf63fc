"""App-only access tokens for the marks API: one test per refusal, with really signed tokens and a fake JWKS."""

from __future__ import annotations

import time

import pytest

from auth.access_tokens import AppCaller, MissingAppRole, RefusedAccessToken, validate_app_token
from tests.support.app_tokens import MARKS_ROLE, RESULTS_CLIENT_ID, SERVICE_PRINCIPAL
from tests.support.app_tokens import app_claims as support_claims
from tests.support.app_tokens import app_token as support_token
from tests.support.signed_tokens import (
    APPOINTEE_TENANT_ID,
    CONTOSO_TENANT_ID,
    ISSUER_TEMPLATE,
    PORTAL_CLIENT_ID,
    TokenFactory,
    attacker_key,
    hs256_confusion_token,
    public_pem,
    trusted_key,
    unsigned_token,
)

NOW = time.time()
APP_ID_URI = f"api://{PORTAL_CLIENT_ID}"
ROLE = MARKS_ROLE


def app_claims(**overrides) -> dict:
    return support_claims(NOW, **overrides)


def app_token(factory: TokenFactory | None = None, **kwargs) -> str:
    return support_token(factory, now=NOW, **kwargs)


@pytest.fixture
def validate(jwks_cache):
    def run(token, **overrides):
        settings = {"jwks": jwks_cache, "issuer_template": ISSUER_TEMPLATE, "audiences": [PORTAL_CLIENT_ID],
                    "allowed_tenants": [APPOINTEE_TENANT_ID], "required_role": ROLE, "now": NOW}
        settings.update(overrides)
        return validate_app_token(token, **settings)

    return run


def refused_check(validate, token, **overrides) -> str:
    with pytest.raises(RefusedAccessToken) as caught:
        validate(token, **overrides)
    assert caught.value.status_code == 401 and caught.value.error == "invalid_token"
    return caught.value.check


def test_a_valid_app_token_names_its_caller(validate):
    assert validate(app_token()) == AppCaller(APPOINTEE_TENANT_ID, RESULTS_CLIENT_ID, SERVICE_PRINCIPAL, (ROLE,))


def test_the_application_id_uri_is_accepted_when_configured(validate):
    token = app_token(aud=APP_ID_URI)
    assert refused_check(validate, token) == "audience"
    assert validate(token, audiences=[PORTAL_CLIENT_ID, APP_ID_URI]).client_id == RESULTS_CLIENT_ID


@pytest.mark.parametrize("overrides, check", [
    ({"aud": "00000003-0000-0000-c000-000000000000"}, "audience"),  # a Graph token
    ({"aud": [PORTAL_CLIENT_ID]}, "audience"),
    ({"tid": CONTOSO_TENANT_ID, "iss": ISSUER_TEMPLATE.replace("{tenantid}", CONTOSO_TENANT_ID)}, "tenant"),
    ({"iss": ISSUER_TEMPLATE.replace("{tenantid}", CONTOSO_TENANT_ID)}, "issuer"),
    ({"iss": f"https://sts.windows.net/{APPOINTEE_TENANT_ID}/"}, "issuer"),
    ({"ver": "1.0"}, "version"),
    ({"exp": int(NOW) - 301}, "expired"),
    ({"nbf": int(NOW) + 3600}, "not_yet_valid"),
    ({"iat": int(NOW) + 3600}, "not_yet_valid"),
    ({"exp": "tomorrow"}, "times"),
    ({"exp": True}, "times"),
    ({"scp": "Marks.Read"}, "app_only"),  # delegated: a person is behind it
    ({"idtyp": "user"}, "app_only"),
    ({"sub": "someone-else"}, "app_only"),
    ({"roles": ROLE}, "roles"),
    ({"azp": ""}, "claims"),
])
def test_each_bad_claim_is_refused_with_its_own_check(validate, overrides, check):
    assert refused_check(validate, app_token(**overrides)) == check


@pytest.mark.parametrize("missing", ["tid", "oid", "sub", "azp", "exp", "ver"])
def test_a_missing_claim_is_refused(validate, missing):
    assert refused_check(validate, app_token(omit=(missing,)))


def test_a_token_without_the_app_role_is_forbidden_not_unauthenticated(validate):
    for token in (app_token(omit=("roles",)), app_token(roles=["Marks.Write.All"])):
        with pytest.raises(MissingAppRole) as caught:
            validate(token)
        assert (caught.value.status_code, caught.value.error) == (403, "insufficient_scope")


@pytest.mark.parametrize("make, check", [
    (lambda: unsigned_token(app_claims()), "algorithm"),
    (lambda: hs256_confusion_token(app_claims(), public_key=public_pem(trusted_key())), "algorithm"),
    (lambda: app_token(TokenFactory(key=attacker_key())), "signature"),
    (lambda: app_token(TokenFactory(kid="unknown-kid")), "signature"),
    (lambda: app_token(headers={"alg": "RS512"}), "algorithm"),
    (lambda: app_token(headers={"crit": ["exp"]}), "format"),  # PyJWT refuses crit it does not know
    (lambda: app_token(headers={"kid": None}), "header"),
    (lambda: app_token(headers={"nonce": "graph"}), "audience"),
    (lambda: app_token()[:-8] + "AAAAAAAA", "signature"),
    (lambda: "not-a-jwt", "format"),
    (lambda: "a.b.c", "format"),
    (lambda: "x" * 70_000, "format"),
    (lambda: "", "format"),
])
def test_unsigned_forged_and_malformed_tokens_are_refused(validate, make, check):
    assert refused_check(validate, make()) == check


def test_a_string_is_not_a_collection_of_tenants(validate):
    with pytest.raises(TypeError):
        validate(app_token(), allowed_tenants=APPOINTEE_TENANT_ID)
