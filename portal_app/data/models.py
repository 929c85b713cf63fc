"""The mark-input schema: series, components, centres, candidates, entries, allocations, marks and audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import true as sql_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from portal_app.data.types import UtcDateTime

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("examiner", "moderator")
SHEET_STATUSES = ("draft", "submitted")


class Base(DeclarativeBase):
    """Declarative base carrying the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Series(Base):
    """An examination series such as "GCSE JUNE 2017"."""

    __tablename__ = "series"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # When examiners' marks are due for every component of the series that has no date of its own (UTC).
    marks_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Component(Base):
    """A marked component of a series, such as 3000N1, with its maximum mark and documents."""

    __tablename__ = "component"
    __table_args__ = (
        UniqueConstraint("series_id", "code"),
        CheckConstraint("max_mark >= 0", name="max_mark_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"))
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    max_mark: Mapped[int] = mapped_column(Integer)
    agenda_document: Mapped[str | None] = mapped_column(String(200))
    formula_pdf: Mapped[str | None] = mapped_column(String(200))
    formula_pdf_welsh: Mapped[str | None] = mapped_column(String(200))
    # When examiners' marks are due (UTC); None falls back to the series' date. Shown in Europe/London.
    marks_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    series: Mapped[Series] = relationship()
    status_codes: Mapped[list[ComponentStatusCode]] = relationship(
        order_by="ComponentStatusCode.code", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        """The title as the lists show it: "GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)"."""
        return f"{self.series.title} {self.title} ({self.code})"


class ComponentStatusCode(Base):
    """A status code allowed instead of a mark on one component, e.g. A = absent."""

    __tablename__ = "component_status_code"
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    meaning: Mapped[str] = mapped_column(String(100))


class Centre(Base):
    """An examination centre, known by its number."""

    __tablename__ = "centre"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Candidate(Base):
    """A candidate, numbered within their centre."""

    __tablename__ = "candidate"
    __table_args__ = (UniqueConstraint("centre_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    number: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    centre: Mapped[Centre] = relationship()


class Entry(Base):
    """A candidate entered for a component."""

    __tablename__ = "entry"
    __table_args__ = (UniqueConstraint("candidate_id", "component_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"))
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"), index=True)
    candidate: Mapped[Candidate] = relationship()


class Mark(Base):
    """The marks of one entry; ``version``/``moderated_version`` hold the sheet version of the last change.

    Recording the sheet version per field is what lets a stale save name the fields that changed meanwhile.
    """

    __tablename__ = "mark"
    __table_args__ = (
        CheckConstraint("examiner_mark >= 0", name="examiner_mark_not_negative"),
        CheckConstraint("moderated_mark >= 0", name="moderated_mark_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), unique=True)
    examiner_mark: Mapped[int | None] = mapped_column(Integer)
    status_code: Mapped[str | None] = mapped_column(String(8))
    moderated_mark: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=0)
    moderated_version: Mapped[int] = mapped_column(Integer, default=0)
    # EMI: whether the examiner has the candidate's script; a script not received takes no numeric mark.
    script_received: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_true())


class Allocation(Base):
    """An appointee (tid+oid) allocated to a component's centres as examiner or moderator."""

    __tablename__ = "allocation"
    __table_args__ = (
        UniqueConstraint("tenant_id", "object_id", "component_id", "role"),
        CheckConstraint("role IN ('examiner', 'moderator')", name="role_known"),
        CheckConstraint("status IN ('draft', 'submitted')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    object_id: Mapped[str] = mapped_column(String(36))
    email: Mapped[str] = mapped_column(String(254))
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=0)
    component: Mapped[Component] = relationship()


class AllocationCentre(Base):
    """A centre allocated to an allocation; for moderators it also records the centre report's completion."""

    __tablename__ = "allocation_centre"
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), primary_key=True)
    report_completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ModerationSample(Base):
    """An entry in a moderator's sample for its centre."""

    __tablename__ = "moderation_sample"
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), primary_key=True)


class TeamMembership(Base):
    """On one component, a leader (team leader or principal) over a member, each known by tid+oid."""

    __tablename__ = "team_membership"
    __table_args__ = (UniqueConstraint("component_id", "member_tenant_id", "member_object_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"))
    leader_tenant_id: Mapped[str] = mapped_column(String(36))
    leader_object_id: Mapped[str] = mapped_column(String(36), index=True)
    member_tenant_id: Mapped[str] = mapped_column(String(36))
    member_object_id: Mapped[str] = mapped_column(String(36))


class AuditLog(Base):
    """One changed field: who (tid/oid), when, what (entity, id, field), old and new, from which session."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_tenant_id: Mapped[str] = mapped_column(String(36))
    actor_object_id: Mapped[str] = mapped_column(String(36))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    session_ref: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
