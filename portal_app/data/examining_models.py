"""The examining tables: who marks each centre, its submission, extensions, and exports of marks to the board.

Registered on the shared ``Base`` whenever the data layer is imported (``portal_app/data/__init__.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal_app.data.models import Base
from portal_app.data.types import UtcDateTime

CENTRE_STATUSES = ("open", "submitted")


class ExaminerCentre(Base):
    """A centre of a component, marked by exactly one examiner allocation and submitted on its own.

    The unique (component, centre) pair is what makes every entry belong to one examiner allocation: an entry
    is a candidate of a centre entered for a component. The importer refuses a second examiner for a centre
    (naming the lines) unless the row asks to reallocate it, which ends the first examiner's access.
    """

    __tablename__ = "examiner_centre"
    __table_args__ = (
        UniqueConstraint("component_id", "centre_id"),
        CheckConstraint("status IN ('open', 'submitted')", name="status_known"),
    )
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The latest reopening, shown to the examiner while the centre is open again; the audit keeps them all.
    reopened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reopened_by_tenant_id: Mapped[str | None] = mapped_column(String(36))
    reopened_by_object_id: Mapped[str | None] = mapped_column(String(36))
    reopen_reason: Mapped[str | None] = mapped_column(Text)


class MarkingExtension(Base):
    """A later marks-due time for one examiner allocation, with who granted it and why."""

    __tablename__ = "marking_extension"
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
    granted_by_tenant_id: Mapped[str] = mapped_column(String(36))
    granted_by_object_id: Mapped[str] = mapped_column(String(36))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MarksExport(Base):
    """One run of `portal export-marks`: a batch of submitted marks written for the board's results system."""

    __tablename__ = "marks_export"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    scope: Mapped[str] = mapped_column(String(200))
    everything: Mapped[bool] = mapped_column(Boolean)
    row_count: Mapped[int] = mapped_column(Integer)
    operator: Mapped[str] = mapped_column(String(64))


class ExportedMark(Base):
    """A mark as one export wrote it; a centre with marks exported (and not withdrawn) cannot be reopened.

    ``withdrawn_at`` is set when operations staff reissue the export of the centre: it may then be reopened,
    and its marks go out again in the next export, whether or not they changed.
    """

    __tablename__ = "exported_mark"
    export_id: Mapped[int] = mapped_column(ForeignKey("marks_export.id"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), primary_key=True, index=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"))
    examiner_mark: Mapped[int | None] = mapped_column(Integer)
    status_code: Mapped[str | None] = mapped_column(String(8))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
