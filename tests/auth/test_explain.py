"""The explain tool: what the shipped rules give each user of the emulator's directory, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from auth.explain import DENY_BY_DEFAULT, explain, trace_rules
from auth.roles import RoleRules
from emulator.claims import claims_for_directory_user, directory_user_group_ids

ROOT = Path(__file__).resolve().parents[2]
DIRECTORY = ROOT / "config" / "dev-directory.toml"
PORTAL_CLIENT_ID = "0d5e3c1a-6b2f-4a8e-9c7d-5f4e3b2a1c0d"
APPOINTEE_TENANT = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
ALLOWED = frozenset({APPOINTEE_TENANT})


@pytest.fixture(scope="module")
def rules() -> RoleRules:
    return RoleRules.load(ROOT / "config" / "roles.toml")


def directory_claims(email: str) -> dict:
    return claims_for_directory_user(DIRECTORY, email, PORTAL_CLIENT_ID)


def test_explains_each_role_and_permission_with_the_rule_that_granted_it(rules):
    text = explain(directory_claims("teamleader@wjec-appointees.co.uk"), rules, ALLOWED)

    assert "is allowed" in text
    assert "team_leader (Team Leader / Arweinydd Tîm) granted by 'TeamLeader app role, appointee account'" in text
    assert "iamis:review from team_leader" in text
    assert "rules[2] 'TeamLeader app role, appointee account' -> team_leader: MATCH" in text
    assert "Work as (first is the default): team_leader, moderator" in text
    assert DENY_BY_DEFAULT not in text


def test_explains_deny_by_default_when_no_rule_matches(rules):
    text = explain(directory_claims("norole@wjec-appointees.co.uk"), rules, ALLOWED)

    assert f"Roles: none ({DENY_BY_DEFAULT})" in text
    assert "no   app_roles_any = ['Examiner']" in text


def test_explains_that_another_tenant_gets_nothing(rules):
    text = explain(directory_claims("mallory@wjec-appointees.co.uk"), rules, ALLOWED)

    assert "'b7c4e1f2-9a3d-4e8b-8c5f-1a2b3c4d5e6f' is NOT allowed" in text
    assert "nothing is granted" in text
    assert "examiner" not in text.replace("mallory", "")


def test_explains_an_unresolved_overage_and_its_resolution(rules):
    email = "manygroups@wjec-appointees.co.uk"
    claims = directory_claims(email)

    unresolved = explain(claims, rules, ALLOWED)
    resolved = explain(claims, rules, ALLOWED, directory_user_group_ids(DIRECTORY, email))

    assert "overage, not resolved" in unresolved
    assert DENY_BY_DEFAULT in unresolved
    assert "250 from Microsoft Graph" in resolved
    assert "examiner (Examiner / Arholwr) granted by 'Examiners group, appointee account'" in resolved


def test_trace_reports_each_condition_of_each_rule(rules):
    traces = trace_rules(directory_claims("examiner@wjec-appointees.co.uk"), rules, ALLOWED)

    assert [t.matched for t in traces] == [True, False, False, False, False, False, False, True]
    assert [(c.key, held) for c, held in traces[1].conditions] == [
        ("app_roles_any", False),
        ("upn_domains_any", True),
    ]
