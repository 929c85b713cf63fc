"""Periodic token refresh of signed-in users: revoked accounts are signed out, edited roles apply."""

from __future__ import annotations

import logging

from flask import current_app
from flask.sessions import SessionMixin

from auth import user_session
from auth.errors import AuthError, AuthorityUnavailable
from auth.refresh import SessionRevoked, refresh_tokens
from portal_app.signin.roles import decide_roles
from portal_app.signin.services import identity_services

log = logging.getLogger(__name__)
RETRY_AFTER_FAILURE_SECONDS = 60


def refresh_if_due(user: dict, now: float, store: SessionMixin) -> bool:
    """Refresh ``store`` (this request's session) when ``refresh_minutes`` have passed; False when it had to end.

    The session object, not Flask's ``session`` proxy: every request asks, and a read through the proxy costs
    more than the check.
    """
    every = current_app.extensions["portal.settings"].refresh_minutes * 60
    if now - user_session.refreshed_at(store) < every:
        return True
    services = identity_services()
    try:
        # The scopes of the sign-in and no more; decide_roles gets a Graph token separately, on overage only.
        refreshed = refresh_tokens(services.msal.app, user_session.token_cache(store, services.sealer), user=user,
                                   scopes=list(services.settings.scopes), validate=services.sign_in().validate)
        decision = decide_roles(refreshed.claims, refreshed.token_cache)
    except AuthorityUnavailable as exc:
        # Availability over strictness while the authority is away: the session is still within its
        # idle and absolute limits. Try again in a minute rather than on every request.
        log.warning("token refresh postponed: %s", exc.reason, extra={"event": "token_refresh", "outcome": "later"})
        user_session.postpone_refresh(store, until=now + RETRY_AFTER_FAILURE_SECONDS, every_seconds=every)
        return True
    except (SessionRevoked, AuthError) as exc:
        log.info("session ended at token refresh: %s", exc.reason,
                 extra={"event": "token_refresh", "outcome": "ended", "tid": user["tid"], "oid": user["oid"]})
        store.clear()
        return False
    user_session.refreshed(store, token_cache=refreshed.token_cache, sealer=services.sealer,
                           roles=decision.to_session(), now=now)
    log.info("tokens refreshed", extra={"event": "token_refresh", "outcome": "success",
                                        "tid": user["tid"], "oid": user["oid"]})
    return True
