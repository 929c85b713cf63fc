"""What role rules look at: the claims a tenant vouches for, normalised, and the conditions rules test.

Deny by default starts here: a token from a tenant that is not allowed becomes an empty ``Subject`` that no
condition matches, whatever its other claims say.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from auth.permissions import Role

APP_ROLES_ANY = "app_roles_any"
GROUPS_ANY = "groups_any"
UPN_DOMAINS_ANY = "upn_domains_any"
CONDITION_KEYS = (APP_ROLES_ANY, GROUPS_ANY, UPN_DOMAINS_ANY)


@dataclass(frozen=True)
class Subject:
    """The claims rules may look at, normalised; empty for a tenant that is not allowed."""

    tenant_allowed: bool
    app_roles: frozenset[str] = frozenset()
    group_ids: frozenset[str] = frozenset()
    upn_domain: str | None = None
    groups_unresolved: bool = False


def needs_group_overage(claims: Mapping[str, Any]) -> bool:
    """True when the token names its groups by reference (too many to list) instead of listing them."""
    if "groups" in claims:
        return False
    claim_names = claims.get("_claim_names")
    # Entra "groups overage": past 200 groups a JWT carries _claim_names.groups instead of the groups claim.
    return isinstance(claim_names, Mapping) and "groups" in claim_names


def subject_from_claims(
    claims: Mapping[str, Any], *, allowed_tenants: Collection[str], group_ids: Collection[str] | None = None
) -> Subject:
    """Normalise ``claims``; ``group_ids`` (from Graph, after overage) replaces the ``groups`` claim."""
    if isinstance(allowed_tenants, str):
        # "tid in 'abc-...'" would be a substring test: refuse rather than match a fragment of a tenant id.
        raise TypeError("allowed_tenants must be a collection of tenant ids, not a single string")
    tid = claims.get("tid")
    allowed = {t.lower() for t in allowed_tenants}
    if not isinstance(tid, str) or tid.lower() not in allowed:
        return Subject(tenant_allowed=False)
    groups = claims.get("groups") if group_ids is None else group_ids
    return Subject(
        tenant_allowed=True,
        app_roles=frozenset(_strings(claims.get("roles"))),
        group_ids=frozenset(g.lower() for g in _strings(groups)),
        upn_domain=_upn_domain(claims.get("preferred_username")),
        groups_unresolved=group_ids is None and needs_group_overage(claims),
    )


def _strings(value: object) -> list[str]:
    """The string items of a list claim; anything else (a bare string, a number) counts as empty."""
    if not isinstance(value, list | tuple | set | frozenset):
        return []
    return [item for item in value if isinstance(item, str)]


def _upn_domain(preferred_username: object) -> str | None:
    """The lower-cased domain after the last '@' of ``preferred_username``, if it looks like an address."""
    if not isinstance(preferred_username, str):
        return None
    local, at, domain = preferred_username.rpartition("@")
    return domain.lower() if at and local and domain else None


@dataclass(frozen=True)
class Condition:
    """One condition of a rule: the claim named by ``key`` holds at least one of ``values``."""

    key: str
    values: tuple[str, ...]

    def matches(self, subject: Subject) -> bool:
        """Whether ``subject`` meets this condition; nothing matches for a tenant that is not allowed."""
        if not subject.tenant_allowed:
            return False
        if self.key == APP_ROLES_ANY:
            return not subject.app_roles.isdisjoint(self.values)
        if self.key == GROUPS_ANY:
            return not subject.group_ids.isdisjoint(self.values)
        # The domain is honoured only for an allowed tenant (checked above): any tenant can mint a
        # preferred_username ending in our domain (the "nOAuth" attack).
        return subject.upn_domain is not None and subject.upn_domain in self.values


@dataclass(frozen=True)
class Rule:
    """A named rule: when every condition holds, the roles in ``grant`` are granted."""

    name: str
    grant: tuple[Role, ...]
    conditions: tuple[Condition, ...]

    def matches(self, subject: Subject) -> bool:
        """True only if all conditions hold (and there is at least one)."""
        return bool(self.conditions) and all(c.matches(subject) for c in self.conditions)
