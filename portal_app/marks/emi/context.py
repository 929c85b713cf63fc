"""What the EMI pages read from the request and the configuration: the time, the marking rules, the scope."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from auth.permissions import Permission
from portal_app.signin.roles import current_permissions
from portal_app.web import clock


def now() -> datetime:
    """The app's clock (replaceable in tests) as an aware UTC datetime."""
    return datetime.fromtimestamp(clock.now(), UTC)


def not_received_codes() -> tuple[str, ...]:
    """marking.not_received_codes: the codes a row whose script was not received may take."""
    return current_app.extensions["portal.settings"].not_received_codes


def sees_all_teams() -> bool:
    """Administrators oversee every examiner; team leaders and principals, the teams they lead."""
    return Permission.EMI_VIEW_ALL_TEAMS in current_permissions()


def may(permission: Permission) -> bool:
    return permission in current_permissions()
