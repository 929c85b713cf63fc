"""What the portal keeps about a signed-in user in the server-side session, under namespaced keys.

This module owns every session key: sign-in writes them all in one call (``start``), token refresh and
"Work as" each through one function here, so the stored format is described in one place.
Works on any mutable mapping (Flask's session in the app, a dict in tests).

The MSAL token cache (refresh tokens) is kept sealed (``auth.sealing``), bound to the user it belongs to: the
session store never holds it in clear, and a cache copied into another user's session does not open.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, MutableMapping

from auth.msal_client import id_token_in
from auth.sealing import Sealer
from auth.tokens import Identity

USER = "auth.user"
SIGNED_IN_AT = "auth.signed_in_at"
LAST_SEEN = "auth.last_seen"
TOKEN_CACHE = "auth.token_cache"
CSRF = "auth.csrf"
REFRESHED_AT = "auth.refreshed_at"
ROLES = "auth.roles"
WORK_AS = "auth.work_as"
# The user's starred services, a copy of the database's (portal_app.catalogue keeps it fresh): the menu on
# every page reads it here instead of running a query per view.
FAVOURITES = "portal.favourites"
# The idle clock is written back at most this often, so a page view costs one store read, not a write too.
LAST_SEEN_RESOLUTION_SECONDS = 60


def start(session: MutableMapping, identity: Identity, *, token_cache: str, sealer: Sealer, now: float,
          login_hint: str | None = None, roles: Mapping | None = None) -> None:
    """Replace whatever the session held with a freshly signed-in user and their roles decision."""
    session.clear()
    session[USER] = {
        "tid": identity.tenant_id, "oid": identity.object_id, "sub": identity.subject,
        "name": identity.display_name, "username": identity.username, "sid": identity.session_id,
        "login_hint": login_hint,
    }
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now
    session[REFRESHED_AT] = now
    session[TOKEN_CACHE] = sealer.seal(token_cache, context=_owner(identity.tenant_id, identity.object_id))
    session[CSRF] = secrets.token_urlsafe(32)
    if roles is not None:
        session[ROLES] = dict(roles)


def current_user(session: Mapping) -> dict | None:
    user = session.get(USER)
    return user if isinstance(user, dict) and user.get("oid") and user.get("tid") else None


def expired_reason(session: Mapping, *, now: float, idle_seconds: float,
                   absolute_seconds: float) -> str | None:
    """Why the signed-in session is over ("idle", "absolute"), or None while it is still good."""
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN)
    if not isinstance(signed_in_at, int | float) or not isinstance(last_seen, int | float):
        return "incomplete"
    # The absolute limit counts from sign-in, stored once; activity never extends it.
    if now - signed_in_at > absolute_seconds:
        return "absolute"
    if now - last_seen > idle_seconds:
        return "idle"
    return None


def touch(session: MutableMapping, now: float) -> None:
    if now - float(session.get(LAST_SEEN, 0)) >= LAST_SEEN_RESOLUTION_SECONDS:
        session[LAST_SEEN] = now


def kept_favourites(session: Mapping) -> tuple[str, ...] | None:
    """The starred service ids kept in the session, or None when none were kept (or the value is not a list)."""
    kept = session.get(FAVOURITES)
    if isinstance(kept, list | tuple) and all(isinstance(service, str) for service in kept):
        return tuple(kept)
    return None


def keep_favourites(session: MutableMapping, service_ids: tuple[str, ...]) -> None:
    session[FAVOURITES] = list(service_ids)


def csrf_token(session: MutableMapping) -> str:
    token = session.get(CSRF)
    if not token:
        token = session[CSRF] = secrets.token_urlsafe(32)
    return token


def csrf_matches(session: Mapping, submitted: str | None) -> bool:
    expected = session.get(CSRF)
    return bool(expected and submitted) and hmac.compare_digest(str(expected), str(submitted))


def signed_in_at(session: Mapping) -> float:
    return float(session.get(SIGNED_IN_AT, 0) or 0)


def stored_roles(session: Mapping) -> object:
    """The roles decision as stored at sign-in or the last refresh (``RoleDecision.from_session`` reads it)."""
    return session.get(ROLES)


def chosen_work_as(session: Mapping) -> object:
    return session.get(WORK_AS)


def choose_work_as(session: MutableMapping, role: str) -> None:
    session[WORK_AS] = role


def token_cache(session: Mapping, sealer: Sealer) -> str:
    """The user's MSAL token cache, or "" when there is none or it does not open (then no refresh token)."""
    user = current_user(session)
    if user is None:
        return ""
    return sealer.open(session.get(TOKEN_CACHE), context=_owner(user["tid"], user["oid"])) or ""


def id_token_hint(session: Mapping, sealer: Sealer) -> str | None:
    """The user's latest ID token (kept in the token cache), for RP-initiated logout's ``id_token_hint``."""
    return id_token_in(token_cache(session, sealer))


def _owner(tenant_id: str, object_id: str) -> str:
    return f"token cache of {tenant_id}/{object_id}"


def refreshed_at(session: Mapping) -> float:
    return float(session.get(REFRESHED_AT, 0) or 0)


def refreshed(session: MutableMapping, *, token_cache: str, sealer: Sealer, roles: Mapping, now: float) -> None:
    """A successful token refresh: the new cache, the roles decided again, and when."""
    user = current_user(session)
    if user is None:
        raise ValueError("refreshed() on a session without a signed-in user")
    session[TOKEN_CACHE] = sealer.seal(token_cache, context=_owner(user["tid"], user["oid"]))
    session[ROLES] = dict(roles)
    session[REFRESHED_AT] = now


def postpone_refresh(session: MutableMapping, *, until: float, every_seconds: float) -> None:
    """Make the next refresh fall due at ``until`` (the authority was away; try again then, not every request)."""
    session[REFRESHED_AT] = until - every_seconds
