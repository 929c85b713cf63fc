"""One owner per entry, end to end on SQLite and PostgreSQL: overlaps refused by `portal import`, a centre moved
by an explicit reallocation, and stale writes refused over HTTP."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from portal_app.data.models import AuditLog
from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import EXAMINER, OTHER_EXAMINER, SignInActions, make_data_app, sign_in_as
from tests.portal_app.test_emi import centre_fields, sheet_form

TENANT = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
HEADER = "tenant_id,object_id,email,series_code,component_code,role,centres,reallocate\n"
NIA_ROW = f"{TENANT},{OTHER_EXAMINER['oid']},nomfa@wjec-appointees.co.uk,JAN17,9521/01,examiner,68005,"


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path, redis_url, entra):
    url = request.getfixturevalue("seeded_sqlite_url" if request.param == "sqlite" else "pg_seeded_url")
    yield from make_data_app(tmp_path, redis_url, url)


def person(app, entra, claims) -> SignInActions:
    actions = SignInActions(app.test_client(), entra)
    sign_in_as(actions, {**claims, "sid": str(uuid.uuid4())})  # see test_emi_team.person
    return actions


def portal_import(app, tmp_path, text: str):
    path = tmp_path / "allocations.csv"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["portal", "import", str(path)])


def audit_rows(app) -> int:
    with app.extensions["portal.database"].sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditLog))


def sheet_of(actions: SignInActions, allocation: str) -> str:
    response = actions.client.get(f"/emi/allocations/{allocation}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def nias_latin(actions: SignInActions) -> str | None:
    listing = actions.client.get("/emi/").get_data(as_text=True)
    rows = re.findall(r'<tr data-allocation="(\d+)">\s*<th scope="row">([^<]+)', listing)
    return next((allocation for allocation, label in rows if "9521/01" in label), None)


def test_an_overlapping_allocation_is_refused_with_the_line_and_the_holder_named(app, entra, tmp_path):
    result = portal_import(app, tmp_path, HEADER + NIA_ROW + "\n")
    assert result.exit_code == 1
    assert ("allocations.csv line 2: centre 68005 of 9521/01 is marked by examiner examiner@wjec-appointees.co.uk"
            in result.output) and "Nothing was written" in result.output
    nia = person(app, entra, OTHER_EXAMINER)
    assert nias_latin(nia) is None
    assert centre_fields(sheet_of(person(app, entra, EXAMINER), "1"), "68005")


def test_a_reallocated_centre_leaves_the_first_examiner_and_their_open_tab_cannot_write_it(app, entra, tmp_path):
    eleri = person(app, entra, EXAMINER)
    html = sheet_of(eleri, "1")
    moving = centre_fields(html, "68005")
    saved = eleri.client.post("/emi/allocations/1", data={**sheet_form(html), moving[0]: "44", "action": "save"})
    assert saved.status_code == 303
    open_tab = sheet_form(sheet_of(eleri, "1"))  # typed on before the move, saved after it

    result = portal_import(app, tmp_path, HEADER + NIA_ROW + "keep-marks\n")
    assert result.exit_code == 0, result.output
    before = audit_rows(app)
    stale = eleri.client.post("/emi/allocations/1", data={**open_tab, moving[1]: "12", "action": "save"})
    assert stale.status_code == 422
    assert "This candidate is not on your mark sheet." in stale.get_data(as_text=True)
    assert audit_rows(app) == before
    assert centre_fields(sheet_of(eleri, "1"), "68005") == []

    nia = person(app, entra, OTHER_EXAMINER)
    allocation = nias_latin(nia)
    nias = sheet_of(nia, allocation)
    assert centre_fields(nias, "68005") == moving and sheet_form(nias)[moving[0]] == "44"
    response = nia.client.post(f"/emi/allocations/{allocation}", data={**sheet_form(nias), moving[1]: "12",
                                                                       "action": "save"})
    assert response.status_code == 303


def test_a_stale_tab_never_overwrites_a_newer_mark_it_did_not_see(app, entra):
    eleri = person(app, entra, EXAMINER)
    first_tab, second_tab = sheet_form(sheet_of(eleri, "2")), sheet_form(sheet_of(eleri, "2"))
    field, other = [k for k in first_tab if k.startswith("mark-")][:2]
    assert eleri.client.post("/emi/allocations/2", data={**first_tab, field: "30", "action": "save"}
                             ).status_code == 303
    before = audit_rows(app)
    stale = eleri.client.post("/emi/allocations/2", data={**second_tab, field: "31", other: "5", "action": "save"})
    assert stale.status_code == 409 and "Changed meanwhile: now 30" in stale.get_data(as_text=True)
    assert audit_rows(app) == before
    assert sheet_form(sheet_of(eleri, "2"))[field] == "30"
