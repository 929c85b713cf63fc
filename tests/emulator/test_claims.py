"""The emulator's claim rules: what its ID tokens say about each directory user, read by ``portal explain``."""

from __future__ import annotations

import jwt
import pytest

from auth.roles import RoleRules
from emulator.claims import claims_for_directory_user, directory_user_group_ids
from emulator.testing import APPOINTEE_TENANT_ID, DEV_DIRECTORY, PORTAL_CLIENT_ID, REPO_ROOT
from tests.emulator.flows import authorize_url, pkce_pair, redeem

ALLOWED = frozenset({APPOINTEE_TENANT_ID})
# What the token issuer adds to the identity claims: issuer, times, session, subject, nonce.
PROTOCOL_CLAIMS = {"iss", "iat", "nbf", "exp", "aio", "rh", "sid", "sub", "uti", "ver", "login_hint", "nonce"}

# docs/demo-accounts.md: each demo user and the portal roles they must end up with.
EXPECTED_ROLES = {
    "examiner@wjec-appointees.co.uk": ["examiner"],
    "moderator@wjec-appointees.co.uk": ["moderator"],
    "teamleader@wjec-appointees.co.uk": ["moderator", "team_leader"],
    "principal@wjec-appointees.co.uk": ["moderator", "team_leader", "principal_moderator"],
    "admin@wjec-appointees.co.uk": ["admin"],
    "manygroups@wjec-appointees.co.uk": ["examiner"],
    "nomfa@wjec-appointees.co.uk": ["examiner"],
    "norole@wjec-appointees.co.uk": [],
    "mallory@wjec-appointees.co.uk": [],
}


@pytest.fixture(scope="module")
def rules() -> RoleRules:
    return RoleRules.load(REPO_ROOT / "config" / "roles.toml")


def directory_claims(email: str) -> dict:
    return claims_for_directory_user(DEV_DIRECTORY, email, PORTAL_CLIENT_ID)


@pytest.mark.parametrize(("email", "expected"), EXPECTED_ROLES.items())
def test_each_directory_user_gets_exactly_their_roles(rules, email, expected):
    claims = directory_claims(email)
    # As at sign-in: an overage token's groups come from Graph, which the emulator serves from the directory.
    group_ids = directory_user_group_ids(DEV_DIRECTORY, email) if "_claim_names" in claims else None

    decision = rules.evaluate(claims, allowed_tenants=ALLOWED, group_ids=group_ids)

    assert list(decision.roles) == expected


def test_the_many_groups_user_gets_the_overage_form_like_the_emulators_token():
    claims = directory_claims("manygroups@wjec-appointees.co.uk")

    assert "groups" not in claims
    assert claims["_claim_names"] == {"groups": "src1"}
    assert len(directory_user_group_ids(DEV_DIRECTORY, "manygroups@wjec-appointees.co.uk")) == 250


@pytest.mark.parametrize("email", EXPECTED_ROLES)
def test_explained_claims_are_the_claims_of_the_emulators_id_token(emu, http, sign_in, email):
    user = emu.state.directory.user(email)
    # Users of another tenant reach the multi-tenant portal registration through /organizations.
    authority = emu.authority if user.tenant_id == APPOINTEE_TENANT_ID else emu.organizations_authority
    verifier, challenge = pkce_pair()
    reply = sign_in(authorize_url(authority, challenge), email)
    id_token = redeem(http, authority, reply.params["code"], verifier).json()["id_token"]
    token_claims = jwt.decode(id_token, options={"verify_signature": False})

    explained = directory_claims(email)

    assert {key: token_claims[key] for key in explained} == explained
    assert set(token_claims) - set(explained) <= PROTOCOL_CLAIMS


@pytest.mark.parametrize(
    ("email", "client_id", "missing"),
    [
        ("nobody@wjec-appointees.co.uk", PORTAL_CLIENT_ID, "nobody@"),
        ("examiner@wjec-appointees.co.uk", "00000000-0000-4000-8000-000000000000", "00000000-"),
    ],
)
def test_unknown_directory_user_or_app_is_named(email, client_id, missing):
    with pytest.raises(LookupError, match=missing):
        claims_for_directory_user(DEV_DIRECTORY, email, client_id)
