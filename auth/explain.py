"""The "explain" operations tool: why a set of claims earns the roles and permissions it does.

Plain functions, no Flask and nothing from the dev emulator: the CLI command reads a claims JSON file (or, in dev
mode, the claims the emulator would issue to a user of its directory) and prints ``explain(...)``; for a user
signed in to a running portal it prints the decision stored in their session (``explain_stored``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auth.permissions import RoleDecision, work_as_choices
from auth.role_conditions import Condition, Rule, Subject, subject_from_claims
from auth.roles import RoleRules

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


def explain_stored(user: Mapping[str, Any], decision: RoleDecision, rules: RoleRules, *, signed_in_at: float,
                   refreshed_at: float, sessions: int) -> str:
    """The roles decision stored in a signed-in user's session: what they hold now, and since when.

    Rules may have changed since: the stored decision is what the user's pages obey until their next token
    refresh or sign-in; ``--claims`` with their current claims shows what the rules would decide today.
    """
    lines = [f"User: {user.get('name') or '(no name)'} <{user.get('username') or '?'}> oid={user.get('oid') or '?'}",
             f"Tenant: {user.get('tid')!r}",
             f"Signed-in sessions: {sessions}; the latest signed in at {_utc(signed_in_at)}, roles decided again "
             f"at {_utc(refreshed_at)} (they are decided at sign-in and at each token refresh)"]
    if not decision.tenant_allowed and not decision.roles:
        lines.append("Result: the stored decision grants nothing.")
    return "\n".join(lines + _result_lines(decision, rules)) + "\n"


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _result_lines(decision: RoleDecision, rules: RoleRules) -> list[str]:
    if not decision.roles:
        return [f"Roles: none ({DENY_BY_DEFAULT})", "Permissions: none"]
    lines = ["Roles:"]
    for role in decision.roles:
        definition = rules.definitions.get(role)
        titles = f"{definition.title} / {definition.title_cy}" if definition else "no longer in the role rules"
        granted_by = ", ".join(repr(g.rule_name) for g in decision.grants if g.role == role)
        lines.append(f"  {role} ({titles}) granted by {granted_by}")
    lines.append("Permissions:")
    for permission in sorted(decision.permissions):
        holders = ", ".join(r for r in decision.roles if permission in decision.role_permissions[r])
        lines.append(f"  {permission} from {holders}")
    choices = work_as_choices(decision)
    if choices:
        lines.append(f"Work as (first is the default): {', '.join(choices)}")
    return lines
