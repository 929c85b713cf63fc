"""Roles in the portal: decided at sign-in from the rules in config/roles.toml, checked by permission.

Views never test role names; they require a ``Permission`` with ``require_permission``. The decision is
stored in the session at sign-in, so editing the rules changes access at each user's next sign-in.
"""

from __future__ import annotations

import functools
import logging

from flask import Flask, current_app, g, request, session

from auth.errors import AccessDenied, AuthorityUnavailable
from auth.graph import GraphUnavailable, fetch_member_group_ids
from auth.msal_client import bound_token_cache
from auth.permissions import Permission, RoleDecision, permissions_for, work_as_choices
from auth.roles import RoleConfigError, RoleRulesSource, needs_group_overage
from auth.text import N_
from portal_app.settings import PortalSettings
from portal_app.silent import send_to_sign_in

log = logging.getLogger(__name__)
ROLES = "auth.roles"
WORK_AS = "auth.work_as"


def decide_roles(claims: dict, token_cache: str) -> RoleDecision:
    """Apply the current rules to verified claims, reading groups from Graph on overage (fail closed)."""
    settings: PortalSettings = current_app.extensions["portal.settings"]
    rules = current_app.extensions["portal.roles"].current()
    group_ids = None
    if needs_group_overage(claims):
        group_ids = fetch_member_group_ids(_graph_token(claims, token_cache, settings),
                                           graph_base_url=settings.graph_base_url,
                                           http=current_app.extensions["portal.identity"].http,
                                           timeout=settings.http_timeout_seconds)
    decision = rules.evaluate(claims, allowed_tenants=settings.allowed_tenants, group_ids=group_ids)
    log.info("role decision", extra={"event": "role_decision", "tid": claims.get("tid"),
                                     "oid": claims.get("oid"), "roles": [str(r) for r in decision.roles],
                                     "rules": sorted({grant.rule_name for grant in decision.grants}),
                                     "group_overage": group_ids is not None})
    return decision


def _graph_token(claims: dict, token_cache: str, settings: PortalSettings) -> str:
    """An access token for Graph, redeemed silently with the refresh token from this sign-in."""
    app = current_app.extensions["portal.identity"].msal.app
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


def store_decision(decision: RoleDecision) -> None:
    session[ROLES] = decision.to_session()
    session.pop(WORK_AS, None)


def current_decision() -> RoleDecision:
    return RoleDecision.from_session(session.get(ROLES))


def current_work_as() -> str | None:
    """The IAMIS role the user works as: the stored choice if still held, else the most senior."""
    choices = work_as_choices(current_decision())
    chosen = session.get(WORK_AS)
    if chosen in choices:
        return chosen
    return str(choices[0]) if choices else None


def current_permissions() -> frozenset[Permission]:
    if g.get("user") is None:
        return frozenset()
    return permissions_for(current_decision(), current_work_as())


def set_work_as(role: str) -> None:
    permissions_for(current_decision(), role)  # AccessDenied for a role the user does not hold
    session[WORK_AS] = role


def require_permission(permission: Permission):
    """Anonymous visitors go to sign-in (and come back); signed-in users without ``permission`` get a 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("user") is None:
                return send_to_sign_in()
            if permission not in current_permissions():
                raise AccessDenied(f"{permission} required for {request.path}",
                                   description=N_("Your account does not give you access to this page. If "
                                                  "you think it should, contact appointee support."))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def init_app(app: Flask, settings: PortalSettings) -> None:
    try:
        app.extensions["portal.roles"] = RoleRulesSource(settings.roles_file)
    except RoleConfigError as exc:
        from portal_app.settings import ConfigError

        raise ConfigError(exc.problems) from None

    @app.context_processor
    def permission_context():
        permissions = current_permissions() if g.get("user") else frozenset()
        return {"can": lambda name: Permission(name) in permissions, "Permission": Permission}
