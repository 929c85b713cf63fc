"""Importing the catalogue: series and components, then centres, candidates and entries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal_app.data.centre_marks import apply_changes, centre_value, check_changes
from portal_app.data.csvrows import ImportReport, Row, RowError, component_of, components_by_key, first_seen, read_rows
from portal_app.data.deadlines import parse_london_time
from portal_app.data.import_context import ImportContext
from portal_app.data.models import (
    ASSESSMENT_TYPES,
    Allocation,
    Candidate,
    Centre,
    Component,
    ComponentStatusCode,
    Entry,
    Mark,
    Series,
)
from portal_app.data.ownership import refuse_new_entries_in_submitted_centres


def _status_codes(row: Row, column: str = "status_codes") -> dict[str, str] | None:
    """Parse "A=Absent;CF=Carried forward" into {"A": "Absent", "CF": "Carried forward"}."""
    text = row.text(column, max_len=500, required=False) or ""
    codes: dict[str, str] = {}
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        code, _, meaning = part.partition("=")
        code = code.strip().upper()
        if not code.isalpha() or len(code) > 8 or not meaning.strip():
            row.fail(f"{column} entry {part[:40]!r} is not CODE=Meaning (letters only)")
            return None
        codes[code] = meaning.strip()[:100]
    return codes


def _welsh_meanings(row: Row, codes: dict[str, str] | None) -> dict[str, str] | None:
    """The optional status_codes_cy ("A=Absennol"): Welsh meanings for codes that status_codes has."""
    welsh = _status_codes(row, "status_codes_cy")
    if welsh is None or codes is None:
        return None
    unknown = sorted(set(welsh) - set(codes))
    if unknown:
        row.fail(f"status_codes_cy gives a Welsh meaning for {', '.join(unknown)}, which status_codes does not have")
        return None
    return welsh


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
    """Upsert series and components (titles in English and Welsh, max mark, status codes, documents) by code."""
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
            # Optional columns of issue 18: the board's Welsh, shown on Welsh pages (English where absent).
            "title_cy": row.text("component_title_cy", required=False),
            "series_title_cy": row.text("series_title_cy", required=False),
            "marks_due_at": _marks_due(row),
        }
        fields["status_codes_cy"] = _welsh_meanings(row, fields["status_codes"])
        fields.update(_moderation_columns(row, fields["max_mark"]))
        optional = ("agenda_document", "formula_pdf", "formula_pdf_welsh", "title_cy", "series_title_cy",
                    "assessment_type", "tolerance", "marks_due_at")
        if all(fields[k] is not None for k in fields if k not in optional):
            if first_seen(row, (fields["series_code"], fields["code"]), seen):
                parsed.append({**fields, "line": row.line})
    if report.ok:
        components = components_by_key(session)
        _check_assessment_changes(session, parsed, components, report)
    if report.ok:
        series = {s.code: s for s in session.scalars(select(Series))}
        for fields in parsed:
            report.count(_upsert_component(session, fields, series, components))
        session.flush()
    return report


def _moderation_columns(row: Row, max_mark: int | None) -> dict:
    """assessment_type (empty or missing: examined for a new component, unchanged for an existing one) and
    tolerance (empty or missing: none), the optional columns at the end of components.csv."""
    kind = (row.data.get("assessment_type") or "").strip().lower() or None
    if kind is not None and kind not in ASSESSMENT_TYPES:
        row.fail(f"assessment_type {kind[:40]!r} is not one of: {', '.join(ASSESSMENT_TYPES)}")
    tolerance = row.integer("tolerance", maximum=10000, required=False)
    if tolerance is not None and max_mark is not None and tolerance > max_mark:
        row.fail(f"tolerance {tolerance} is more than the maximum mark of {max_mark}")
    return {"assessment_type": kind, "tolerance": tolerance}


def _check_assessment_changes(session: Session, parsed: list[dict], components: dict, report: ImportReport) -> None:
    """A component that already has allocations keeps its assessment type: its marks and allocations depend on it."""
    allocated = set(session.scalars(select(Allocation.component_id).distinct()))
    for fields in parsed:
        existing = components.get((fields["series_code"], fields["code"]))
        wanted = fields["assessment_type"]
        if existing is not None and wanted and wanted != existing.assessment_type and existing.id in allocated:
            report.errors.append(RowError(fields["line"], f"component {fields['code']} has allocations, so its "
                                          f"assessment_type cannot change from {existing.assessment_type} to "
                                          f"{wanted}"))


def _upsert_component(session: Session, fields: dict, series: dict, components: dict) -> str:
    outcome = "unchanged"
    owner = series.get(fields["series_code"])
    if owner is None:
        owner = series[fields["series_code"]] = Series(code=fields["series_code"], title=fields["series_title"],
                                                       title_cy=fields["series_title_cy"])
        session.add(owner)
    elif (owner.title, owner.title_cy) != (fields["series_title"], fields["series_title_cy"]):
        owner.title, owner.title_cy, outcome = fields["series_title"], fields["series_title_cy"], "updated"
    component = components.get((fields["series_code"], fields["code"]))
    if component is None:
        component = Component(series=owner, code=fields["code"])
        session.add(component)
        outcome = "created"
    fields = {**fields, "assessment_type": fields["assessment_type"] or component.assessment_type or "examined"}
    for name in ("title", "max_mark", "agenda_document", "formula_pdf", "formula_pdf_welsh", "title_cy",
                 "assessment_type", "tolerance"):
        if getattr(component, name, None) != fields[name]:
            setattr(component, name, fields[name])
            outcome = "updated" if outcome == "unchanged" else outcome
    # An empty or missing marks_due keeps the date in force (set by an earlier file or `portal set-marks-due`).
    if fields["marks_due_at"] is not None and component.marks_due_at != fields["marks_due_at"]:
        component.marks_due_at = fields["marks_due_at"]
        outcome = "updated" if outcome == "unchanged" else outcome
    welsh = fields["status_codes_cy"]
    wanted = {code: (meaning, welsh.get(code)) for code, meaning in fields["status_codes"].items()}
    if {c.code: (c.meaning, c.meaning_cy) for c in component.status_codes} != wanted:
        component.status_codes = [ComponentStatusCode(code=c, meaning=m, meaning_cy=w) for c, (m, w) in wanted.items()]
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


def import_entries(session: Session, path: str | Path, context: ImportContext | None = None) -> ImportReport:
    """Upsert centres, candidates and entries with their centre marks (internally assessed components only).

    A changed centre mark updates the entry (audited) until moderation of it begins; then it is refused.
    """
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
        fields["centre_mark"] = centre_value(row, fields["component"])
        if all(fields[k] is not None for k in fields if k != "centre_mark"):
            if first_seen(row, (fields["component"].id, fields["centre"], fields["candidate"]), seen):
                parsed.append({**fields, "line": row.line, "row": row})
    refuse_new_entries_in_submitted_centres(session, parsed)
    changes = check_changes(session, parsed, report) if report.ok else {}
    if report.ok:
        _write_entries(session, parsed, report, set(changes))
        apply_changes(session, changes, context or ImportContext())
        session.flush()
    return report


def _write_entries(session: Session, parsed: list[dict], report: ImportReport, changed: set[int]) -> None:
    """Upsert in a few statements whatever the file's size: new centres, candidates, entries, then their marks."""
    centres = {c.number: c for c in session.scalars(select(Centre))}
    candidates = {(c.centre.number, c.number): c for c in session.scalars(select(Candidate).join(Candidate.centre))}
    entries = {(candidate, component): entry for entry, candidate, component in session.execute(
        select(Entry.id, Entry.candidate_id, Entry.component_id))}
    outcomes = []
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
        elif candidate.name != fields["name"]:
            candidate.name, outcome = fields["name"], "updated"
        outcomes.append((fields, candidate, outcome))
    session.flush()  # one round for the new centres and candidates: their ids are known from here on
    new = {}
    for fields, candidate, outcome in outcomes:
        key = (candidate.id, fields["component"].id)
        if key not in entries and key not in new:
            new[key] = fields["centre_mark"]
            outcome = "created"
        elif key in entries and entries[key] in changed:
            outcome = "updated"
        report.count(outcome)
    if new:
        session.execute(insert(Entry), [{"candidate_id": c, "component_id": k} for c, k in new])
        created = {(c, k): e for e, c, k in session.execute(
            select(Entry.id, Entry.candidate_id, Entry.component_id).where(Entry.component_id.in_({k for _, k in new})))
            if (c, k) in new}
        session.execute(insert(Mark), [
            {"entry_id": created[key], "centre_mark": value.mark if value else None,
             "centre_code": value.code if value else None} for key, value in new.items()])
    session.flush()
