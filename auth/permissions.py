"""The portal's fixed vocabulary: permissions (``resource:action``) and portal roles.

Views check a ``Permission``, never a role name. Which role carries which permission is not decided here
but in ``config/roles.toml``, so operations staff can change it; this module only names what may appear there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from auth.errors import AccessDenied
from auth.text import N_


class Permission(StrEnum):
    """One thing a view may require, named ``resource:action``."""

    SERVICES_VIEW = "services:view"
    EMI_VIEW = "emi:view"
    EMI_ENTER_MARKS = "emi:enter-marks"
    EMI_VIEW_TEAM = "emi:view-team"
    EMI_VIEW_ALL_TEAMS = "emi:view-all-teams"
    EMI_REOPEN_CENTRE = "emi:reopen-centre"
    EMI_GRANT_EXTENSION = "emi:grant-extension"
    IAMIS_VIEW = "iamis:view"
    IAMIS_ENTER_MARKS = "iamis:enter-marks"
    IAMIS_REVIEW = "iamis:review"
    IAMIS_VIEW_TEAM = "iamis:view-team"
    IAMIS_VIEW_ALL_TEAMS = "iamis:view-all-teams"
    ADMIN_VIEW = "admin:view"
    ADMIN_LINK_CHECK = "admin:link-check"

    @property
    def resource(self) -> str:
        """The part before the colon (``iamis`` for ``iamis:review``)."""
        return self.value.partition(":")[0]


class Role(StrEnum):
    """A portal role; the declaration order is the order roles are listed in."""

    EXAMINER = "examiner"
    EXAMINING_TEAM_LEADER = "examining_team_leader"
    PRINCIPAL_EXAMINER = "principal_examiner"
    MODERATOR = "moderator"
    TEAM_LEADER = "team_leader"
    PRINCIPAL_MODERATOR = "principal_moderator"
    ADMIN = "admin"


# The IAMIS "Work as" roles, most senior first: the first one a user holds is their default choice
# (the seed portal shows "Work as: Principal" to a principal moderator).
IAMIS_ROLES: tuple[Role, ...] = (Role.PRINCIPAL_MODERATOR, Role.TEAM_LEADER, Role.MODERATOR)

# Permissions whose resource is IAMIS come only from the role the user works as.
IAMIS_RESOURCE = "iamis"


def role_sort_key(role: Role) -> int:
    """Position of ``role`` in the declaration order, for listing roles stably."""
    return list(Role).index(role)


class Grant(NamedTuple):
    """One role granted by one rule of ``config/roles.toml``."""

    role: Role
    rule_name: str


@dataclass(frozen=True)
class RoleDecision:
    """What one sign-in may do: the roles its claims earned, and why.

    ``role_permissions`` keeps each held role's permissions so "Work as" can narrow IAMIS access without the
    rules at hand. Deny by default: an empty decision (no roles, no permissions) is the normal result for an
    account that no rule matches.
    """

    tenant_allowed: bool
    roles: tuple[Role, ...] = ()
    permissions: frozenset[Permission] = frozenset()
    grants: tuple[Grant, ...] = ()
    role_permissions: Mapping[Role, frozenset[Permission]] = field(default_factory=dict)

    def to_session(self) -> dict:
        """A JSON-safe form for the server-side session."""
        return {
            "tenant_allowed": self.tenant_allowed,
            "roles": [str(role) for role in self.roles],
            "grants": [[str(g.role), g.rule_name] for g in self.grants],
            "role_permissions": {str(r): sorted(p) for r, p in self.role_permissions.items()},
        }

    @classmethod
    def from_session(cls, data: object) -> RoleDecision:
        """Rebuild a decision stored by ``to_session``; anything malformed gives the empty (deny) decision."""
        if not isinstance(data, Mapping):
            return cls(tenant_allowed=False)
        try:
            role_permissions = {
                Role(role): frozenset(Permission(p) for p in perms)
                for role, perms in data["role_permissions"].items()
            }
            roles = tuple(Role(role) for role in data["roles"])
            grants = tuple(Grant(Role(role), str(name)) for role, name in data["grants"])
            tenant_allowed = data["tenant_allowed"] is True
        except (KeyError, TypeError, ValueError, AttributeError):
            # A session written by an older release, or tampered with: fail closed, never a 500.
            return cls(tenant_allowed=False)
        if set(roles) != set(role_permissions) or not tenant_allowed:
            return cls(tenant_allowed=False)
        permissions = frozenset().union(*role_permissions.values())
        return cls(tenant_allowed, roles, permissions, grants, role_permissions)


def work_as_choices(decision: RoleDecision) -> list[Role]:
    """The IAMIS roles this user may work as, most senior first (the first is the default)."""
    return [role for role in IAMIS_ROLES if role in decision.roles]


def permissions_for(decision: RoleDecision, work_as: str | None) -> frozenset[Permission]:
    """The permissions in force while working as ``work_as`` (``None``: the default, most senior role).

    IAMIS permissions come only from the chosen role, so a principal working as moderator reviews nothing;
    permissions of other resources (EMI, admin, services) are unaffected. A ``work_as`` the user does not hold
    is refused with ``AccessDenied`` rather than silently widened or narrowed.
    """
    choices = work_as_choices(decision)
    if work_as is None:
        if not choices:
            return decision.permissions
        work_as = choices[0]
    if work_as not in choices:
        raise AccessDenied(
            f"work_as={work_as!r} is not one of the IAMIS roles held: {[str(c) for c in choices]}",
            description=N_('You cannot work as that role. Choose one of the roles listed under "Work as".'),
        )
    others = {p for p in decision.permissions if p.resource != IAMIS_RESOURCE}
    chosen = decision.role_permissions.get(Role(work_as), frozenset())
    return frozenset(others | chosen)
