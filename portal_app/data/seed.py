"""Demo data for the emulator's demo users, loaded through the same CSV importers as real data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from portal_app.data.csvrows import ImportReport
from portal_app.data.import_context import ImportContext
from portal_app.data.imports import import_directory

DEMO_DATA_DIR = Path(__file__).resolve().parents[2] / "config" / "demo-data"


class SeedError(Exception):
    """The demo CSVs do not import cleanly; the message lists every problem with file and line."""


def seed_demo(session: Session, directory: str | Path = DEMO_DATA_DIR,
              context: ImportContext | None = None) -> dict[str, ImportReport]:
    """Import the demo CSVs (idempotent: a second run reports everything unchanged); the caller commits."""
    reports = import_directory(session, directory, context)
    problems = [f"{name} {error}" for name, report in reports.items() for error in report.errors]
    if problems:
        raise SeedError("demo data did not import:\n" + "\n".join(problems))
    return reports
