"""Time loading and saving an EMI mark sheet of 100, 1,000 and 5,000 candidates; prints a table.

Usage: .venv/bin/python -m bench.marks_bench [--url DATABASE_URL] (default: a temporary SQLite file).
Only the data layer is timed here; page rendering is measured once the views exist.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from portal_app.data import init_engine
from portal_app.data.audit import AuditContext
from portal_app.data.marks import load_mark_sheet, save_marks
from portal_app.data.models import Base
from tests.data.builders import ELERI, make_sheet

SIZES = (100, 1000, 5000)


def bench_one(engine, size: int) -> tuple[float, float]:
    """Seconds to load, then to save every candidate's mark, for a fresh sheet of ``size`` candidates."""
    with Session(engine) as session:
        allocation_id = make_sheet(session, size, code=f"B{size}")
    with Session(engine) as session:
        start = time.perf_counter()
        sheet = load_mark_sheet(session, allocation_id, ELERI)
        loaded = time.perf_counter()
        values = {row.entry_id: str(n % 60) for n, row in enumerate(sheet.rows)}
        save_marks(session, allocation_id, ELERI, values, sheet.version, AuditContext("bench", "bench"))
        session.commit()
        saved = time.perf_counter()
    return loaded - start, saved - loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="URL of an EMPTY database to fill (default: temporary SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = init_engine(args.url or f"sqlite:///{tmp}/bench.db")
        if inspect(engine).get_table_names():
            # Never benchmark on a database with data in it: the bench writes thousands of rows.
            sys.exit(f"refusing to run: {engine.url.render_as_string()} is not empty")
        Base.metadata.create_all(engine)
        print(f"{'candidates':>10} {'load ms':>9} {'save ms':>9}")
        for size in SIZES:
            load, save = bench_one(engine, size)
            print(f"{size:>10} {load * 1000:>9.1f} {save * 1000:>9.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()
