"""The database in the app: CLI commands, readiness, constant SQL per page, PostgreSQL saves and outages."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from portal_app import create_app
from portal_app.cli import portal_cli
from portal_app.data.models import AuditLog
from tests.data.builders import ELERI, make_sheet
from tests.portal_app.conftest import METRICS_AUTH, portal_test_config
from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import EXAMINER, SignInActions, make_data_app, sign_in_as
from tests.portal_app.test_emi import open_sheet, sheet_form
from tests.support.sql import counting_statements


@pytest.fixture
def empty_app(tmp_path, redis_url, entra):
    """A production-mode portal on an empty SQLite file (never migrated implicitly)."""
    yield from make_data_app(tmp_path, redis_url, f"sqlite:///{tmp_path / 'empty.sqlite3'}")


def run(app, *args):
    return app.test_cli_runner().invoke(portal_cli, list(args))


def test_readyz_reports_a_schema_behind_head_until_migrate_runs(empty_app):
    client = empty_app.test_client()
    response = client.get("/readyz", headers=METRICS_AUTH)
    assert response.status_code == 503
    assert "database schema not at head" in response.json["problems"]["database"]
    assert run(empty_app, "migrate").exit_code == 0
    assert client.get("/readyz", headers=METRICS_AUTH).status_code == 200


def test_pages_on_an_unmigrated_database_are_a_503_not_a_500(empty_app, entra):
    browser = SignInActions(empty_app.test_client(), entra)
    sign_in_as(browser, EXAMINER)
    response = browser.client.get("/emi/")
    assert response.status_code == 503 and b"database" in response.data


def test_prepare_data_is_idempotent(empty_app):
    first = run(empty_app, "prepare-data")
    assert first.exit_code == 0, first.output
    second = run(empty_app, "prepare-data")
    assert second.exit_code == 0 and "0 created, 0 updated" in second.output
    assert "created" in first.output and not re.search(r"[1-9]\d* (created|updated)", second.output)


def test_seed_demo_refuses_an_unmigrated_database(empty_app):
    result = run(empty_app, "seed-demo")
    assert result.exit_code == 1 and "not at head" in result.output


@pytest.mark.parametrize("row, message", [
    ("JAN17,GCSE JANUARY 2017,9999/01,NEW,abc,,,,", "line 2"),
    ("JAN17,GCSE JANUARY 2017,,NEW,60,,,,", "line 2"),
])
def test_import_with_a_bad_row_names_the_line_exits_1_and_writes_nothing(empty_app, tmp_path, row, message):
    run(empty_app, "migrate")
    header = "series_code,series_title,component_code,component_title,max_mark,status_codes,agenda_document," \
             "formula_pdf,formula_pdf_welsh"
    good = "JAN17,GCSE JANUARY 2017,9998/01,GOOD,60,A=Absent,,,"
    path = tmp_path / "new.csv"
    path.write_text(f"{header}\n{good}\n{row}\n".replace(f"{good}\n{row}", f"{row}\n{good}"), encoding="utf-8")
    result = run(empty_app, "import", str(path), "--kind", "components")
    assert result.exit_code == 1 and message in result.output and "Nothing was written" in result.output
    ok = tmp_path / "components.csv"
    ok.write_text(f"{header}\n{good}\n", encoding="utf-8")
    assert "1 created" in run(empty_app, "import", str(ok)).output
    assert "1 unchanged" in run(empty_app, "import", str(ok)).output


def http_statements(app, browser, candidates: int, code: str) -> tuple[int, int]:
    engine = app.extensions["portal.database"].engine
    with app.extensions["portal.database"].sessions() as session:
        allocation_id = make_sheet(session, candidates, owner=ELERI, code=code)
    with counting_statements(engine) as renders:
        form = open_sheet(browser, str(allocation_id))
    form.update({k: str(n % 60) for n, k in enumerate(form) if k.startswith("mark-")})
    with counting_statements(engine) as saves:
        assert browser.client.post(f"/emi/allocations/{allocation_id}", data=form).status_code == 303
    return len(renders), len(saves)


def test_a_sheet_renders_and_saves_with_the_same_sql_for_10_and_1000_candidates(data_app, entra):
    browser = SignInActions(data_app.test_client(), entra)
    sign_in_as(browser, EXAMINER)
    browser.client.get("/services")  # the first page after sign-in also reads the favourites into the session
    small = http_statements(data_app, browser, 10, "9531/01")
    large = http_statements(data_app, browser, 1000, "9532/01")
    assert large == small and small[0] <= 6 and small[1] <= 16


@pytest.fixture
def pg_app(tmp_path, redis_url, entra, pg_seeded_url):
    yield from make_data_app(tmp_path, redis_url, pg_seeded_url)


def test_two_people_saving_on_postgresql_never_lose_an_update(pg_app, entra):
    tab_a, tab_b = (SignInActions(pg_app.test_client(), entra) for _ in range(2))
    for tab in (tab_a, tab_b):
        sign_in_as(tab, EXAMINER)
    form_a, form_b = open_sheet(tab_a), open_sheet(tab_b)
    field = next(k for k in form_a if k.startswith("mark-"))
    assert tab_a.client.post("/emi/allocations/1", data={**form_a, field: "11"}).status_code == 303
    conflict = tab_b.client.post("/emi/allocations/1", data={**form_b, field: "12"})
    assert conflict.status_code == 409 and "now 11" in conflict.get_data(as_text=True)


def _admin(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _kick_connections(admin, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})


@contextmanager
def database_gone(url: str):
    """The database refuses every connection (its open ones ended) until the block ends."""
    name = make_url(url).database
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
    _kick_connections(admin, name)
    try:
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


def test_a_database_that_refuses_writes_mid_session_gives_503_with_the_typed_marks(pg_app, entra, pg_seeded_url):
    browser = SignInActions(pg_app.test_client(), entra)
    sign_in_as(browser, EXAMINER)
    form = open_sheet(browser)
    field = next(k for k in form if k.startswith("mark-"))
    name = make_url(pg_seeded_url).database
    admin = _admin(pg_seeded_url)
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    _kick_connections(admin, name)
    response = browser.client.post("/emi/allocations/1", data={**form, field: "44", "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "could not save" in html and sheet_form(html)[field] == "44"
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
    admin.dispose()
    with pg_app.extensions["portal.database"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 0  # nothing half-written


def test_a_database_that_is_gone_gives_503_with_the_typed_marks_to_send_again(pg_app, entra, pg_seeded_url):
    browser = SignInActions(pg_app.test_client(), entra)
    sign_in_as(browser, EXAMINER)
    form = open_sheet(browser)
    field = next(k for k in form if k.startswith("mark-"))
    with database_gone(pg_seeded_url):
        response = browser.client.post("/emi/allocations/1", data={**form, field: "44", "action": "save"})
        html = response.get_data(as_text=True)
        assert response.status_code == 503 and "could not be saved" in html
        assert sheet_form(html)[field] == "44" and response.headers["Retry-After"]
    again = browser.client.post("/emi/allocations/1", data=sheet_form(html))
    assert again.status_code == 303


def test_create_app_makes_no_connection(tmp_path, redis_url, entra):
    app = create_app(portal_test_config(tmp_path, redis_url,
                                        database={"url": "postgresql://nobody@127.0.0.1:1/none"}))
    assert app.extensions["portal.database"].engine.pool.checkedout() == 0


def test_a_kept_mark_list_is_not_served_while_the_database_is_gone(pg_app, entra, pg_seeded_url):
    """Fail closed: with no change stamps to read, a list kept rendered could be stale, so it is a 503."""
    browser = SignInActions(pg_app.test_client(), entra)
    sign_in_as(browser, EXAMINER)
    assert browser.client.get("/emi/").status_code == 200  # rendered and kept
    with database_gone(pg_seeded_url):
        response = browser.client.get("/emi/")
        assert response.status_code == 503 and 'data-testid="emi-list"' not in response.get_data(as_text=True)
    assert browser.client.get("/emi/").status_code == 200


def test_a_mark_list_survives_its_read_connection_being_dropped_by_the_server(pg_app, entra, pg_seeded_url):
    """The small reads' engine has no pre-ping: a read that meets a connection the server ended (a restart, a
    failover) is tried once more on a new one, so the page is served, not a 503."""
    browser = SignInActions(pg_app.test_client(), entra)
    sign_in_as(browser, EXAMINER)
    assert browser.client.get("/emi/").status_code == 200  # a read connection is now pooled
    admin = _admin(pg_seeded_url)
    _kick_connections(admin, make_url(pg_seeded_url).database)
    admin.dispose()
    response = browser.client.get("/emi/")
    assert response.status_code == 200 and 'data-testid="emi-list"' in response.get_data(as_text=True)
