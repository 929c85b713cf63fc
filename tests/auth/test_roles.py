"""Roles from claims, using the shipped config/roles.toml: demo users, nOAuth, deny by default, Work as."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from auth.errors import AccessDenied
from auth.permissions import Permission as P
from auth.permissions import Role, RoleDecision, permissions_for, work_as_choices
from auth.role_conditions import needs_group_overage
from auth.roles import RoleConfigError, RoleRules, RoleRulesSource

SHIPPED_ROLES = Path(__file__).resolve().parents[2] / "config" / "roles.toml"
APPOINTEE_TENANT = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
CONTOSO_TENANT = "b7c4e1f2-9a3d-4e8b-8c5f-1a2b3c4d5e6f"
ALLOWED = frozenset({APPOINTEE_TENANT})
EXAMINERS_GROUP = "e8a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"
MANY_GROUPS = [f"{n:08x}-0000-4000-8000-000000000000" for n in range(249)] + [EXAMINERS_GROUP]


def claims_for(email: str, app_roles: list[str], *, tid: str = APPOINTEE_TENANT, **extra) -> dict:
    return {"tid": tid, "preferred_username": email, "roles": app_roles, **extra}


# The demo users of docs/demo-accounts.md, with the roles the shipped rules must give each.
DEMO_USERS = {
    "examiner": (claims_for("examiner@wjec-appointees.co.uk", ["Examiner"]), None, ["examiner"]),
    "moderator": (claims_for("moderator@wjec-appointees.co.uk", ["Moderator"]), None, ["moderator"]),
    "teamleader": (
        claims_for("teamleader@wjec-appointees.co.uk", ["TeamLeader", "Moderator"]),
        None,
        ["moderator", "team_leader"],
    ),
    "principal": (
        claims_for("principal@wjec-appointees.co.uk", ["PrincipalModerator", "TeamLeader", "Moderator"]),
        None,
        ["moderator", "team_leader", "principal_moderator"],
    ),
    "admin": (claims_for("admin@wjec-appointees.co.uk", ["PortalAdmin"]), None, ["admin"]),
    "manygroups, groups from Graph": (
        {"tid": APPOINTEE_TENANT, "preferred_username": "manygroups@wjec-appointees.co.uk",
         "_claim_names": {"groups": "src1"}},
        MANY_GROUPS,
        ["examiner"],
    ),
    "manygroups, overage not resolved": (
        {"tid": APPOINTEE_TENANT, "preferred_username": "manygroups@wjec-appointees.co.uk",
         "_claim_names": {"groups": "src1"}},
        None,
        [],
    ),
    "nomfa": (claims_for("nomfa@wjec-appointees.co.uk", ["Examiner"]), None, ["examiner"]),
    "norole": (claims_for("norole@wjec-appointees.co.uk", []), None, []),
    "mallory (Contoso)": (
        claims_for("mallory@wjec-appointees.co.uk", ["Examiner"], tid=CONTOSO_TENANT), None, []
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def rules() -> RoleRules:
    return RoleRules.load(SHIPPED_ROLES)


@pytest.mark.parametrize(("claims", "group_ids", "expected"), DEMO_USERS.values(), ids=DEMO_USERS.keys())
def test_each_demo_user_gets_exactly_their_roles(rules, claims, group_ids, expected):
    decision = rules.evaluate(claims, allowed_tenants=ALLOWED, group_ids=group_ids)

    assert list(decision.roles) == expected
    assert {g.role for g in decision.grants} == set(expected)


def test_examiner_may_enter_emi_marks_but_not_iamis(rules):
    decision = rules.evaluate(DEMO_USERS["examiner"][0], allowed_tenants=ALLOWED)

    assert decision.permissions == {P.SERVICES_VIEW, P.EMI_VIEW, P.EMI_ENTER_MARKS}


def test_each_grant_names_the_rule_that_made_it(rules):
    decision = rules.evaluate(DEMO_USERS["teamleader"][0], allowed_tenants=ALLOWED)

    assert [(str(g.role), g.rule_name) for g in decision.grants] == [
        ("moderator", "Moderator app role, appointee account"),
        ("team_leader", "TeamLeader app role, appointee account"),
    ]


@pytest.mark.parametrize(
    "claims",
    [
        # nOAuth: another tenant names its user like an appointee and assigns app roles and groups.
        claims_for(
            "examiner@wjec-appointees.co.uk",
            ["Examiner", "PortalAdmin"],
            tid=CONTOSO_TENANT,
            groups=[EXAMINERS_GROUP],
        ),
        claims_for("EXAMINER@WJEC-APPOINTEES.CO.UK", ["Examiner"], tid=CONTOSO_TENANT.upper()),
        claims_for("examiner@wjec-appointees.co.uk", ["Examiner"], tid=APPOINTEE_TENANT[:-1]),
        claims_for("examiner@wjec-appointees.co.uk", ["Examiner"], tid=APPOINTEE_TENANT + " "),
        claims_for("examiner@wjec-appointees.co.uk", ["Examiner"], tid=None),
        claims_for("examiner@wjec-appointees.co.uk", ["Examiner"], tid=[APPOINTEE_TENANT]),
        {"preferred_username": "examiner@wjec-appointees.co.uk", "roles": ["Examiner"]},
    ],
    ids=["contoso", "contoso-upper", "tid-prefix", "tid-space", "tid-null", "tid-list", "no-tid"],
)
def test_a_token_from_a_tenant_not_allowed_gets_nothing(rules, claims):
    decision = rules.evaluate(claims, allowed_tenants=ALLOWED, group_ids=[EXAMINERS_GROUP])

    assert decision == RoleDecision(tenant_allowed=False)
    assert (decision.roles, decision.permissions, decision.grants) == ((), frozenset(), ())


def test_allowed_tenant_is_compared_case_insensitively(rules):
    claims = claims_for("examiner@wjec-appointees.co.uk", ["Examiner"], tid=APPOINTEE_TENANT.upper())

    assert rules.evaluate(claims, allowed_tenants=ALLOWED).roles == ("examiner",)


def test_refuses_allowed_tenants_given_as_one_string(rules):
    # "tid in 'a-long-id'" would be a substring test.
    with pytest.raises(TypeError):
        rules.evaluate(DEMO_USERS["examiner"][0], allowed_tenants=APPOINTEE_TENANT)


def test_no_allowed_tenants_means_nobody_gets_anything(rules):
    assert rules.evaluate(DEMO_USERS["admin"][0], allowed_tenants=()).roles == ()


@pytest.mark.parametrize(
    "username",
    [
        "examiner@evilwjec-appointees.co.uk",
        "examiner@wjec-appointees.co.uk.evil.test",
        "examiner@sub.wjec-appointees.co.uk",
        "wjec-appointees.co.uk",
        "@wjec-appointees.co.uk",
        "examiner@wjec-appointees.co.uk@evil.test",
        "examiner@wjec-appointees.co.uk ",
        None,
        ["examiner@wjec-appointees.co.uk"],
    ],
)
def test_app_role_without_an_appointee_username_gets_nothing(rules, username):
    claims = claims_for(username, ["Examiner"])

    assert rules.evaluate(claims, allowed_tenants=ALLOWED).roles == ()


def test_appointee_domain_matches_case_insensitively(rules):
    claims = claims_for("Examiner@WJEC-Appointees.CO.UK", ["Examiner"])

    assert rules.evaluate(claims, allowed_tenants=ALLOWED).roles == ("examiner",)


@pytest.mark.parametrize(
    "app_roles",
    ["Examiner", ["examiner"], ["EXAMINER"], [" Examiner"], [{"Examiner": True}], None, 7],
    ids=["bare-string", "lower", "upper", "space", "object", "null", "number"],
)
def test_malformed_or_misspelled_roles_claim_grants_nothing(rules, app_roles):
    claims = claims_for("examiner@wjec-appointees.co.uk", app_roles)

    assert rules.evaluate(claims, allowed_tenants=ALLOWED).roles == ()


def test_groups_claim_grants_a_role_with_the_appointee_domain(rules):
    claims = claims_for("g@wjec-appointees.co.uk", [], groups=[EXAMINERS_GROUP.upper()])

    assert rules.evaluate(claims, allowed_tenants=ALLOWED).roles == ("examiner",)


def test_group_ids_from_graph_replace_the_groups_claim(rules):
    claims = claims_for("g@wjec-appointees.co.uk", [], groups=[EXAMINERS_GROUP])

    assert rules.evaluate(claims, allowed_tenants=ALLOWED, group_ids=[]).roles == ()


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"_claim_names": {"groups": "src1"}}, True),
        ({"_claim_names": {"groups": "src1"}, "groups": []}, False),
        ({"_claim_names": {"other": "src1"}}, False),
        ({"_claim_names": "groups"}, False),
        ({"groups": [EXAMINERS_GROUP]}, False),
        ({}, False),
    ],
)
def test_needs_group_overage_only_when_groups_are_given_by_reference(claims, expected):
    assert needs_group_overage(claims) is expected


def test_principal_chooses_which_iamis_role_to_work_as(rules):
    decision = rules.evaluate(DEMO_USERS["principal"][0], allowed_tenants=ALLOWED)

    assert work_as_choices(decision) == [Role.PRINCIPAL_MODERATOR, Role.TEAM_LEADER, Role.MODERATOR]
    assert P.IAMIS_VIEW_ALL_TEAMS in permissions_for(decision, None)
    assert permissions_for(decision, "moderator") == {P.SERVICES_VIEW, P.IAMIS_VIEW, P.IAMIS_ENTER_MARKS}
    assert P.IAMIS_VIEW_ALL_TEAMS not in permissions_for(decision, "team_leader")


def test_working_as_an_iamis_role_keeps_other_permissions(tmp_path):
    path = tmp_path / "roles.toml"
    extra = """
