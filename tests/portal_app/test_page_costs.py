"""What the pages people open most cost in round trips: one Redis command per page view (the session read) and
the same number of SQL statements however many favourites a user has (issue 17): none on All Services, whose
favourites are the session's copy; a mark list seen again with nothing changed reads only its change stamps,
and on SQLite not even those while nothing at all has been written (data.stamps_memo). Counted, never timed."""

from __future__ import annotations

import pytest
import redis

from tests.portal_app.conftest import SignInActions
from tests.portal_app.conftest_services import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_services import csrf_token, make_services_app, signed_in
from tests.support.servers import private_redis
from tests.support.sql import counting_statements

PAGES = {"examiner": ["/services", "/emi/"], "principal": ["/services", "/iamis/"]}
STARS = {"examiner": ["appointee-resources", "electronic-mark-input", "entries-registrations"],
         "principal": ["appointee-resources", "iamis-mark-input", "moderator-reports-invoices"]}


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, so that every command it counts is the portal's."""
    with private_redis(tmp_path) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    return request.getfixturevalue("seeded_sqlite_url" if request.param == "sqlite" else "pg_seeded_url")


@pytest.fixture
def costed_app(tmp_path, own_redis, entra, database_url):
    yield from make_services_app(tmp_path, own_redis.url, database_url)


def statements_per_page(app, client, path: str) -> int:
    with counting_statements(app.extensions["portal.database"].engine) as seen:
        assert client.get(path).status_code == 200
    return len(seen)


@pytest.mark.parametrize("who", PAGES)
def test_each_page_costs_the_same_sql_with_no_favourites_and_with_several(costed_app, entra, who):
    client = signed_in(SignInActions(costed_app.test_client(), entra), who).client
    first = {path: statements_per_page(costed_app, client, path) for path in PAGES[who]}
    before = {path: statements_per_page(costed_app, client, path) for path in PAGES[who]}
    for service in STARS[who]:
        token = csrf_token(client.get("/services").get_data(as_text=True))
        assert client.post("/services/favourites",
                           data={"csrf_token": token, "service": service, "action": "add"}).status_code == 303
    after_the_stars = {path: statements_per_page(costed_app, client, path) for path in PAGES[who]}
    after = {path: statements_per_page(costed_app, client, path) for path in PAGES[who]}
    assert after == before
    # The favourites come from the session's copy, the catalogue and the menu need no SQL.
    assert before["/services"] == after_the_stars["/services"] == 0
    mark_list = PAGES[who][1]
    # Seen again, unchanged: its data was read at the first view. PostgreSQL reads the change stamps at every
    # view; SQLite only once the file has been written since: the stars were, so the next view reads them,
    # finds the list's own unchanged and serves the list already rendered.
    sqlite = costed_app.extensions["portal.database"].engine.dialect.name == "sqlite"
    assert before[mark_list] == (0 if sqlite else 1) < first[mark_list]
    assert after_the_stars[mark_list] == 1


@pytest.mark.parametrize("who", PAGES)
def test_a_page_view_is_one_redis_command_the_session_read(costed_app, own_redis, entra, who):
    client = signed_in(SignInActions(costed_app.test_client(), entra), who).client
    for path in PAGES[who]:  # after sign-in, the first views may still write (the CSRF token is made on use)
        assert client.get(path).status_code == 200
    server = redis.Redis.from_url(own_redis.url)
    server.config_resetstat()
    views = 0
    for _ in range(3):
        for path in PAGES[who]:
            assert client.get(path).status_code == 200
            views += 1
    stats = server.info("commandstats")
    calls = {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()
             if name not in ("cmdstat_info", "cmdstat_config|resetstat")}
    assert calls == {"get": views}
