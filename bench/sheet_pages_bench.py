"""Time rendering and saving an EMI mark sheet over HTTP (Flask test client) for 100, 1,000 and 5,000 candidates.

Usage: .venv/bin/python -m bench.sheet_pages_bench   (a temporary SQLite file and file sessions; prints a table)
Sign-in goes through the portal's real routes against the fake Entra used by the tests; no timed assertions.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import responses

from portal_app import create_app
from portal_app.data.migrate import upgrade_to_head
from tests.data.builders import ELERI, make_sheet
from tests.portal_app.conftest import SignInActions, portal_test_config
from tests.support.fake_entra import FakeEntra

SIZES = (100, 1000, 5000)
EXAMINER = {"roles": ["Examiner"], "oid": ELERI.oid, "preferred_username": "examiner@wjec-appointees.co.uk"}


def bench_one(app, client, size: int) -> tuple[float, float]:
    """Seconds to GET the sheet, then to POST every candidate's mark, for a fresh sheet of ``size``."""
    with app.extensions["portal.database"].sessions() as session:
        allocation_id = make_sheet(session, size, code=f"P{size}")
    start = time.perf_counter()
    html = client.get(f"/emi/allocations/{allocation_id}").get_data(as_text=True)
    rendered = time.perf_counter()
    form = dict(re.findall(r'name="(csrf_token|expected_version)" value="([^"]*)"', html))
    marks = re.findall(r'name="(mark-\d+)"', html)
    form.update({name: str(n % 60) for n, name in enumerate(marks)})
    assert len(marks) == size
    before = time.perf_counter()
    status = client.post(f"/emi/allocations/{allocation_id}", data=form).status_code
    saved = time.perf_counter()
    if status != 303:
        sys.exit(f"save of {size} candidates answered {status}")
    return rendered - start, saved - before


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade_to_head(url)
        app = create_app(portal_test_config(Path(tmp), None, database={"url": url}))
        browser = SignInActions(app.test_client(), FakeEntra(mock))
        browser.sign_in(**EXAMINER)
        print(f"{'candidates':>10} {'render ms':>10} {'save ms':>9}")
        for size in SIZES:
            render, save = bench_one(app, browser.client, size)
            print(f"{size:>10} {render * 1000:>10.1f} {save * 1000:>9.1f}")
        app.extensions["portal.database"].engine.dispose()


if __name__ == "__main__":
    main()
