"""Examining oversight over HTTP: the team page, read-only drill-down, reopening, deadlines and extensions."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal_app.data.deadlines import london_text
from portal_app.data.models import AuditLog
from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import EXAMINER, SignInActions, sign_in_as
from tests.portal_app.test_emi import centre_fields, sheet_form

TEAM_LEADER = {"roles": ["ExaminingTeamLeader"], "oid": "12121212-1212-4121-8121-121212121212",
               "preferred_username": "examteamleader@wjec-appointees.co.uk", "name": "Siân Rowlands"}
PRINCIPAL = {"roles": ["PrincipalExaminer"], "oid": "13131313-1313-4131-8131-131313131313",
             "preferred_username": "principalexaminer@wjec-appointees.co.uk", "name": "Dafydd Thomas"}
ADMIN = {"roles": ["PortalAdmin"], "oid": "55555555-5555-4555-8555-555555555555",
         "preferred_username": "admin@wjec-appointees.co.uk", "name": "Ops Admin"}
GWENS_ALLOCATION = "4"  # manygroups@, 4370/02: led by the principal directly, not by the team leader


def person(data_app, entra, claims) -> SignInActions:
    actions = SignInActions(data_app.test_client(), entra)
    # An Entra session id of its own: the fake's default sid is shared by every test using the shared Redis,
    # so a front-channel logout test running elsewhere at the same moment would end this session too.
    sign_in_as(actions, {**claims, "sid": str(uuid.uuid4())})
    return actions


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def submit_centre(examiner: SignInActions, allocation: str, centre: str) -> None:
    html = examiner.client.get(f"/emi/allocations/{allocation}").get_data(as_text=True)
    filled = {k: "5" for k in centre_fields(html, centre)}
    response = examiner.client.post(f"/emi/allocations/{allocation}",
                                    data={**sheet_form(html), **filled, "submit_centre": centre})
    assert response.status_code == 303, response.get_data(as_text=True)[:400]


def set_due(data_app, when: datetime, component: str = "9522/01"):
    result = data_app.test_cli_runner().invoke(args=["portal", "set-marks-due", "JAN17", component,
                                                     "--due", london_text(when)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def examiner(data_app, entra):
    return person(data_app, entra, EXAMINER)



def test_an_examiner_has_no_team_page(examiner):
    assert 'data-testid="view-team"' not in examiner.client.get("/emi/").get_data(as_text=True)
    assert examiner.client.get("/emi/team").status_code == 403
    assert examiner.client.get("/emi/team/allocations/1").status_code == 403


def test_the_team_leader_sees_each_members_progress_and_reads_their_sheet(data_app, entra, examiner):
    submit_centre(examiner, "2", "68001")
    leader = person(data_app, entra, TEAM_LEADER)
    assert 'data-testid="view-team"' in leader.client.get("/emi/").get_data(as_text=True)
    html = leader.client.get("/emi/team").get_data(as_text=True)
    assert re.findall(r'data-allocation="(\d+)"', html) == ["3", "1", "2"]
    row = html.split('data-allocation="2"', 1)[1].split("</tr>", 1)[0]
    cells = dict(re.findall(r'data-col="([a-z-]+)">([^<]*)<', row))
    assert (cells["centres"], cells["allocation"], cells["entered"], cells["submitted"], cells["percent"]) == (
        "2", "24", "14", "14", "58%")
    assert cells["last-save"] != "Not yet"
    sheet = leader.client.get("/emi/team/allocations/2").get_data(as_text=True)
    assert "examiner@wjec-appointees.co.uk" in sheet and 'name="mark-' not in sheet
    assert 'data-testid="reopen-form"' not in sheet and 'data-testid="extension-form"' not in sheet


@pytest.mark.parametrize("allocation", [GWENS_ALLOCATION, "5", "999", "abc"])
def test_an_allocation_outside_the_team_is_404(data_app, entra, allocation):
    leader = person(data_app, entra, TEAM_LEADER)
    assert leader.client.get(f"/emi/team/allocations/{allocation}").status_code == 404


def test_a_team_leader_may_not_reopen_or_extend(data_app, entra, examiner):
    submit_centre(examiner, "2", "68001")
    leader = person(data_app, entra, TEAM_LEADER)
    token = csrf_of(leader.client.get("/logout").get_data(as_text=True))  # the session's token, from any form
    for path in ("/emi/team/allocations/2/centres/68001/reopen", "/emi/team/allocations/2/extension"):
        assert leader.client.post(path, data={"csrf_token": token, "reason": "x"}).status_code == 403


def test_the_principal_reopens_a_centre_with_a_reason_and_the_examiner_is_told(data_app, entra, examiner):
    submit_centre(examiner, "2", "68001")
    principal = person(data_app, entra, PRINCIPAL)
    page = principal.client.get("/emi/team/allocations/2").get_data(as_text=True)
    assert 'data-testid="reopen-form"' in page and GWENS_ALLOCATION in re.findall(
        r'data-allocation="(\d+)"', principal.client.get("/emi/team").get_data(as_text=True))
    path = "/emi/team/allocations/2/centres/68001/reopen"
    assert principal.client.post(path, data={"reason": "Candidate 0003 mis-added"}).status_code == 400  # no CSRF
    missing = principal.client.post(path, data={"csrf_token": csrf_of(page), "reason": "  "})
    assert missing.status_code == 422 and "Give a reason" in missing.get_data(as_text=True)
    done = principal.client.post(path, data={"csrf_token": csrf_of(page), "reason": "Candidate 0003 mis-added"})
    assert done.status_code == 303
    assert "Centre 68001 was reopened" in principal.client.get(done.location).get_data(as_text=True)
    listing = examiner.client.get("/emi/").get_data(as_text=True)
    assert "Centre 68001 was reopened on" in listing and "Candidate 0003 mis-added" in listing
    assert centre_fields(examiner.client.get("/emi/allocations/2").get_data(as_text=True), "68001")
    with data_app.extensions["portal.database"].sessions() as session:
        reasons = session.scalars(select(AuditLog.new_value).where(AuditLog.field == "reopen:68001")).all()
    assert reasons == ["Candidate 0003 mis-added"]
    again = principal.client.post(path, data={"csrf_token": csrf_of(page), "reason": "twice"})
    assert again.status_code == 422 and "not submitted" in again.get_data(as_text=True)


def test_after_the_deadline_saves_are_refused_keeping_what_was_typed_until_an_extension(data_app, entra, examiner):
    set_due(data_app, datetime.now(UTC) - timedelta(hours=1))
    listing = examiner.client.get("/emi/").get_data(as_text=True)
    assert 'data-testid="overdue"' in listing
    html = examiner.client.get("/emi/allocations/2").get_data(as_text=True)
    assert 'data-testid="deadline-passed"' in html and 'name="mark-' not in html
    entry = re.search(r'<td id="cand-(\d+)"', html).group(1)
    refused = examiner.client.post("/emi/allocations/2", data={**sheet_form(html), "expected_version": "0",
                                                               f"mark-{entry}": "17", "action": "save"})
    assert refused.status_code == 409
    assert "deadline for these marks has passed" in refused.get_data(as_text=True)

    principal = person(data_app, entra, PRINCIPAL)
    page = principal.client.get("/emi/team/allocations/2").get_data(as_text=True)
    assert 'data-testid="overdue"' in page
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    form = {"csrf_token": csrf_of(page), "due_date": "2017-02-30", "due_time": "17:00", "reason": "ill"}
    bad = principal.client.post("/emi/team/allocations/2/extension", data=form)
    assert bad.status_code == 422 and "is not a real date and time" in bad.get_data(as_text=True)
    assert 'value="2017-02-30"' in bad.get_data(as_text=True)
    form.update(due_date=london_text(tomorrow)[:10])
    assert principal.client.post("/emi/team/allocations/2/extension", data=form).status_code == 303
    listing = examiner.client.get("/emi/").get_data(as_text=True)
    assert 'data-testid="extension"' in listing and "ill" in listing
    submit_centre(examiner, "2", "68001")


def test_an_administrator_oversees_every_examiner(data_app, entra, examiner):
    submit_centre(examiner, "2", "68002")
    admin = person(data_app, entra, ADMIN)
    html = admin.client.get("/emi/team").get_data(as_text=True)
    assert sorted(re.findall(r'data-allocation="(\d+)"', html)) == ["1", "2", "3", "4"]
    page = admin.client.get("/emi/team/allocations/2").get_data(as_text=True)
    done = admin.client.post("/emi/team/allocations/2/centres/68002/reopen",
                             data={"csrf_token": csrf_of(page), "reason": "Board request"})
    assert done.status_code == 303


def test_an_exported_centre_is_reopened_only_after_its_export_is_reissued(data_app, entra, examiner, tmp_path):
    submit_centre(examiner, "2", "68001")
    runner = data_app.test_cli_runner()
    exported = runner.invoke(args=["portal", "export-marks", "--output", str(tmp_path / "out.csv")])
    assert exported.exit_code == 0, exported.output
    batch = re.search(r"batch ([0-9a-f-]{36})", exported.output).group(1)
    principal = person(data_app, entra, PRINCIPAL)
    page = principal.client.get("/emi/team/allocations/2").get_data(as_text=True)
    assert f"Exported to the board in batch {batch}" in page and "reissue the export of this centre" in page
    assert 'action="/emi/team/allocations/2/centres/68001/reopen"' not in page  # no form to press in vain
    path, token = "/emi/team/allocations/2/centres/68001/reopen", csrf_of(principal.client.get("/logout").get_data(
        as_text=True))
    refused = principal.client.post(path, data={"csrf_token": token, "reason": "late correction"})
    assert refused.status_code == 409 and batch in refused.get_data(as_text=True)
    assert "late correction" in refused.get_data(as_text=True)  # the typed reason is kept
    reissued = runner.invoke(args=["portal", "reissue-export", "JAN17", "9522/01", "68001", "--reason", "agreed"])
    assert reissued.exit_code == 0, reissued.output
    assert principal.client.post(path, data={"csrf_token": token, "reason": "late correction"}).status_code == 303
