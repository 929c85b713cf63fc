"""Role rules: which portal roles a sign-in earns from the claims its tenant vouches for.

The rules live in ``config/roles.toml`` (see its comments). ``RoleRules.load`` checks every key and reports
all problems at once; ``RoleRules.evaluate`` turns claims into a ``RoleDecision``. Deny by default: claims
that match no rule earn no role, and a token from a tenant that is not allowed earns nothing at all.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from auth.permissions import Grant, Permission, Role, RoleDecision, role_sort_key
from auth.problems import GUID, ConfigProblems, ProblemCollector
from auth.reloading_file import ReloadingFile
from auth.role_conditions import (
    APP_ROLES_ANY,
    CONDITION_KEYS,
    GROUPS_ANY,
    UPN_DOMAINS_ANY,
    Condition,
    Rule,
    subject_from_claims,
)

log = logging.getLogger(__name__)

_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", re.IGNORECASE)


# --- Config problems


class RoleConfigError(ConfigProblems):
    """``config/roles.toml`` cannot be used; ``problems`` lists every problem found, not just the first."""

    heading = "role rules are invalid"


@dataclass(frozen=True)
class RoleDefinition:
    """A portal role as configured: its titles and permissions."""

    role: Role
    title: str
    title_cy: str
    permissions: frozenset[Permission]


# --- The rule set


@dataclass(frozen=True)
class RoleRules:
    """The validated content of ``config/roles.toml``."""

    definitions: Mapping[Role, RoleDefinition]
    rules: tuple[Rule, ...]

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RoleRules:
        """Read and validate ``path``; raises ``RoleConfigError`` listing every problem."""
        problems = ProblemCollector(str(path))
        try:
            with open(path, "rb") as file:
                data = tomllib.load(file)
        except OSError as exc:
            problems.add("(file)", f"cannot be read ({exc.strerror})", "create the file or point the portal at it")
            raise RoleConfigError(problems.items) from None
        except UnicodeDecodeError:
            problems.add("(encoding)", "is not UTF-8 text", "save the file as UTF-8 (Welsh titles need it)")
            raise RoleConfigError(problems.items) from None
        except tomllib.TOMLDecodeError as exc:
            where = re.search(r"line (\d+)", str(exc))
            key = f"line {where.group(1)}" if where else "(syntax)"
            problems.add(key, f"is not valid TOML ({exc})", "correct the TOML syntax at that line")
            raise RoleConfigError(problems.items) from None
        return cls.from_data(data, file=str(path))

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, file: str = "<memory>") -> RoleRules:
        """Validate parsed TOML; raises ``RoleConfigError`` naming ``file`` with every problem found."""
        problems = ProblemCollector(file)
        for key in sorted(data.keys() - {"roles", "rules"}):
            problems.add(key, "is not a known section", "use only [roles.<id>] and [[rules]]")
        definitions = _parse_roles(data.get("roles"), problems)
        rules = _parse_rules(data.get("rules"), definitions, problems)
        if problems.items:
            raise RoleConfigError(problems.items)
        return cls(definitions=definitions, rules=tuple(rules))

    def evaluate(
        self,
        claims: Mapping[str, Any],
        *,
        allowed_tenants: Collection[str],
        group_ids: Collection[str] | None = None,
    ) -> RoleDecision:
        """The roles and permissions ``claims`` earn; ``group_ids`` replaces the ``groups`` claim if given."""
        subject = subject_from_claims(claims, allowed_tenants=allowed_tenants, group_ids=group_ids)
        if not subject.tenant_allowed:
            return RoleDecision(tenant_allowed=False)
        grants = [Grant(role, rule.name) for rule in self.rules if rule.matches(subject) for role in rule.grant]
        roles = tuple(sorted({g.role for g in grants}, key=role_sort_key))
        role_permissions = {role: self.definitions[role].permissions for role in roles}
        permissions = frozenset().union(*role_permissions.values())
        return RoleDecision(True, roles, permissions, tuple(grants), role_permissions)


def _parse_roles(section: object, problems: ProblemCollector) -> dict[Role, RoleDefinition]:
    """``[roles.<id>]`` tables: known role ids, titles in English and Welsh, known permissions."""
    if not isinstance(section, Mapping) or not section:
        problems.add("roles", "is missing or empty", "add a [roles.<id>] table for each portal role")
        return {}
    known_roles = ", ".join(Role)
    definitions = {}
    for role_id, table in section.items():
        key = f"roles.{role_id}"
        if role_id not in set(Role):
            problems.add(key, f"unknown role {role_id!r}", f"use one of: {known_roles}")
            continue
        if not isinstance(table, Mapping):
            problems.add(key, "is not a table", f"write it as [{key}] with title, title_cy and permissions")
            continue
        for extra in sorted(table.keys() - {"title", "title_cy", "permissions"}):
            problems.add(f"{key}.{extra}", "is not a known key", "use only title, title_cy and permissions")
        titles = [_text(table, key, name, problems) for name in ("title", "title_cy")]
        permissions = _parse_permissions(table.get("permissions"), f"{key}.permissions", problems)
        definitions[Role(role_id)] = RoleDefinition(Role(role_id), titles[0], titles[1], permissions)
    return definitions


def _text(table: Mapping[str, Any], key: str, name: str, problems: ProblemCollector) -> str:
    """A required, non-empty string value."""
    value = table.get(name)
    if not isinstance(value, str) or not value.strip():
        problems.add(f"{key}.{name}", "is missing or empty", f'set {name} = "..."')
        return ""
    return value


def _parse_permissions(value: object, key: str, problems: ProblemCollector) -> frozenset[Permission]:
    """A list of known permission names."""
    if not isinstance(value, list):
        problems.add(key, "is missing or not a list", 'write permissions = ["resource:action", ...]')
        return frozenset()
    found = set()
    for index, name in enumerate(value):
        if name in set(Permission):
            found.add(Permission(name))
        else:
            problems.add(f"{key}[{index}]", f"unknown permission {name!r}", f"use one of: {', '.join(Permission)}")
    return frozenset(found)


def _parse_rules(section: object, definitions: Mapping[Role, Any], problems: ProblemCollector) -> list[Rule]:
    """``[[rules]]`` entries: a unique name, a non-empty grant of defined roles, and valid conditions."""
    if not isinstance(section, list) or not section:
        problems.add("rules", "is missing or empty", "add at least one [[rules]] entry (or every user is denied)")
        return []
    rules, names = [], set()
    for index, table in enumerate(section):
        key = f"rules[{index}]"
        if not isinstance(table, Mapping):
            problems.add(key, "is not a table", "write each rule as a [[rules]] table")
            continue
        for extra in sorted(table.keys() - {"name", "grant", *CONDITION_KEYS}):
            fix = f"use only name, grant and the conditions {', '.join(CONDITION_KEYS)}"
            problems.add(f"{key}.{extra}", "is not a known key", fix)
        name = _text(table, key, "name", problems)
        if name and name in names:
            problems.add(f"{key}.name", f"duplicate rule name {name!r}", "give each rule its own name")
        names.add(name)
        grant = _parse_grant(table.get("grant"), f"{key}.grant", definitions, problems)
        conditions = [_parse_condition(c, table[c], f"{key}.{c}", problems) for c in CONDITION_KEYS if c in table]
        if not conditions:
            fix = f"add at least one of {', '.join(CONDITION_KEYS)}"
            problems.add(key, "has no conditions (it would grant its roles to everyone)", fix)
        rules.append(Rule(name, grant, tuple(conditions)))
    return rules


def _parse_grant(value: object, key: str, definitions: Mapping[Role, Any],
                 problems: ProblemCollector) -> tuple[Role, ...]:
    """A non-empty list of roles that have a ``[roles.<id>]`` table."""
    if not isinstance(value, list) or not value:
        problems.add(key, "is missing or empty", 'write grant = ["<role id>", ...] with at least one role')
        return ()
    defined = ", ".join(definitions) or "(none defined)"
    grant = []
    for index, role_id in enumerate(value):
        if role_id in set(Role) and Role(role_id) in definitions:
            grant.append(Role(role_id))
        else:
            problems.add(f"{key}[{index}]", f"unknown role {role_id!r}", f"use a role defined under [roles]: {defined}")
    return tuple(grant)


def _parse_condition(name: str, value: object, key: str, problems: ProblemCollector) -> Condition:
    """A non-empty list of strings, each checked for its kind (GUID for groups, bare domain for domains)."""
    if not isinstance(value, list) or not value:
        problems.add(key, "is not a non-empty list (an empty list never matches)", f'write {name} = ["..."]')
        return Condition(name, ())
    values = []
    for index, item in enumerate(value):
        item_key = f"{key}[{index}]"
        if not isinstance(item, str) or not item.strip():
            problems.add(item_key, "is not a non-empty string", 'quote the value: "..."')
        elif name == GROUPS_ANY and not GUID.match(item):
            fix = "use the group's Object ID from Entra (a GUID like e8a1b2c3-d4e5-...), not its name"
            problems.add(item_key, f"malformed group id {item!r}", fix)
        elif name == UPN_DOMAINS_ANY and not _DOMAIN.match(item):
            problems.add(item_key, f"malformed domain {item!r}", "write the bare domain, e.g. wjec-appointees.co.uk")
        else:
            values.append(item.lower() if name != APP_ROLES_ANY else item)
    return Condition(name, tuple(values))


# --- Reloading at sign-in


class RoleRulesSource(ReloadingFile[RoleRules]):
    """The current rules from a file, reloaded when it changes so edits apply at the next sign-in."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, RoleRules.load, what="role rules", kept="still using the previous rules",
                         errors=RoleConfigError, applies="they apply from each user's next sign-in")
