"""Roles at sign-in, permission gates, All Services per role, Work as, and the groups overage."""

from __future__ import annotations

import shutil

import pytest
import responses
from flask import Blueprint

from auth.permissions import Permission
from portal_app import create_app
from portal_app.settings import PROJECT_ROOT
from portal_app.signin.gate import require_permission
from tests.portal_app.conftest import SignInActions, portal_test_config

GRAPH = "https://graph.example.test"
EXAMINERS_GROUP = "e8a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"


def _gated_pages() -> list[Blueprint]:
    """Stand-ins for the EMI and IAMIS blueprints, gated exactly as the real ones are."""
    pages = []
    for name, permission in (("emi", Permission.EMI_VIEW), ("iamis", Permission.IAMIS_VIEW),
                             ("admin", Permission.ADMIN_VIEW)):
        bp = Blueprint(f"{name}_gate_test", __name__, url_prefix=f"/gate-test/{name}")
        bp.add_url_rule("/", "index", require_permission(permission)(lambda n=name: f"{n} page"))
        pages.append(bp)
    return pages


@pytest.fixture
def gated_app(tmp_path, redis_url, entra):
    roles_file = tmp_path / "roles.toml"
    shutil.copy(PROJECT_ROOT / "config" / "roles.toml", roles_file)
    app = create_app(portal_test_config(tmp_path, redis_url,
                                        roles={"rules_file": str(roles_file), "graph_base_url": GRAPH}))
    for bp in _gated_pages():
        app.register_blueprint(bp)
    app.roles_file = roles_file
    return app


@pytest.fixture
def browser(gated_app, entra):
    return SignInActions(gated_app.test_client(), entra)


def _claims(*app_roles, username="examiner@wjec-appointees.co.uk", **extra):
    return {"roles": list(app_roles), "preferred_username": username, **extra}


@pytest.mark.parametrize("app_roles, allowed, forbidden", [
    (["Examiner"], ["emi"], ["iamis", "admin"]),
    (["Moderator"], ["iamis"], ["emi", "admin"]),
    (["PrincipalModerator", "TeamLeader", "Moderator"], ["iamis"], ["emi", "admin"]),
    (["PortalAdmin"], ["admin", "emi"], ["iamis"]),  # administrators oversee examining (emi:view-all-teams)
    (["PrincipalExaminer"], ["emi"], ["iamis", "admin"]),
    (["ExaminingTeamLeader"], ["emi"], ["iamis", "admin"]),
    ([], [], ["emi", "iamis", "admin"]),
])
def test_each_gate_lets_in_exactly_the_permitted_roles(browser, app_roles, allowed, forbidden):
    browser.sign_in(**_claims(*app_roles))
    for name in allowed:
        assert browser.client.get(f"/gate-test/{name}/").status_code == 200, name
    for name in forbidden:
        response = browser.client.get(f"/gate-test/{name}/")
        assert response.status_code == 403, name
        assert b"does not give you access" in response.data and b"Back to the Portal" in response.data


@pytest.mark.parametrize("name", ["emi", "iamis", "admin"])
def test_anonymous_visitors_go_to_sign_in_and_come_back(gated_app, name):
    client = gated_app.test_client()
    response = client.get(f"/gate-test/{name}/?x=1")
    assert response.status_code == 302
    assert response.location == f"/?next=%2Fgate-test%2F{name}%2F%3Fx%3D1"
    sign_in_page = client.get(response.location)
    assert f'name="next" value="/gate-test/{name}/?x=1"'.encode() in sign_in_page.data


def test_an_account_without_roles_sees_no_services_and_whom_to_contact(browser):
    browser.sign_in(**_claims(username="norole@wjec-appointees.co.uk"))
    page = browser.client.get("/services")
    assert page.status_code == 200
    assert b"No services are available to your account" in page.data
    assert b"contact" in page.data


def test_appointee_domain_is_required_even_with_an_app_role(browser):
    browser.sign_in(**_claims("Examiner", username="someone@contractor.example"))
    assert browser.client.get("/gate-test/emi/").status_code == 403


def test_work_as_is_limited_to_roles_held(browser):
    browser.sign_in(**_claims("PrincipalModerator", "Moderator", username="principal@wjec-appointees.co.uk"))
    page = browser.client.get("/services")
    assert b"Work as:" in page.data
    token = page.data.split(b'name="csrf_token" value="')[1].split(b'"')[0].decode()
    assert browser.client.post("/work-as", data={"csrf_token": token, "role": "moderator"}).status_code == 303
    assert b'value="moderator" selected' in browser.client.get("/services").data
    assert browser.client.post("/work-as", data={"csrf_token": token, "role": "examiner"}).status_code == 403
    assert browser.client.post("/work-as", data={"role": "moderator"}).status_code == 400


def test_editing_the_role_rules_changes_access_at_the_next_sign_in(gated_app, browser):
    browser.sign_in(**_claims("Examiner"))
    assert browser.client.get("/gate-test/emi/").status_code == 200
    text = gated_app.roles_file.read_text().replace('permissions = ["services:view", "emi:view", "emi:enter-marks"]',
                                                    'permissions = ["services:view"]')
    gated_app.roles_file.write_text(text)
    assert browser.client.get("/gate-test/emi/").status_code == 200  # this session keeps its decision
    browser.sign_in(**_claims("Examiner"))
    assert browser.client.get("/gate-test/emi/").status_code == 403


OVERAGE = {"_claim_names": {"groups": "src1"},
           "_claim_sources": {"src1": {"endpoint": "https://evil.example/getMemberObjects"}}}


def test_group_overage_reads_groups_from_the_configured_graph(browser, entra):
    entra.mock.add(responses.GET, f"{GRAPH}/v1.0/me/transitiveMemberOf",
                   json={"value": [{"@odata.type": "#microsoft.graph.group", "id": EXAMINERS_GROUP}]})
    browser.sign_in(**_claims(username="manygroups@wjec-appointees.co.uk", **OVERAGE))
    assert browser.client.get("/gate-test/emi/").status_code == 200
    graph_calls = [c for c in entra.mock.calls if c.request.url.startswith(GRAPH)]
    assert graph_calls and graph_calls[0].request.headers["Authorization"].startswith("Bearer ")
    assert not [c for c in entra.mock.calls if "evil.example" in c.request.url]


def test_group_overage_fails_closed_when_graph_fails(browser, entra):
    entra.mock.add(responses.GET, f"{GRAPH}/v1.0/me/transitiveMemberOf", status=503)
    response = browser.sign_in(**_claims(username="manygroups@wjec-appointees.co.uk", **OVERAGE))
    assert response.status_code == 503
    assert b"group memberships" in response.data
    assert browser.client.get("/services").status_code == 302  # not signed in


def test_a_broken_roles_file_stops_start_up_with_file_key_and_fix(tmp_path, redis_url, entra):
    roles_file = tmp_path / "roles.toml"
    roles_file.write_text('[[rules]]\nname = "x"\ngrant = ["wizard"]\napp_roles_any = ["Examiner"]\n')
    from portal_app.settings import ConfigError

    with pytest.raises(ConfigError) as caught:
        create_app(portal_test_config(tmp_path, redis_url, roles={"rules_file": str(roles_file)}))
    assert "wizard" in str(caught.value) and "roles.toml" in str(caught.value)