[[rules]]
name = "principals also mark EMI"
grant = ["examiner"]
app_roles_any = ["PrincipalModerator"]
"""
    path.write_text(SHIPPED_ROLES.read_text(encoding="utf-8") + extra, encoding="utf-8")
    decision = RoleRules.load(path).evaluate(DEMO_USERS["principal"][0], allowed_tenants=ALLOWED)

    working_as_moderator = permissions_for(decision, "moderator")

    assert {P.EMI_VIEW, P.EMI_ENTER_MARKS, P.IAMIS_ENTER_MARKS} <= working_as_moderator
    assert P.IAMIS_REVIEW not in working_as_moderator


@pytest.mark.parametrize("work_as", ["principal_moderator", "examiner", "admin", "", "Moderator", "root"])
def test_refuses_to_work_as_a_role_not_held(rules, work_as):
    decision = rules.evaluate(DEMO_USERS["moderator"][0], allowed_tenants=ALLOWED)

    with pytest.raises(AccessDenied) as caught:
        permissions_for(decision, work_as)
    assert caught.value.status_code == 403


def test_users_without_iamis_roles_have_no_work_as_choices(rules):
    decision = rules.evaluate(DEMO_USERS["admin"][0], allowed_tenants=ALLOWED)

    assert work_as_choices(decision) == []
    assert permissions_for(decision, None) == decision.permissions


def test_decision_survives_the_session_round_trip(rules):
    decision = rules.evaluate(DEMO_USERS["principal"][0], allowed_tenants=ALLOWED)

    assert RoleDecision.from_session(decision.to_session()) == decision


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "admin",
        {},
        {"tenant_allowed": True, "roles": ["admin"], "grants": [], "role_permissions": {}},
        {"tenant_allowed": True, "roles": ["root"], "grants": [], "role_permissions": {"root": []}},
        {
            "tenant_allowed": "yes",
            "roles": ["admin"],
            "grants": [],
            "role_permissions": {"admin": ["admin:view"]},
        },
        {
            "tenant_allowed": True,
            "roles": ["admin"],
            "grants": [],
            "role_permissions": {"admin": ["admin:all"]},
        },
    ],
)
def test_a_malformed_stored_decision_grants_nothing(stored):
    decision = RoleDecision.from_session(stored)

    assert (decision.roles, decision.permissions) == ((), frozenset())


# --- Edits apply at the next sign-in


def write_rules(path: Path, text: str, *, bump: int = 0) -> None:
    path.write_text(text, encoding="utf-8")
    # Same-second edits of the same size must still be seen: move mtime on explicitly.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


def test_editing_the_rules_file_changes_access_at_the_next_evaluation(tmp_path):
    path = tmp_path / "roles.toml"
    shipped = SHIPPED_ROLES.read_text(encoding="utf-8")
    write_rules(path, shipped)
    source = RoleRulesSource(path)
    moderator = DEMO_USERS["moderator"][0]
    assert source.current().evaluate(moderator, allowed_tenants=ALLOWED).roles == ("moderator",)

    write_rules(
        path, shipped.replace('app_roles_any = ["Moderator"]', 'app_roles_any = ["Moderat0r"]'), bump=1
    )

    assert source.current().evaluate(moderator, allowed_tenants=ALLOWED).roles == ()


def test_an_invalid_edit_is_logged_and_the_last_good_rules_stay(tmp_path, caplog):
    path = tmp_path / "roles.toml"
    shipped = SHIPPED_ROLES.read_text(encoding="utf-8")
    write_rules(path, shipped)
    source = RoleRulesSource(path)
    good = source.current()

    write_rules(path, shipped.replace('grant = ["moderator"]', 'grant = ["moderater"]'), bump=1)
    with caplog.at_level(logging.ERROR, logger="auth.roles"):
        assert source.current() is good
        assert source.current() is good

    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # reported once per edit, not at every sign-in
    assert "rules[1].grant[0]" in errors[0].getMessage()
    assert "previous rules" in errors[0].getMessage()

    write_rules(path, shipped.replace("Moderator app role", "Moderator role"), bump=2)
    assert source.current() is not good
    assert source.current().rules[1].name == "Moderator role, appointee account"


def test_a_deleted_rules_file_keeps_the_last_good_rules(tmp_path):
    path = tmp_path / "roles.toml"
    write_rules(path, SHIPPED_ROLES.read_text(encoding="utf-8"))
    source = RoleRulesSource(path)
    good = source.current()

    path.unlink()

    assert source.current() is good


def test_an_invalid_file_at_start_up_stops_start_up(tmp_path):
    path = tmp_path / "roles.toml"
    write_rules(path, "[roles.wizard]\n")

    with pytest.raises(RoleConfigError):
        RoleRulesSource(path)
