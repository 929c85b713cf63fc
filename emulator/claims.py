"""What the emulator's ID tokens say about a user signing in to an app: its claim rules, in one place.

The token issuer adds the protocol claims (issuer, times, session, subject, nonce); ``portal explain --user``
reads these same claims, so what it explains is what the emulator would issue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .directory import AppRegistration, Directory, User, load_directory

# Entra puts at most 200 groups in a JWT; above that it sends the overage claim instead.
GROUPS_LIMIT = 200


def identity_claims(user: User, app: AppRegistration) -> dict[str, Any]:
    """The ID token claims of ``user`` signing in to ``app``: who, which tenant, app roles, groups or overage."""
    claims: dict[str, Any] = {
        "aud": app.client_id, "name": user.name, "oid": user.oid, "preferred_username": user.email,
        "tid": user.tenant_id,
    }
    roles = user.roles_for(app.client_id)
    if roles:
        claims["roles"] = list(roles)
    if app.group_claims:
        claims.update(_group_claims(user))
    return claims


def _group_claims(user: User) -> dict[str, Any]:
    """The ``groups`` claim, or past GROUPS_LIMIT the overage form that points at Graph."""
    if len(user.groups) <= GROUPS_LIMIT:
        return {"groups": list(user.groups)}
    endpoint = f"https://graph.windows.net/{user.tenant_id}/users/{user.oid}/getMemberObjects"
    return {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": endpoint}}}


def claims_for_directory_user(directory_path: str | Path, email: str, client_id: str) -> dict[str, Any]:
    """The identity claims the emulator would issue to ``email`` signing in to ``client_id``.

    For a user past the 200-group limit the claims carry the overage form, as the emulator's tokens do; pass
    ``directory_user_group_ids`` as ``group_ids`` to see what Graph would then supply.
    """
    directory = load_directory(directory_path, {})
    user = _user(directory, email, directory_path)
    app = directory.app(client_id)
    if app is None:
        raise LookupError(f"{client_id!r} is not an app registration of the directory {directory_path}")
    return identity_claims(user, app)


def directory_user_group_ids(directory_path: str | Path, email: str) -> list[str]:
    """The group ids the emulator's Graph would return for ``email``."""
    return list(_user(load_directory(directory_path, {}), email, directory_path).groups)


def _user(directory: Directory, email: str, directory_path: str | Path) -> User:
    """The directory's user ``email``; ``LookupError`` naming the user when there is none."""
    user = directory.user(email)
    if user is None:
        raise LookupError(f"{email!r} is not a user of the directory {directory_path}")
    return user
