"""The mark lists are kept rendered per process (portal_app/marks/list_cache.py) and must never be stale: a change
made by another worker, by a command in another process or typed into the database shows at the next load, and
so does a deadline passing with nothing written. No test measures time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from tests.portal_app.conftest import SignInActions
from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import (
    EXAMINER,
    OTHER_EXAMINER,
    PRINCIPAL,
    make_data_app,
    sign_in_as,
    two_workers_of,
)
from tests.portal_app.test_emi import allocation_ids, open_sheet
from tests.portal_app.test_emi_team import set_due
from tests.portal_app.test_fragments import same_browser

LEFT = re.compile(r'data-allocation="(\d+)".*?ENTER MARKS \((\d+) LEFT\)', re.S)


def left(client) -> dict[str, int]:
    """allocation id -> the N of ENTER MARKS (N LEFT) on the EMI list."""
    return {a: int(n) for a, n in LEFT.findall(client.get("/emi/").get_data(as_text=True))}


def team_summary(client) -> str:
    html = client.get("/iamis/").get_data(as_text=True)
    return re.search(r'data-testid="team-summary".*?<p>(.*?)</p>', html, re.S)[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    return request.getfixturevalue("seeded_sqlite_url" if request.param == "sqlite" else "pg_seeded_url")


@pytest.fixture
def two_workers(tmp_path, redis_url, entra, database_url):
    """Two apps (two workers' caches) on one database and Redis."""
    yield from two_workers_of(make_data_app, tmp_path, redis_url, database_url)


def signed_in(app, entra, claims) -> SignInActions:
    browser = SignInActions(app.test_client(), entra)
    sign_in_as(browser, claims)
    return browser


def test_marks_saved_through_another_worker_show_on_this_workers_list_at_the_next_load(two_workers, entra):
    first, second = two_workers
    here = signed_in(first, entra, EXAMINER).client
    before = left(here)
    there = SignInActions(same_browser(here, second), entra)
    form = open_sheet(there, "1")
    marks = [k for k in form if k.startswith("mark-")]
    form.update({marks[0]: "12", marks[1]: "13", marks[2]: "a", "action": "save"})
    assert there.client.post("/emi/allocations/1", data=form).status_code == 303
    assert left(here) == {**before, "1": before["1"] - 3}


def test_a_mark_written_outside_the_portal_shows_at_the_next_load(two_workers, entra, database_url):
    here = signed_in(two_workers[0], entra, EXAMINER).client
    before = left(here)
    assert left(here) == before  # served from the cache: the write below is all that changes
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as connection:  # as `portal import` in another process, or a fix typed into psql
        entry = connection.execute(text(
            "SELECT m.entry_id FROM mark m JOIN entry e ON e.id = m.entry_id JOIN allocation a "
            "ON a.component_id = e.component_id JOIN examiner_centre ec ON ec.allocation_id = a.id "
            "JOIN candidate c ON c.id = e.candidate_id AND c.centre_id = ec.centre_id "
            "WHERE a.id = 2 AND m.examiner_mark IS NULL AND m.status_code IS NULL LIMIT 1")).scalar_one()
        connection.execute(text("UPDATE mark SET examiner_mark = 1 WHERE entry_id = :e"), {"e": entry})
    engine.dispose()
    assert left(here) == {**before, "2": before["2"] - 1}


def test_a_deadline_passing_shows_overdue_at_the_next_load_with_nothing_written(data_app, entra):
    examiner = signed_in(data_app, entra, EXAMINER).client
    started = data_app.extensions["portal.clock"]()
    set_due(data_app, datetime.fromtimestamp(started, UTC) + timedelta(minutes=10))
    listing = examiner.get("/emi/").get_data(as_text=True)
    assert 'data-testid="overdue"' not in listing and "Due " in listing
    data_app.extensions["portal.clock"] = lambda: started + 11 * 60
    assert 'data-testid="overdue"' in examiner.get("/emi/").get_data(as_text=True)


def test_each_examiner_gets_their_own_list_from_one_worker(data_app, entra):
    mine = allocation_ids(signed_in(data_app, entra, EXAMINER).client.get("/emi/").get_data(as_text=True))
    theirs = allocation_ids(signed_in(data_app, entra, OTHER_EXAMINER).client.get("/emi/").get_data(as_text=True))
    assert mine and theirs and not set(mine) & set(theirs)


def test_a_report_submitted_in_the_principals_team_shows_in_their_summary_at_the_next_load(two_workers, entra,
                                                                                           database_url):
    principal = signed_in(two_workers[0], entra, PRINCIPAL).client
    before = team_summary(principal)
    assert team_summary(principal) == before
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as connection:
        connection.execute(text("UPDATE moderation_report SET status = 'accepted'"))
    engine.dispose()
    after = team_summary(principal)
    assert after != before and "accepted: 0" not in after
