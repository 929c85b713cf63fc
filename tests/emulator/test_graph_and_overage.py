"""Group overage in the ID token, and the Graph endpoints that answer it."""

from __future__ import annotations

import jwt
import pytest

from emulator.testing import APPOINTEE_TENANT_ID
from tests.emulator.flows import authorize_url, pkce_pair, redeem

MANYGROUPS_OID = "66666666-6666-4666-8666-666666666666"
EXAMINERS_GROUP = "e8a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"


@pytest.fixture
def manygroups_tokens(emu, http, sign_in):
    verifier, challenge = pkce_pair()
    reply = sign_in(authorize_url(emu.authority, challenge), "manygroups@wjec-appointees.co.uk")
    return redeem(http, emu.authority, reply.params["code"], verifier).json()


def test_more_than_200_groups_gives_the_overage_claim(manygroups_tokens):
    claims = jwt.decode(manygroups_tokens["id_token"], options={"verify_signature": False})
    assert "groups" not in claims
    assert claims["_claim_names"] == {"groups": "src1"}
    assert claims["_claim_sources"] == {"src1": {"endpoint": f"https://graph.windows.net/{APPOINTEE_TENANT_ID}"
                                                             f"/users/{MANYGROUPS_OID}/getMemberObjects"}}


def test_transitive_member_of_pages_through_all_groups(emu, http, manygroups_tokens):
    headers = {"Authorization": f"Bearer {manygroups_tokens['access_token']}"}
    url, groups, pages = f"{emu.base_url}/v1.0/me/transitiveMemberOf", [], 0
    while url:
        body = http.get(url, headers=headers).json()
        groups += [item["id"] for item in body["value"]]
        url, pages = body.get("@odata.nextLink"), pages + 1
    assert len(groups) == 250 and len(set(groups)) == 250 and pages == 3
    assert EXAMINERS_GROUP in groups


def test_get_member_objects_returns_every_group(emu, http, manygroups_tokens):
    response = http.post(f"{emu.base_url}/v1.0/me/getMemberObjects", json={"securityEnabledOnly": True},
                         headers={"Authorization": f"Bearer {manygroups_tokens['access_token']}"})
    assert response.status_code == 200 and len(response.json()["value"]) == 250


@pytest.mark.parametrize("header", [None, "Bearer not-a-jwt", "Basic abc"])
def test_graph_refuses_requests_without_a_valid_token(emu, http, header):
    headers = {"Authorization": header} if header else {}
    response = http.get(f"{emu.base_url}/v1.0/me/transitiveMemberOf", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_graph_refuses_the_id_token(emu, http, manygroups_tokens):
    response = http.get(f"{emu.base_url}/v1.0/me", headers={"Authorization": f"Bearer {manygroups_tokens['id_token']}"})
    assert response.status_code == 401


def test_graph_refuses_an_expired_access_token(emu, http, manygroups_tokens):
    emu.advance_clock(2 * 3600)
    response = http.get(f"{emu.base_url}/v1.0/me",
                        headers={"Authorization": f"Bearer {manygroups_tokens['access_token']}"})
    assert response.status_code == 401
