"""GET /api/v1/marks through HTTP: app-only bearer tokens (really signed, fake Entra's JWKS), JSON pages, RFC 6750
challenges, and no session read or written."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import redis

from portal_app.data.audit import AuditContext
from portal_app.data.marks import load_mark_sheet, save_marks, submit_centre
from tests.data.builders import ELERI
from tests.portal_app.conftest import SignInActions
from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import EXAMINER, make_data_app, sign_in_as
from tests.support.app_tokens import RESULTS_CLIENT_ID, app_claims, app_token
from tests.support.servers import private_redis
from tests.support.signed_tokens import (
    CONTOSO_TENANT_ID,
    ISSUER_TEMPLATE,
    PORTAL_CLIENT_ID,
    TokenFactory,
    attacker_key,
    unsigned_token,
)

CTX = AuditContext("api-test", "api-test")


def submit(app, allocation_id: int, centre: str, at: datetime | None = None) -> int:
    """The examiner marks and submits one centre (through the data layer: the test's own setup)."""
    with app.extensions["portal.database"].sessions() as session:
        sheet = load_mark_sheet(session, allocation_id, ELERI)
        rows = sheet.rows_by_centre[centre]
        values = {row.entry_id: ("A" if n == 0 else str(n)) for n, row in enumerate(rows)}
        version = save_marks(session, allocation_id, ELERI, values, sheet.version, CTX).version
        submit_centre(session, allocation_id, ELERI, centre, version, CTX, now=at)
        session.commit()
        return len(rows)


def call(client, token: str | None = None, query: str = "", **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.get(f"/api/v1/marks{query}", headers=headers)


@pytest.fixture
def api(data_app):
    return data_app.test_client()


def test_the_results_system_gets_exactly_the_submitted_marks(data_app, api, caplog):
    submitted = submit(data_app, 2, "68001")
    response = call(api, app_token(), "?series=JAN17&component=9522/01")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert len(body["marks"]) == submitted and body["next"] is None
    first = body["marks"][0]
    assert first == {"series_code": "JAN17", "component_code": "9522/01", "centre_number": "68001",
                     "candidate_number": first["candidate_number"], "mark": None, "status_code": "A",
                     "examiner": {"tenant_id": ELERI.tid, "object_id": ELERI.oid},
                     "submitted_at": first["submitted_at"], "export_batch_id": None}
    assert first["submitted_at"].endswith("Z")
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    served = [r for r in caplog.records if getattr(r, "event", "") == "api_marks"]
    assert [(r.azp, r.marks) for r in served] == [(RESULTS_CLIENT_ID, submitted)]


def test_pages_follow_submission_time_and_since_gives_what_came_after(data_app, api):
    first = submit(data_app, 2, "68001", datetime(2017, 2, 1, 10, 0, tzinfo=UTC))
    second = submit(data_app, 2, "68002", datetime(2017, 2, 1, 11, 0, tzinfo=UTC))
    seen, url = [], "/api/v1/marks?page_size=5"
    while url:
        body = api.get(url, headers={"Authorization": f"Bearer {app_token()}"}).get_json()
        seen += body["marks"]
        url = body["next"] and urlsplit(body["next"]).path + "?" + urlsplit(body["next"]).query
    assert len(seen) == first + second
    assert len({(m["centre_number"], m["candidate_number"]) for m in seen}) == first + second
    boundary = seen[first - 1]["submitted_at"]
    later = call(api, app_token(), f"?since={boundary}").get_json()["marks"]
    assert {m["centre_number"] for m in later} == {"68002"} and len(later) == second


@pytest.mark.parametrize("query, message", [
    ("?series=JAN17&colour=red", "unknown parameter(s) colour"),
    ("?page_size=0", "page_size must be"),
    ("?page_size=99999", "page_size must be"),
    ("?since=2017-02-10T17:00", "since needs a zone"),
    ("?since=yesterday", "since is not an ISO 8601 time"),
    ("?page=bm90LWEtY3Vyc29y", "page is not a cursor"),
    ("?series=JAN%2017", "series is not a code"),
])
def test_bad_parameters_are_a_clear_400(api, query, message):
    response = call(api, app_token(), query)
    assert response.status_code == 400 and message in response.get_json()["error_description"]


def test_an_unknown_series_or_component_is_404_not_an_empty_list(api):
    assert call(api, app_token(), "?series=JUN99").status_code == 404
    assert call(api, app_token(), "?series=JAN17&component=0000/00").status_code == 404


def challenge(response) -> str:
    return response.headers.get("WWW-Authenticate", "")


def test_without_a_token_the_answer_is_401_with_a_bare_bearer_challenge(api):
    for response in (call(api), call(api, Authorization="Basic dXNlcjpwYXNz"), call(api, Authorization="Bearer ")):
        assert response.status_code == 401 and challenge(response) == 'Bearer realm="appointee-portal"'


@pytest.mark.parametrize("token, check", [
    (lambda: app_token(aud="00000003-0000-0000-c000-000000000000"), "audience"),
    (lambda: app_token(tid=CONTOSO_TENANT_ID, iss=ISSUER_TEMPLATE.replace("{tenantid}", CONTOSO_TENANT_ID)),
     "tenant"),
    (lambda: app_token(now=time.time() - 7200), "expired"),
    (lambda: unsigned_token(app_claims()), "algorithm"),
    (lambda: app_token(TokenFactory(key=attacker_key())), "signature"),
    (lambda: app_token(scp="Marks.Read", idtyp="user"), "app_only"),
    (lambda: "garbage", "format"),
])
def test_a_bad_token_is_401_invalid_token_and_the_reason_is_logged(api, caplog, token, check):
    response = call(api, token())
    assert response.status_code == 401
    assert challenge(response).startswith('Bearer realm="appointee-portal", error="invalid_token"')
    assert response.get_json()["error"] == "invalid_token"
    assert [r.reason for r in caplog.records if getattr(r, "event", "") == "api_refused"] == [check]


def test_a_token_without_the_app_role_is_403_insufficient_scope(api):
    for token in (app_token(omit=("roles",)), app_token(roles=["Something.Else"])):
        response = call(api, token)
        assert response.status_code == 403
        assert 'error="insufficient_scope"' in challenge(response)


def test_a_token_in_the_url_is_refused(api):
    response = api.get(f"/api/v1/marks?access_token={app_token()}")
    assert response.status_code == 400 and 'error="invalid_request"' in challenge(response)


def test_the_application_id_uri_is_an_accepted_audience_only_when_configured(tmp_path, redis_url, entra,
                                                                              seeded_sqlite_url):
    token = app_token(aud=f"api://{PORTAL_CLIENT_ID}")
    for configured, status in (("", 401), (f"api://{PORTAL_CLIENT_ID}", 200)):
        from portal_app import create_app
        from tests.portal_app.conftest import portal_test_config

        app = create_app(portal_test_config(tmp_path / configured.replace("/", "_"), redis_url,
                                            database={"url": seeded_sqlite_url},
                                            api={"application_id_uri": configured}))
        assert call(app.test_client(), token).status_code == status
        app.extensions["portal.database"].dispose()


def test_an_api_request_never_reads_or_writes_the_session_even_with_a_session_cookie(tmp_path, entra,
                                                                                      seeded_sqlite_url):
    """Counted at Redis (a private one, so other tests' commands cannot blur the count)."""
    with private_redis(tmp_path) as server:
        app = next(make_data_app(tmp_path, server.url, seeded_sqlite_url))
        browser = SignInActions(app.test_client(), entra)
        sign_in_as(browser, EXAMINER)
        assert browser.client.get("/emi/").status_code == 200  # the cookie is live
        client = redis.Redis.from_url(server.url)

        def commands() -> int:
            stats = client.info("commandstats")
            return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")

        before = commands()
        for token in (app_token(), "garbage", None):
            response = call(browser.client, token)
            assert "Set-Cookie" not in response.headers
        assert commands() == before
        assert browser.client.get("/emi/").status_code == 200
        assert commands() > before  # the same count does see page views
        client.close()
        app.extensions["portal.database"].dispose()
