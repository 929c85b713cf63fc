"""Moderation outcomes for the board's results processing: the accepted reports of each component and centre,
their centre and moderated marks, as two CSV files, and the record of what each export held.

Cells a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) are written with
a leading apostrophe (OWASP's advice on CSV injection); files are UTF-8 with a byte-order mark so spreadsheets
read Welsh letters (ŵ, ŷ) correctly. docs/moderation.md lists the columns.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from portal_app.data.models import (
    Allocation,
    Base,
    Candidate,
    Centre,
    Component,
    Entry,
    Mark,
    ModerationReport,
    ModerationSample,
    Series,
)

REPORT_COLUMNS = ("series_code", "component_code", "centre_number", "centre_name", "moderator_email", "judgement",
                  "rank_order", "language", "assessment_comment", "administration_comment", "task_setting_comment",
                  "submitted_at", "accepted_at", "accepted_by")
MARK_COLUMNS = ("series_code", "component_code", "centre_number", "candidate_number", "candidate_name",
                "centre_mark", "centre_code", "in_sample", "sample_reason", "work", "replaced_by",
                "moderated_mark", "moderated_code")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ModerationExport(Base):
    """One run of `portal export-moderation`: when, by whom, the files written and how much they held."""

    __tablename__ = "moderation_export"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    marks_file: Mapped[str] = mapped_column(Text)
    reports_file: Mapped[str] = mapped_column(Text)
    report_count: Mapped[int] = mapped_column(Integer)
    mark_count: Mapped[int] = mapped_column(Integer)


class ModerationExportItem(Base):
    """An accepted report written by an export (so the next export can leave it out)."""

    __tablename__ = "moderation_export_item"
    export_id: Mapped[int] = mapped_column(ForeignKey("moderation_export.id"), primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("moderation_report.id"), primary_key=True, index=True)


@dataclass(frozen=True)
class ExportContent:
    """What one export writes: the report rows and mark rows, and the reports they came from."""

    report_ids: list[int]
    reports: list[tuple]
    marks: list[tuple]


def accepted_reports(session: Session, *, series: str | None = None, component: str | None = None,
                     include_exported: bool = False) -> ExportContent:
    """Accepted reports (not yet exported, unless ``include_exported``) with their rows, in two queries."""
    query = (
        select(ModerationReport, Series.code, Component.code, Centre.number, Centre.name, Allocation.email)
        .join(Allocation, Allocation.id == ModerationReport.allocation_id)
        .join(Component, Component.id == Allocation.component_id)
        .join(Series, Series.id == Component.series_id)
        .join(Centre, Centre.id == ModerationReport.centre_id)
        .where(ModerationReport.status == "accepted")
        .order_by(Series.code, Component.code, Centre.number)
    )
    if series:
        query = query.where(Series.code == series)
    if component:
        query = query.where(Component.code == component)
    if not include_exported:
        query = query.where(ModerationReport.id.not_in(select(ModerationExportItem.report_id)))
    found = list(session.execute(query))
    reports = [(s, c, number, name, email, r.judgement, r.rank_order, r.language, r.assessment_comment,
                r.administration_comment, r.task_setting_comment, _time(r.submitted_at), _time(r.reviewed_at),
                r.reviewer_name) for r, s, c, number, name, email in found]
    ids = [r.id for r, *_ in found]
    return ExportContent(ids, reports, _marks(session, ids))


def _marks(session: Session, report_ids: list[int]) -> list[tuple]:
    if not report_ids:
        return []
    replacement_entry, replacement = aliased(Entry), aliased(Candidate)
    query = (
        select(Series.code, Component.code, Centre.number, Candidate.number, Candidate.name, Mark.centre_mark,
               Mark.centre_code, ModerationSample.entry_id, ModerationSample.reason, ModerationSample.work,
               replacement.number, Mark.moderated_mark, Mark.moderated_code)
        .select_from(ModerationReport)
        .join(Allocation, Allocation.id == ModerationReport.allocation_id)
        .join(Component, Component.id == Allocation.component_id)
        .join(Series, Series.id == Component.series_id)
        .join(Centre, Centre.id == ModerationReport.centre_id)
        .join(Candidate, Candidate.centre_id == Centre.id)
        .join(Entry, (Entry.candidate_id == Candidate.id) & (Entry.component_id == Component.id))
        .outerjoin(Mark, Mark.entry_id == Entry.id)
        .outerjoin(ModerationSample, (ModerationSample.entry_id == Entry.id)
                   & (ModerationSample.allocation_id == Allocation.id))
        .outerjoin(replacement_entry, replacement_entry.id == ModerationSample.replaced_by_entry_id)
        .outerjoin(replacement, replacement.id == replacement_entry.candidate_id)
        .where(ModerationReport.id.in_(report_ids))
        .order_by(Series.code, Component.code, Centre.number, Candidate.number)
    )
    return [(s, c, centre, number, name, cm, cc, "yes" if sampled else "no", reason, work, replaced, mm, mc)
            for s, c, centre, number, name, cm, cc, sampled, reason, work, replaced, mm, mc in session.execute(query)]


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="seconds")


def safe_cell(value: object) -> str:
    """A value as a CSV cell a spreadsheet shows as text (never runs as a formula)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a new file (never over an existing one): a header, then the rows, every cell made safe."""
    with open(path, "x", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([safe_cell(value) for value in row] for row in rows)


def record_export(session: Session, actor: str, marks_file: Path, reports_file: Path,
                  content: ExportContent) -> ModerationExport:
    """Keep what was exported, when and by whom, so the next export can leave these reports out."""
    export = ModerationExport(at=datetime.now(UTC), actor=actor[:64], marks_file=str(marks_file),
                              reports_file=str(reports_file), report_count=len(content.report_ids),
                              mark_count=len(content.marks))
    session.add(export)
    session.flush()
    if content.report_ids:
        session.execute(insert(ModerationExportItem),
                        [{"export_id": export.id, "report_id": report_id} for report_id in content.report_ids])
    return export
