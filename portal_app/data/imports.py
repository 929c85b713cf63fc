"""CSV imports for operations staff: every row is validated first, then upserted by natural key.

Any bad row means nothing is written and the report lists each problem with its line number; importing
the same file again reports every row unchanged. Files refer to what earlier ones created, hence the order.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from portal_app.data.csvrows import ImportReport, RowError
from portal_app.data.import_catalogue import import_components, import_entries
from portal_app.data.import_people import import_allocations, import_samples, import_teams

# (file name, importer), in dependency order.
IMPORT_ORDER = (
    ("components.csv", import_components),
    ("entries.csv", import_entries),
    ("allocations.csv", import_allocations),
    ("samples.csv", import_samples),
    ("teams.csv", import_teams),
)

__all__ = [
    "IMPORT_ORDER",
    "ImportReport",
    "RowError",
    "import_allocations",
    "import_components",
    "import_directory",
    "import_entries",
    "import_samples",
    "import_teams",
]


def import_directory(session: Session, directory: str | Path) -> dict[str, ImportReport]:
    """Import the files of IMPORT_ORDER found in ``directory``, stopping at the first file with errors.

    The caller commits only when every report is ok, so a bad file leaves the database as it was.
    """
    reports: dict[str, ImportReport] = {}
    for name, importer in IMPORT_ORDER:
        path = Path(directory) / name
        if not path.exists():
            continue
        reports[name] = importer(session, path)
        if not reports[name].ok:
            break
    return reports
