"""The mark-input schema: series, components, centres, candidates, entries, allocations, marks and audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import true as sql_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from portal_app.data.messages import Bilingual
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
# Which allocations a component takes: examiners mark examined components, moderators review the centre marks of
# internally assessed ones.
ASSESSMENT_TYPES = ("examined", "internally_assessed")
ROLE_FOR_ASSESSMENT = {"examined": "examiner", "internally_assessed": "moderator"}
# Why an entry is in a sample: drawn by the board (generated, or added as the centre's highest or lowest mark),
# added by the moderator (additional), or taken in place of a candidate whose work did not arrive (replacement).
SAMPLE_REASONS = ("generated", "highest", "lowest", "additional", "replacement")
BOARD_SAMPLE_REASONS = ("generated", "highest", "lowest")
WORK_STATES = ("received", "not_received", "incomplete")
REPORT_STATUSES = ("draft", "submitted", "returned", "accepted")
JUDGEMENTS = ("accurate", "generous", "severe", "inconsistent")
RANK_ORDER = ("holds", "does_not_hold")


class Base(DeclarativeBase):
    """Declarative base carrying the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Series(Base):
    """An examination series such as "GCSE JUNE 2017"."""

    __tablename__ = "series"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_cy: Mapped[str | None] = mapped_column(String(200))  # the board's Welsh title, if it gave one
    # When examiners' marks are due for every component of the series that has no date of its own (UTC).
    marks_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Component(Base):
    """A marked component of a series, such as 3000N1, with its maximum mark and documents."""

    __tablename__ = "component"
    __table_args__ = (
        UniqueConstraint("series_id", "code"),
        CheckConstraint("max_mark >= 0", name="max_mark_not_negative"),
        CheckConstraint("assessment_type IN ('examined', 'internally_assessed')", name="assessment_type_known"),
        CheckConstraint("tolerance >= 0", name="tolerance_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"))
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    title_cy: Mapped[str | None] = mapped_column(String(200))  # the board's Welsh title, if it gave one
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
    # examined (examiners' marks) or internally_assessed (centre marks, moderated); components.csv column.
    assessment_type: Mapped[str] = mapped_column(String(24), default="examined", server_default="examined")
    # The largest difference between centre and moderated mark not flagged on the review page; None: no tolerance.
    tolerance: Mapped[int | None] = mapped_column(Integer)

    @property
    def label(self) -> Bilingual:
        """The title as the lists show it: "GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)"."""
        return component_label(self.series, self)


class ComponentStatusCode(Base):
    """A status code allowed instead of a mark on one component, e.g. A = absent."""

    __tablename__ = "component_status_code"
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    meaning: Mapped[str] = mapped_column(String(100))
    meaning_cy: Mapped[str | None] = mapped_column(String(100))  # the board's Welsh meaning, if it gave one

    @property
    def text(self) -> Bilingual:
        """The meaning in English, with the board's Welsh."""
        return Bilingual(self.meaning, self.meaning_cy)


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
    The centre's mark (internally assessed components) is kept apart from the examiner's, with its own version:
    the number of times an import has changed it.
    """

    __tablename__ = "mark"
    __table_args__ = (
        CheckConstraint("examiner_mark >= 0", name="examiner_mark_not_negative"),
        CheckConstraint("moderated_mark >= 0", name="moderated_mark_not_negative"),
        CheckConstraint("centre_mark >= 0", name="centre_mark_not_negative"),
        CheckConstraint("centre_mark IS NULL OR centre_code IS NULL", name="centre_value_single"),
        CheckConstraint("moderated_mark IS NULL OR moderated_code IS NULL", name="moderated_value_single"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), unique=True)
    examiner_mark: Mapped[int | None] = mapped_column(Integer)
    status_code: Mapped[str | None] = mapped_column(String(8))
    moderated_mark: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=0)
    moderated_version: Mapped[int] = mapped_column(Integer, default=0)
    centre_mark: Mapped[int | None] = mapped_column(Integer)
    centre_code: Mapped[str | None] = mapped_column(String(8))
    centre_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The work-not-received code (config/moderation.toml), allowed only on a sample row whose work did not arrive.
    moderated_code: Mapped[str | None] = mapped_column(String(8))
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
    """A centre allocated to an allocation (a moderator's centre report is a ModerationReport)."""

    __tablename__ = "allocation_centre"
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), primary_key=True)


class ModerationSample(Base):
    """An entry in a moderator's sample for its centre: why it is there and whether the work arrived.

    An entry is in at most one sample, so two moderators can never overwrite each other's moderated marks. A row
    replaced by the moderator stays, pointing at its replacement, and needs no moderated mark.
    """

    __tablename__ = "moderation_sample"
    __table_args__ = (
        UniqueConstraint("entry_id"),
        CheckConstraint(
            "reason IN ('generated', 'highest', 'lowest', 'additional', 'replacement')", name="reason_known"
        ),
        CheckConstraint("work IN ('received', 'not_received', 'incomplete')", name="work_known"),
    )
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16), default="generated", server_default="generated")
    note: Mapped[str | None] = mapped_column(Text)
    work: Mapped[str] = mapped_column(String(16), default="received", server_default="received")
    replaced_by_entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))


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


def component_label(series: Series, component: Component) -> Bilingual:
    """Series, title and code, in English and (where the board gave either title in Welsh) in Welsh."""
    english = f"{series.title} {component.title} ({component.code})"
    if not (series.title_cy or component.title_cy):
        return Bilingual(english)
    welsh = f"{series.title_cy or series.title} {component.title_cy or component.title} ({component.code})"
    return Bilingual(english, welsh)


class ModerationReport(Base):
    """A moderator's report on one centre: the judgement, rank order, comments (kept as typed) and its review.

    ``version`` guards the centre's page (marks, sample and report) against stale saves; ``last_activity_at`` is
    the moderator's latest change, for View Team.
    """

    __tablename__ = "moderation_report"
    __table_args__ = (
        UniqueConstraint("allocation_id", "centre_id"),
        ForeignKeyConstraint(
            ["allocation_id", "centre_id"], ["allocation_centre.allocation_id", "allocation_centre.centre_id"],
            name="fk_moderation_report_allocation_centre",
        ),
        CheckConstraint("status IN ('draft', 'submitted', 'returned', 'accepted')", name="status_known"),
        CheckConstraint(
            "judgement IN ('accurate', 'generous', 'severe', 'inconsistent')", name="judgement_known"
        ),
        CheckConstraint("rank_order IN ('holds', 'does_not_hold')", name="rank_order_known"),
        CheckConstraint("language IN ('en', 'cy')", name="language_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(Integer)
    centre_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    judgement: Mapped[str | None] = mapped_column(String(16))
    rank_order: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(2))
    assessment_comment: Mapped[str | None] = mapped_column(Text)
    administration_comment: Mapped[str | None] = mapped_column(Text)
    task_setting_comment: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The latest return or acceptance: by whom (tid/oid and the name they signed in with), when, and why.
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewer_tenant_id: Mapped[str | None] = mapped_column(String(36))
    reviewer_object_id: Mapped[str | None] = mapped_column(String(36))
    reviewer_name: Mapped[str | None] = mapped_column(String(200))
    return_note: Mapped[str | None] = mapped_column(Text)

