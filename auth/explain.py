"""The "explain" operations tool: why a set of claims earns the roles and permissions it does.

Plain functions, no Flask: the CLI command reads a claims JSON file (or builds the claims of a user of the
emulator's directory with ``claims_for_directory_user``) and prints ``explain(...)``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auth.permissions import work_as_choices
from auth.roles import Condition, RoleDecision, RoleRules, Rule, Subject, subject_from_claims

if TYPE_CHECKING:
    from emulator.directory import AppRegistration, User

DENY_BY_DEFAULT = "no rule matched: deny by default"


@dataclass(frozen=True)
class RuleTrace:
    """How one rule fared against the claims: each condition's outcome, and whether the rule matched."""

    index: int
    rule: Rule
    conditions: tuple[tuple[Condition, bool], ...]

    @property
    def matched(self) -> bool:
        return bool(self.conditions) and all(held for _, held in self.conditions)


def trace_rules(
    claims: Mapping[str, Any],
    rules: RoleRules,
    allowed_tenants: Collection[str],
    group_ids: Collection[str] | None = None,
) -> list[RuleTrace]:
    """Every rule with the outcome of each of its conditions, in file order."""
    subject = subject_from_claims(claims, allowed_tenants=allowed_tenants, group_ids=group_ids)
    return [
        RuleTrace(index, rule, tuple((c, c.matches(subject)) for c in rule.conditions))
        for index, rule in enumerate(rules.rules)
    ]


def explain(
    claims: Mapping[str, Any],
    rules: RoleRules,
    allowed_tenants: Collection[str],
    group_ids: Collection[str] | None = None,
) -> str:
    """A human-readable account of the tenant check, each rule, and the roles and permissions that result."""
    subject = subject_from_claims(claims, allowed_tenants=allowed_tenants, group_ids=group_ids)
    decision = rules.evaluate(claims, allowed_tenants=allowed_tenants, group_ids=group_ids)
    lines = [f"User: {_who(claims)}", _tenant_line(claims, subject)]
    if not subject.tenant_allowed:
        lines.append("Result: nothing is granted to a token from this tenant, whatever its other claims.")
        return "\n".join(lines) + "\n"
    lines += _claims_lines(subject, group_ids)
    lines += _rules_lines(trace_rules(claims, rules, allowed_tenants, group_ids))
    lines += _result_lines(decision, rules)
    return "\n".join(lines) + "\n"


def _who(claims: Mapping[str, Any]) -> str:
    name = claims.get("name") or "(no name)"
    return f"{name} <{claims.get('preferred_username') or '?'}> oid={claims.get('oid') or '?'}"


def _tenant_line(claims: Mapping[str, Any], subject: Subject) -> str:
    verdict = "allowed" if subject.tenant_allowed else "NOT allowed"
    return f"Tenant: {claims.get('tid')!r} is {verdict}"


def _claims_lines(subject: Subject, group_ids: Collection[str] | None) -> list[str]:
    if subject.groups_unresolved:
        groups = "overage, not resolved (memberships must come from Graph; group rules cannot match)"
    else:
        origin = "from Microsoft Graph" if group_ids is not None else "from the groups claim"
        groups = f"{len(subject.group_ids)} {origin}"
    return [
        f"App roles: {', '.join(sorted(subject.app_roles)) or '(none)'}",
        f"Sign-in domain: {subject.upn_domain or '(none)'}",
        f"Groups: {groups}",
    ]


def _rules_lines(traces: list[RuleTrace]) -> list[str]:
    lines = ["Rules:"]
    for trace in traces:
        verdict = "MATCH" if trace.matched else "no match"
        grant = ", ".join(trace.rule.grant)
        lines.append(f"  rules[{trace.index}] {trace.rule.name!r} -> {grant}: {verdict}")
        for condition, held in trace.conditions:
            lines.append(f"    {'yes' if held else 'no '}  {condition.key} = {list(condition.values)}")
    return lines


def _result_lines(decision: RoleDecision, rules: RoleRules) -> list[str]:
    if not decision.roles:
        return [f"Roles: none ({DENY_BY_DEFAULT})", "Permissions: none"]
    lines = ["Roles:"]
    for role in decision.roles:
        definition = rules.definitions[role]
        granted_by = ", ".join(repr(g.rule_name) for g in decision.grants if g.role == role)
        lines.append(f"  {role} ({definition.title} / {definition.title_cy}) granted by {granted_by}")
    lines.append("Permissions:")
    for permission in sorted(decision.permissions):
        holders = ", ".join(r for r in decision.roles if permission in decision.role_permissions[r])
        lines.append(f"  {permission} from {holders}")
    choices = work_as_choices(decision)
    if choices:
        lines.append(f"Work as (first is the default): {', '.join(choices)}")
    return lines


def claims_for_directory_user(directory_path: str | Path, email: str, client_id: str) -> dict[str, Any]:
    """The ID token claims the emulator would issue to ``email`` signing in to ``client_id`` (dev only).

    For a user past the 200-group limit the claims carry the overage form, as the emulator's tokens do; pass
    ``directory_user_group_ids`` as ``group_ids`` to see what Graph would then supply.
    """
    user, app = _directory_user_and_app(directory_path, email, client_id)
    from emulator.tokens import GROUPS_LIMIT  # dev-only package: imported only when this tool is used

    claims: dict[str, Any] = {
        "tid": user.tenant_id,
        "oid": user.oid,
        "name": user.name,
        "preferred_username": user.email,
        "aud": app.client_id,
    }
    if user.roles_for(app.client_id):
        claims["roles"] = list(user.roles_for(app.client_id))
    if app.group_claims and len(user.groups) <= GROUPS_LIMIT:
        claims["groups"] = list(user.groups)
    elif app.group_claims:
        claims["_claim_names"] = {"groups": "src1"}
    return claims


def directory_user_group_ids(directory_path: str | Path, email: str) -> list[str]:
    """The group ids the emulator's Graph would return for ``email`` (dev only)."""
    from emulator.directory import load_directory

    user = load_directory(directory_path, {}).user(email)
    if user is None:
        raise LookupError(f"{email!r} is not a user of the directory {directory_path}")
    return list(user.groups)


def _directory_user_and_app(directory_path: str | Path, email: str, client_id: str) -> tuple[User, AppRegistration]:
    """The directory's user and app registration; ``LookupError`` naming what is missing."""
    from emulator.directory import load_directory

    directory = load_directory(directory_path, {})
    user, app = directory.user(email), directory.app(client_id)
    if user is None:
        raise LookupError(f"{email!r} is not a user of the directory {directory_path}")
    if app is None:
        raise LookupError(f"{client_id!r} is not an app registration of the directory {directory_path}")
    return user, app
