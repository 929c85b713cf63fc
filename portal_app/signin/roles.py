"""Roles in the portal: decided at sign-in from the rules in config/roles.toml, and "Work as".

Views never test role names; they require a ``Permission`` (``portal_app.signin.gate``). The decision is
stored in the session at sign-in and at each token refresh, so editing the rules changes access then.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, session

from auth import user_session
from auth.errors import AuthorityUnavailable
from auth.graph import GraphUnavailable, fetch_member_group_ids
from auth.msal_client import bound_token_cache
from auth.permissions import Permission, Role, RoleDecision, permissions_for, work_as_choices
from auth.role_conditions import needs_group_overage
from auth.roles import RoleConfigError, RoleRulesSource
from portal_app.settings import ConfigError, PortalSettings
from portal_app.signin.services import identity_services
from portal_app.web.i18n import current_language

log = logging.getLogger(__name__)
EXTENSION = "portal.roles"


def decide_roles(claims: dict, token_cache: str) -> RoleDecision:
    """Apply the current rules to verified claims, reading groups from Graph on overage (fail closed)."""
    settings: PortalSettings = current_app.extensions["portal.settings"]
    rules = current_app.extensions[EXTENSION].current()
    group_ids = None
    if needs_group_overage(claims):
        group_ids = fetch_member_group_ids(_graph_token(claims, token_cache, settings),
                                           graph_base_url=settings.graph_base_url,
                                           http=identity_services().http,
                                           timeout=settings.http_timeout_seconds)
    decision = rules.evaluate(claims, allowed_tenants=settings.allowed_tenants, group_ids=group_ids)
    log.info("role decision", extra={"event": "role_decision", "tid": claims.get("tid"),
                                     "oid": claims.get("oid"), "roles": [str(r) for r in decision.roles],
                                     "rules": sorted({grant.rule_name for grant in decision.grants}),
                                     "group_overage": group_ids is not None})
    return decision


def _graph_token(claims: dict, token_cache: str, settings: PortalSettings) -> str:
    """An access token for Graph, redeemed silently with the refresh token from this sign-in."""
    app = identity_services().msal.app
    with bound_token_cache(token_cache):
        accounts = app.get_accounts()
        account = next((a for a in accounts if a.get("local_account_id") == claims.get("oid")), None)
        try:
            result = app.acquire_token_silent(list(settings.graph_scopes), account=account) if account else None
        except Exception as exc:  # noqa: BLE001 - a network failure here must fail closed, not 500
            raise AuthorityUnavailable(f"Graph token request failed: {type(exc).__name__}") from exc
    if not result or "access_token" not in result:
        error = (result or {}).get("error", "no account in the token cache")
        raise GraphUnavailable(f"no Graph access token for the groups overage: {error}")
    return result["access_token"]


def current_decision() -> RoleDecision:
    """The role decision stored in the session, rebuilt once per request while the stored one is unchanged."""
    stored = user_session.stored_roles(session)
    memo = g.get("_role_decision")
    # The memo holds the stored object itself: a refresh that stores a new decision is a different object.
    if memo is None or memo[0] is not stored:
        memo = g._role_decision = (stored, _decision_from(stored))
    return memo[1]


# Per process, by content: a few distinct decisions (one per combination of roles) serve every user.
_decisions: dict[tuple, RoleDecision] = {}
MAX_DECISIONS = 1024


def _decision_from(stored: object) -> RoleDecision:
    """``RoleDecision.from_session(stored)``, remembered by everything it reads from ``stored``."""
    try:
        key = (stored["tenant_allowed"] is True, tuple(stored["roles"]),
               tuple(tuple(grant) for grant in stored["grants"]),
               tuple((role, tuple(perms)) for role, perms in stored["role_permissions"].items()))
        found = _decisions.get(key)
    except Exception:  # noqa: BLE001 - malformed or unhashable: from_session decides (fail closed), nothing kept
        return RoleDecision.from_session(stored)
    if found is None:
        found = RoleDecision.from_session(stored)
        if len(_decisions) < MAX_DECISIONS:
            _decisions[key] = found
    return found


def current_work_as() -> str | None:
    """The IAMIS role the user works as: the stored choice if still held, else the most senior."""
    choices = work_as_choices(current_decision())
    chosen = user_session.chosen_work_as(session)
    if chosen in choices:
        return chosen
    return str(choices[0]) if choices else None


def current_permissions() -> frozenset[Permission]:
    """The signed-in user's permissions now (the gate, the menu and templates all ask, many times a page)."""
    # The request's g and session looked up once each: this runs several times a page (each proxy lookup
    # costs about as much as the rest of a remembered answer).
    here, store = g._get_current_object(), session._get_current_object()
    if here.get("user") is None:
        return frozenset()
    stored, chosen = user_session.stored_roles(store), user_session.chosen_work_as(store)
    memo = here.get("_permissions")
    # The stored decision is compared by identity: a refresh that stores a new one is a different object.
    if memo is None or memo[0] is not stored or memo[1] != chosen:
        memo = here._permissions = (stored, chosen, permissions_for(current_decision(), current_work_as()))
    return memo[2]


def set_work_as(role: str) -> None:
    permissions_for(current_decision(), role)  # AccessDenied for a role the user does not hold
    user_session.choose_work_as(session, role)


def role_titles_version() -> int:
    """Changes whenever config/roles.toml is reloaded, so cached pages that show role titles key on it."""
    return current_app.extensions[EXTENSION].versioned()[0]


def role_title(role: str) -> str:
    """A role id (``team_leader``) as users read it, in their language: titles come from config/roles.toml."""
    try:
        definition = current_app.extensions[EXTENSION].current().definitions.get(Role(role))
    except (KeyError, ValueError):
        definition = None
    if definition is None:
        return role.replace("_", " ").title()
    return definition.title_cy if current_language() == "cy" else definition.title


def _permission_context() -> dict:
    """Template helpers: ``can("emi:view")``, the Permission names, and role titles."""
    permissions = current_permissions() if g.get("user") else frozenset()
    return {"can": lambda name: Permission(name) in permissions, "Permission": Permission, "role_title": role_title}


def init_app(app: Flask, settings: PortalSettings) -> None:
    try:
        app.extensions[EXTENSION] = RoleRulesSource(settings.roles_file)
    except RoleConfigError as exc:
        raise ConfigError(exc.problems) from None
    app.context_processor(_permission_context)
