"""Importing the catalogue: series and components, then centres, candidates and entries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_app.data.csvrows import ImportReport, Row, component_of, components_by_key, first_seen, read_rows
from portal_app.data.deadlines import parse_london_time
from portal_app.data.models import (
    Candidate,
    Centre,
    Component,
    ComponentStatusCode,
    Entry,
    Mark,
    Series,
)
from portal_app.data.ownership import refuse_new_entries_in_submitted_centres


def _status_codes(row: Row) -> dict[str, str] | None:
    """Parse "A=Absent;CF=Carried forward" into {"A": "Absent", "CF": "Carried forward"}."""
    text = row.text("status_codes", max_len=500, required=False) or ""
    codes: dict[str, str] = {}
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        code, _, meaning = part.partition("=")
        code = code.strip().upper()
        if not code.isalpha() or len(code) > 8 or not meaning.strip():
            row.fail(f"status_codes entry {part[:40]!r} is not CODE=Meaning (letters only)")
            return None
        codes[code] = meaning.strip()[:100]
    return codes


def _marks_due(row: Row) -> datetime | None:
    """The optional marks_due column: "2017-02-10 17:00" in Europe/London, as UTC; None when empty or absent."""
    text = row.text("marks_due", max_len=40, required=False)
    if text is None:
        return None
    due = parse_london_time(text)
    if not isinstance(due, datetime):
        row.fail(f"marks_due {text[:40]!r} is not a date and time like 2017-02-10 17:00 (Europe/London), or "
                 "falls when the clocks change")
        return None
    return due


COMPONENT_COLUMNS = (
    "series_code",
    "series_title",
    "component_code",
    "component_title",
    "max_mark",
    "status_codes",
)


def import_components(session: Session, path: str | Path) -> ImportReport:
    """Upsert series and components (title, max mark, status codes, documents) by their codes."""
    report = ImportReport()
    parsed, seen = [], {}
    for row in read_rows(path, COMPONENT_COLUMNS, report):
        fields = {
            "series_code": row.code("series_code"),
            "series_title": row.text("series_title"),
            "code": row.code("component_code"),
            "title": row.text("component_title"),
            "max_mark": row.integer("max_mark", maximum=10000),
            "status_codes": _status_codes(row),
            "agenda_document": row.text("agenda_document", required=False),
            "formula_pdf": row.text("formula_pdf", required=False),
            "formula_pdf_welsh": row.text("formula_pdf_welsh", required=False),
            "marks_due_at": _marks_due(row),
        }
        optional = ("agenda_document", "formula_pdf", "formula_pdf_welsh", "marks_due_at")
        if all(fields[k] is not None for k in fields if k not in optional):
            if first_seen(row, (fields["series_code"], fields["code"]), seen):
                parsed.append(fields)
    if report.ok:
        series = {s.code: s for s in session.scalars(select(Series))}
        components = components_by_key(session)
        for fields in parsed:
            report.count(_upsert_component(session, fields, series, components))
        session.flush()
    return report


def _upsert_component(session: Session, fields: dict, series: dict, components: dict) -> str:
    outcome = "unchanged"
    owner = series.get(fields["series_code"])
    if owner is None:
        owner = series[fields["series_code"]] = Series(code=fields["series_code"], title=fields["series_title"])
        session.add(owner)
    elif owner.title != fields["series_title"]:
        owner.title, outcome = fields["series_title"], "updated"
    component = components.get((fields["series_code"], fields["code"]))
    if component is None:
        component = Component(series=owner, code=fields["code"])
        session.add(component)
        outcome = "created"
    for name in ("title", "max_mark", "agenda_document", "formula_pdf", "formula_pdf_welsh"):
        if getattr(component, name, None) != fields[name]:
            setattr(component, name, fields[name])
            outcome = "updated" if outcome == "unchanged" else outcome
    # An empty or missing marks_due keeps the date in force (set by an earlier file or `portal set-marks-due`).
    if fields["marks_due_at"] is not None and component.marks_due_at != fields["marks_due_at"]:
        component.marks_due_at = fields["marks_due_at"]
        outcome = "updated" if outcome == "unchanged" else outcome
    if {c.code: c.meaning for c in component.status_codes} != fields["status_codes"]:
        component.status_codes = [ComponentStatusCode(code=c, meaning=m) for c, m in fields["status_codes"].items()]
        session.flush()  # the old codes go before the new ones arrive with the same keys
        outcome = "updated" if outcome == "unchanged" else outcome
    return outcome


ENTRY_COLUMNS = (
    "series_code",
    "component_code",
    "centre_number",
    "centre_name",
    "candidate_number",
    "candidate_name",
)


def import_entries(session: Session, path: str | Path) -> ImportReport:
    """Upsert centres, candidates and entries; an optional centre_mark seeds a new entry's mark only."""
    report = ImportReport()
    components = components_by_key(session)
    parsed, seen = [], {}
    for row in read_rows(path, ENTRY_COLUMNS, report):
        fields = {
            "component": component_of(row, components),
            "centre": row.number("centre_number"),
            "centre_name": row.text("centre_name"),
            "candidate": row.number("candidate_number"),
            "name": row.text("candidate_name"),
        }
        centre_mark = row.integer("centre_mark", maximum=10000, required=False)
        if fields["component"] is not None and centre_mark is not None and centre_mark > fields["component"].max_mark:
            row.fail(f"centre_mark {centre_mark} is more than the maximum mark of {fields['component'].max_mark}")
        fields["centre_mark"] = centre_mark
        if all(fields[k] is not None for k in fields if k != "centre_mark"):
            if first_seen(row, (fields["component"].id, fields["centre"], fields["candidate"]), seen):
                parsed.append(fields)
                fields["line"] = row
    refuse_new_entries_in_submitted_centres(session, parsed)
    if report.ok:
        _write_entries(session, parsed, report)
    return report


def _write_entries(session: Session, parsed: list[dict], report: ImportReport) -> None:
    centres = {c.number: c for c in session.scalars(select(Centre))}
    candidates = {(c.centre.number, c.number): c for c in session.scalars(select(Candidate).join(Candidate.centre))}
    entries = {tuple(row) for row in session.execute(select(Entry.candidate_id, Entry.component_id))}
    for fields in parsed:
        outcome = "unchanged"
        centre = centres.get(fields["centre"])
        if centre is None:
            centre = centres[fields["centre"]] = Centre(number=fields["centre"], name=fields["centre_name"])
            session.add(centre)
        elif centre.name != fields["centre_name"]:
            centre.name, outcome = fields["centre_name"], "updated"
        candidate = candidates.get((fields["centre"], fields["candidate"]))
        if candidate is None:
            candidate = Candidate(centre=centre, number=fields["candidate"], name=fields["name"])
            candidates[(fields["centre"], fields["candidate"])] = candidate
            session.add(candidate)
            session.flush()
        elif candidate.name != fields["name"]:
            candidate.name, outcome = fields["name"], "updated"
        if (candidate.id, fields["component"].id) not in entries:
            entry = Entry(candidate_id=candidate.id, component_id=fields["component"].id)
            session.add(entry)
            session.flush()
            session.add(Mark(entry_id=entry.id, examiner_mark=fields["centre_mark"]))
            entries.add((candidate.id, fields["component"].id))
            outcome = "created"
        report.count(outcome)
    session.flush()
