"""Who is acting and from where, and the audit rows that record every change they make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal_app.data.models import AuditLog


@dataclass(frozen=True)
class Appointee:
    """An appointee as Entra ID knows them: tenant id (``tid``) and object id (``oid``), never the email."""

    tid: str
    oid: str


@dataclass(frozen=True)
class AuditContext:
    """Where a change came from: the sign-in session reference and the request id, as the views know them."""

    session_ref: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class Change:
    """One field of one entity going from ``old`` to ``new`` (both as text, None when empty)."""

    entity: str
    entity_id: int
    field: str
    old: str | None
    new: str | None


def record_changes(session: Session, actor: Appointee, context: AuditContext, changes: list[Change]) -> None:
    """Insert one audit row per change in a single statement, inside the caller's transaction."""
    if not changes:
        return
    now = datetime.now(UTC)
    rows = [
        {
            "at": now,
            "actor_tenant_id": actor.tid,
            "actor_object_id": actor.oid,
            "entity": change.entity,
            "entity_id": change.entity_id,
            "field": change.field,
            "old_value": change.old,
            "new_value": change.new,
            "session_ref": context.session_ref,
            "request_id": context.request_id,
        }
        for change in changes
    ]
    # The table, not the ORM class: ORM bulk inserts drop None values and split the rows into one INSERT per run
    # of rows with the same empty fields (a save's cost grew with its size), and spend most of a large save
    # sorting the rows into those runs.
    session.execute(insert(AuditLog.__table__), rows)


def history(session: Session, entity: str, entity_id: int) -> list[AuditLog]:
    """The audit rows of one entity, oldest first."""
    query = select(AuditLog).where(AuditLog.entity == entity, AuditLog.entity_id == entity_id).order_by(AuditLog.id)
    return list(session.scalars(query))
