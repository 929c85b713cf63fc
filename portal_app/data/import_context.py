"""What an import run needs beyond its files: the moderation rules in force, and who to name in the audit log."""

from __future__ import annotations

import getpass
import uuid
from dataclasses import dataclass, field

from portal_app.data.audit import Appointee, AuditContext
from portal_app.data.moderation_rules import ModerationRules

# Imports are run by operations staff at a shell, not by a signed-in appointee: the audit log names the operating
# system account under this pseudo-tenant, and the run (one id per `portal import`) as the session.
OPERATIONS_TENANT = "cli"


def _operator() -> str:
    try:
        return getpass.getuser()[:36]
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"


@dataclass(frozen=True)
class ImportContext:
    """The rules samples are checked against, and the actor and run recorded for every change an import makes."""

    rules: ModerationRules = field(default_factory=ModerationRules.load)
    actor: Appointee = field(default_factory=lambda: Appointee(OPERATIONS_TENANT, _operator()))
    audit: AuditContext = field(
        default_factory=lambda: AuditContext(session_ref=f"import {uuid.uuid4().hex[:12]}", request_id=None)
    )
