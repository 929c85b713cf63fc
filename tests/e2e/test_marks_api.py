"""The marks API end to end: the results system gets a client-credentials token from the emulator and calls the
portal under gunicorn; tokens for another audience, without the app role, from another tenant, expired or
unsigned are refused with RFC 6750 challenges."""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests

from emulator.testing import CONTOSO_TENANT_ID, PORTAL_CLIENT_ID
from portal_app.data.audit import Appointee, AuditContext
from portal_app.data.db import init_engine, make_session_factory, session_scope
from portal_app.data.marks import list_examiner_components, load_mark_sheet, save_marks, submit_centre
from tests.support.flows import seed_demo_data

pytestmark = pytest.mark.e2e
ELERI = Appointee("3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70", "11111111-1111-4111-8111-111111111111")
RESULTS = ("5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f", "results-dev-secret-not-for-production")
SANDBOX = ("6d5e4f3a-2b1c-4dae-9f80-7b6c5d4e3f2a", "sandbox-dev-secret-not-for-production")
CONTOSO = ("7e6f5a4b-3c2d-4ebf-8091-8c7d6e5f4a3b", "contoso-dev-secret-not-for-production")
API_SCOPE = f"api://{PORTAL_CLIENT_ID}/.default"


@pytest.fixture(scope="module")
def submitted(portal) -> dict[str, str]:
    """The demo data, with Eleri's centre 68001 of 9522/01 marked and submitted: candidate -> mark or code."""
    seed_demo_data(portal)
    engine = init_engine(portal.env["DATABASE_URL"])
    with session_scope(make_session_factory(engine)) as session:
        allocation = next(c.allocation_id for c in list_examiner_components(session, ELERI)
                          if c.component_code == "9522/01")
        sheet = load_mark_sheet(session, allocation, ELERI)
        rows = sheet.rows_by_centre["68001"]
        values = {row.entry_id: ("A" if n == 3 else str(20 + n)) for n, row in enumerate(rows)}
        version = save_marks(session, allocation, ELERI, values, sheet.version, AuditContext()).version
        if sheet.centres[0].status == "open":
            submit_centre(session, allocation, ELERI, "68001", version, AuditContext())
        expected = {row.candidate_number: values[row.entry_id] for row in rows}
    engine.dispose()
    return expected


def token_for(emu, client, *, tenant=None, scope=API_SCOPE) -> str:
    with emu.http_session() as http:
        response = http.post(f"{emu.base_url}/{tenant or emu.authority.rsplit('/', 1)[1]}/oauth2/v2.0/token",
                             data={"grant_type": "client_credentials", "client_id": client[0],
                                   "client_secret": client[1], "scope": scope})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def call(portal, emu, token: str | None, query: str = "?series=JAN17&component=9522/01") -> requests.Response:
    with requests.Session() as http:
        http.trust_env = False
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return http.get(f"{portal.url}/api/v1/marks{query}", headers=headers, verify=str(emu.ca_path), timeout=15)


def test_the_results_system_reads_the_submitted_marks_with_an_emulator_issued_token(portal, emu, submitted):
    response = call(portal, emu, token_for(emu, RESULTS))
    assert response.status_code == 200, response.text
    marks = response.json()["marks"]
    got = {m["candidate_number"]: (m["status_code"] or str(m["mark"])) for m in marks}
    assert got == submitted
    assert {m["centre_number"] for m in marks} == {"68001"}
    assert "Set-Cookie" not in response.headers
    assert f'"azp": "{RESULTS[0]}"' in portal.log_tail(200)


def unsigned(token: str) -> str:
    """The same claims with ``alg: none`` and no signature."""
    payload = token.split(".")[1]
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).decode().rstrip("=")
    return f"{header}.{payload}."


@pytest.fixture
def expired_token(emu) -> str:
    """A real token of the results system, issued two hours ago on the emulator's clock."""
    clock = emu.state.clock
    offset = clock.now() - time.time()
    clock.set_offset(offset - 7200)
    try:
        return token_for(emu, RESULTS)
    finally:
        clock.set_offset(offset)


@pytest.mark.parametrize("case", ["wrong audience", "another tenant", "expired", "unsigned", "none"])
def test_tokens_that_fail_a_check_are_401_with_an_invalid_token_challenge(portal, emu, submitted, case, request):
    token = {
        "wrong audience": lambda: token_for(emu, RESULTS, scope="https://graph.microsoft.com/.default"),
        "another tenant": lambda: token_for(emu, CONTOSO, tenant=CONTOSO_TENANT_ID),
        "expired": lambda: request.getfixturevalue("expired_token"),
        "unsigned": lambda: unsigned(token_for(emu, RESULTS)),
        "none": lambda: None,
    }[case]()
    response = call(portal, emu, token)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    if case == "none":
        assert challenge == 'Bearer realm="appointee-portal"'
    else:
        assert challenge.startswith('Bearer realm="appointee-portal", error="invalid_token"')
    assert "marks" not in response.json()
    reasons = {"wrong audience": "audience", "another tenant": "tenant", "expired": "expired",
               "unsigned": "algorithm", "none": "request"}
    refused = [json.loads(line) for line in portal.log_tail(60).splitlines() if '"api_refused"' in line]
    assert refused[-1]["reason"] == reasons[case]  # each refusal is logged with the check it failed


def test_a_token_without_the_app_role_is_403_insufficient_scope(portal, emu, submitted):
    response = call(portal, emu, token_for(emu, SANDBOX))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
