"""Periodic token refresh of signed-in users: revoked accounts are signed out, edited roles apply."""

from __future__ import annotations

import logging

from flask import current_app, session

from auth import user_session
from auth.errors import AuthError, AuthorityUnavailable
from auth.refresh import SessionRevoked, refresh_tokens
from portal_app.authorization import ROLES, decide_roles
from portal_app.identity import identity_services

log = logging.getLogger(__name__)
RETRY_AFTER_FAILURE_SECONDS = 60


def refresh_if_due(user: dict, now: float) -> bool:
    """Refresh when ``refresh_minutes`` have passed; False when the session had to end."""
    settings = current_app.extensions["portal.settings"]
    refreshed_at = float(session.get(user_session.REFRESHED_AT, 0) or 0)
    if now - refreshed_at < settings.refresh_minutes * 60:
        return True
    services = identity_services()
    try:
        refreshed = refresh_tokens(services.msal.app, session.get(user_session.TOKEN_CACHE, ""), user=user,
                                   scopes=list(settings.graph_scopes), validate=services.sign_in().validate)
        decision = decide_roles(refreshed.claims, refreshed.token_cache)
    except AuthorityUnavailable as exc:
        # Availability over strictness while the authority is away: the session is still within its
        # idle and absolute limits. Try again in a minute rather than on every request.
        log.warning("token refresh postponed: %s", exc.reason, extra={"event": "token_refresh", "outcome": "later"})
        session[user_session.REFRESHED_AT] = now - settings.refresh_minutes * 60 + RETRY_AFTER_FAILURE_SECONDS
        return True
    except (SessionRevoked, AuthError) as exc:
        log.info("session ended at token refresh: %s", exc.reason,
                 extra={"event": "token_refresh", "outcome": "ended", "tid": user["tid"], "oid": user["oid"]})
        session.clear()
        return False
    session[user_session.TOKEN_CACHE] = refreshed.token_cache
    session[ROLES] = decision.to_session()
    session[user_session.REFRESHED_AT] = now
    log.info("tokens refreshed", extra={"event": "token_refresh", "outcome": "success",
                                        "tid": user["tid"], "oid": user["oid"]})
    return True
