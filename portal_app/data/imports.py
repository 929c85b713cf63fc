"""CSV imports for operations staff: every row is validated first, then upserted by natural key.

Any bad row means nothing is written and the report lists each problem with its line number; importing
the same file again reports every row unchanged. Files refer to what earlier ones created, hence the order.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from portal_app.data.csvrows import ImportReport, RowError
from portal_app.data.import_catalogue import import_components, import_entries
from portal_app.data.import_context import ImportContext
from portal_app.data.import_people import import_allocations, import_teams
from portal_app.data.import_samples import import_samples

# (file name, importer), in dependency order.
IMPORT_ORDER = (
    ("components.csv", import_components),
    ("entries.csv", import_entries),
    ("allocations.csv", import_allocations),
    ("samples.csv", import_samples),
    ("teams.csv", import_teams),
)

# Importers that check against the moderation rules or audit what they change take the run's context.
WITH_CONTEXT = (import_entries, import_samples)

__all__ = [
    "IMPORT_ORDER",
    "ImportContext",
    "ImportReport",
    "RowError",
    "import_allocations",
    "import_components",
    "import_directory",
    "import_entries",
    "import_samples",
    "import_teams",
    "run_importer",
]


def run_importer(importer, session: Session, path: str | Path, context: ImportContext | None = None) -> ImportReport:
    """One file through its importer, with the run's context for those that need it."""
    if importer in WITH_CONTEXT:
        return importer(session, path, context or ImportContext())
    return importer(session, path)


def import_directory(session: Session, directory: str | Path,
                     context: ImportContext | None = None) -> dict[str, ImportReport]:
    """Import the files of IMPORT_ORDER found in ``directory``, stopping at the first file with errors.

    The caller commits only when every report is ok, so a bad file leaves the database as it was.
    """
    context = context or ImportContext()
    reports: dict[str, ImportReport] = {}
    for name, importer in IMPORT_ORDER:
        path = Path(directory) / name
        if not path.exists():
            continue
        reports[name] = run_importer(importer, session, path, context)
        if not reports[name].ok:
            break
    return reports
