"""Group overage: memberships read from the configured Microsoft Graph host, failing closed."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import responses

from auth.errors import AuthError
from auth.graph import GraphUnavailable, fetch_member_group_ids
from auth.role_conditions import needs_group_overage
from auth.roles import RoleRules

GRAPH = "https://graph.test"
FIRST_PAGE = f"{GRAPH}/v1.0/me/transitiveMemberOf?$select=id"
APPOINTEE_TENANT = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
EXAMINERS_GROUP = "e8a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"
SHIPPED_ROLES = Path(__file__).resolve().parents[2] / "config" / "roles.toml"


def group_id(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-000000000000"


def group(object_id: str, odata_type: str = "#microsoft.graph.group") -> dict:
    return {"@odata.type": odata_type, "id": object_id}


@pytest.fixture
def graph():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def fetch(**kwargs) -> list[str]:
    return fetch_member_group_ids(
        "user-access-token", graph_base_url=GRAPH, http=requests.Session(), **kwargs
    )


def test_returns_group_ids_and_sends_the_users_token(graph):
    graph.get(FIRST_PAGE, json={"value": [group(EXAMINERS_GROUP), group(group_id(1))]})

    assert fetch() == [EXAMINERS_GROUP, group_id(1)]
    assert graph.calls[0].request.headers["Authorization"] == "Bearer user-access-token"


def test_follows_next_links_on_the_graph_host_across_pages(graph):
    ids = [group_id(n) for n in range(249)] + [EXAMINERS_GROUP]
    pages = [ids[0:100], ids[100:200], ids[200:]]
    links = [
        FIRST_PAGE,
        f"{GRAPH}/v1.0/me/transitiveMemberOf?$skiptoken=p2",
        f"{GRAPH}/v1.0/next?$skiptoken=p3",
    ]
    for index, (link, page) in enumerate(zip(links, pages, strict=True)):
        body = {"value": [group(i) for i in page]}
        if index + 1 < len(links):
            body["@odata.nextLink"] = links[index + 1]
        graph.get(link, json=body)

    assert fetch() == ids
    assert len(graph.calls) == 3


def test_skips_directory_roles_and_administrative_units(graph):
    value = [
        group(group_id(1)),
        group(group_id(2), "#microsoft.graph.directoryRole"),
        group(group_id(3), "#microsoft.graph.administrativeUnit"),
        {"id": group_id(4)},  # a host that omits @odata.type: count it as a group
    ]
    graph.get(FIRST_PAGE, json={"value": value})

    assert fetch() == [group_id(1), group_id(4)]


def test_ignores_trailing_slash_on_the_configured_host(graph):
    graph.get(FIRST_PAGE, json={"value": []})

    assert fetch_member_group_ids("t", graph_base_url=GRAPH + "/", http=requests.Session()) == []


@pytest.mark.parametrize(
    "foreign_link",
    [
        "https://evil.test/v1.0/me/transitiveMemberOf?$skiptoken=2",
        "http://graph.test/v1.0/me/transitiveMemberOf?$skiptoken=2",
        "https://graph.test:8443/v1.0/me/transitiveMemberOf?$skiptoken=2",
        "https://graph.test@evil.test/v1.0/me/transitiveMemberOf",
        "https://graph.test.evil.test/v1.0/me/transitiveMemberOf",
        "//evil.test/v1.0/me/transitiveMemberOf",
        "/v1.0/me/transitiveMemberOf?$skiptoken=2",
        42,
    ],
)
def test_refuses_a_next_link_away_from_the_graph_host(graph, foreign_link):
    graph.get(FIRST_PAGE, json={"value": [group(group_id(1))], "@odata.nextLink": foreign_link})
    evil = graph.get("https://evil.test/v1.0/me/transitiveMemberOf", json={"value": []})

    with pytest.raises(GraphUnavailable):
        fetch()
    assert evil.call_count == 0
    assert len(graph.calls) == 1


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 401, "json": {"error": {"code": "InvalidAuthenticationToken"}}},
        {"status": 403, "json": {"error": {"code": "Authorization_RequestDenied"}}},
        {"status": 404},
        {"status": 429, "headers": {"Retry-After": "10"}},
        {"status": 500},
        {"status": 503},
        {"status": 302, "headers": {"Location": "https://evil.test/steal"}},
        {"body": requests.Timeout("read timed out")},
        {"body": requests.ConnectionError("connection refused")},
        {"body": "<html>not json</html>", "content_type": "text/html"},
        {"json": ["a", "list"]},
        {"json": {"no": "value"}},
        {"json": {"value": "not a list"}},
        {"json": {"value": [{"id": "not-a-guid"}]}},
        {"json": {"value": [{"displayName": "no id"}]}},
        {"json": {"value": ["bare string"]}},
        {"body": b"{" + b" " * (1024 * 1024 + 1) + b"}", "content_type": "application/json"},
    ],
    ids=lambda reply: str(reply.get("status") or type(reply.get("body", reply.get("json"))).__name__),
)
def test_fails_closed_when_graph_misbehaves(graph, reply):
    graph.get(FIRST_PAGE, **reply)

    with pytest.raises(GraphUnavailable) as caught:
        fetch()
    assert caught.value.status_code == 503


def test_fails_closed_when_paging_never_ends(graph):
    graph.get(FIRST_PAGE, json={"value": [group(group_id(1))], "@odata.nextLink": FIRST_PAGE})

    with pytest.raises(GraphUnavailable, match="past 3 pages"):
        fetch(max_pages=3)
    assert len(graph.calls) == 3


@pytest.mark.parametrize("base", ["http://graph.test", "graph.test", "", "ftp://graph.test"])
def test_refuses_a_graph_host_that_is_not_https(graph, base):
    with pytest.raises(GraphUnavailable):
        fetch_member_group_ids("t", graph_base_url=base, http=requests.Session())
    assert len(graph.calls) == 0


def test_graph_unavailable_is_a_friendly_503_auth_error():
    error = GraphUnavailable("Graph request failed: Timeout")

    assert isinstance(error, AuthError)
    assert (error.status_code, error.error) == (503, "temporarily_unavailable")
    assert (
        error.description
        == "We could not check your group memberships with Microsoft. Please try again shortly."
    )


def test_overage_user_gets_the_examiner_role_from_graph_and_never_calls_the_token_endpoint(graph):
    # The token names a Graph endpoint of its own choosing; only the configured host may be used.
    claims = {
        "tid": APPOINTEE_TENANT,
        "preferred_username": "manygroups@wjec-appointees.co.uk",
        "_claim_names": {"groups": "src1"},
        "_claim_sources": {"src1": {"endpoint": "https://evil.test/v1.0/users/x/getMemberObjects"}},
    }
    evil = graph.post("https://evil.test/v1.0/users/x/getMemberObjects", json={"value": []})
    graph.get(FIRST_PAGE, json={"value": [group(group_id(n)) for n in range(249)] + [group(EXAMINERS_GROUP)]})
    rules = RoleRules.load(SHIPPED_ROLES)

    assert needs_group_overage(claims)
    without_graph = rules.evaluate(claims, allowed_tenants={APPOINTEE_TENANT})
    decision = rules.evaluate(claims, allowed_tenants={APPOINTEE_TENANT}, group_ids=fetch())

    assert without_graph.roles == ()
    assert decision.roles == ("examiner",)
    assert evil.call_count == 0
