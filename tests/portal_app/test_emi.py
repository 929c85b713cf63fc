"""EMI pages: the list's counts, the mark sheet (draft, validation, conflicts, submit), and who may reach it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal_app.data.models import AuditLog
from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import (
    EXAMINER,
    MODERATOR,
    OTHER_EXAMINER,
    SignInActions,
    sign_in_as,
)

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
LATIN_CORE = "GCSE JANUARY 2017 LATIN LANGUAGE CORE: LEVEL 2 (9521/01)"


def sheet_form(html: str) -> dict[str, str]:
    """The hidden fields and every mark field of a rendered sheet, as a browser would post them."""
    fields = dict(re.findall(r'name="(csrf_token|expected_version|stash_token)" value="([^"]*)"', html))
    fields.update(re.findall(r'name="(mark-\d+)" id="mark-\d+" value="([^"]*)"', html))
    return fields


def allocation_ids(html: str) -> list[str]:
    return re.findall(r'data-allocation="(\d+)"', html)


@pytest.fixture
def examiner(browser) -> SignInActions:
    sign_in_as(browser, EXAMINER)
    return browser


def open_sheet(browser, allocation_id: str = "1") -> dict[str, str]:
    response = browser.client.get(f"/emi/allocations/{allocation_id}")
    assert response.status_code == 200, response.data
    return sheet_form(response.get_data(as_text=True))


def count(app, query) -> int:
    with app.extensions["portal.database"].sessions() as session:
        return session.scalar(query)


def test_list_shows_the_seed_guides_labels_with_counts_from_the_data(examiner, data_app):
    html = examiner.client.get("/emi/").get_data(as_text=True)
    form = open_sheet(examiner)
    candidates = len([k for k in form if k.startswith("mark-")])
    assert "ELECTRONIC MARK INPUT" in html and LATIN_CORE in html
    assert f"ENTER MARKS ({candidates} LEFT)" in html
    assert "NO MARKS TO SUBMIT (0 SUBMITTED)" in html and "VIEW CONFERENCE AGENDA" in html
    assert allocation_ids(html) == ["1", "2"]


def test_saving_a_draft_keeps_the_marks_updates_the_count_and_audits_each_change(examiner, data_app):
    form = open_sheet(examiner)
    marks = [k for k in form if k.startswith("mark-")]
    form.update({marks[0]: "42", marks[1]: "a", "action": "save"})
    response = examiner.client.post("/emi/allocations/1", data=form)
    assert response.status_code == 303
    again = examiner.client.get(response.location).get_data(as_text=True)
    assert "saved as a draft" in again
    assert sheet_form(again)[marks[0]] == "42" and sheet_form(again)[marks[1]] == "A"
    assert f"ENTER MARKS ({len(marks) - 2} LEFT)" in examiner.client.get("/emi/").get_data(as_text=True)
    assert count(data_app, select(func.count()).select_from(AuditLog)) == 2


@pytest.mark.parametrize("bad", ["61", "-1", "4.5", "X", "١٢", "1e3", "9" * 20])
def test_invalid_mark_rerenders_with_typed_values_and_an_inline_message(examiner, data_app, bad):
    form = open_sheet(examiner)
    marks = [k for k in form if k.startswith("mark-")]
    form.update({marks[0]: "12", marks[1]: bad, "action": "save"})
    response = examiner.client.post("/emi/allocations/1", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    entry = marks[1].removeprefix("mark-")
    assert f'aria-describedby="err-{entry} allowed"' in html and 'aria-invalid="true"' in html
    assert f'id="err-{entry}"' in html
    assert 'value="12"' in html  # the good value typed beside the bad one is still there
    assert count(data_app, select(func.count()).select_from(AuditLog)) == 0


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_save_without_this_sessions_csrf_token_is_refused_and_writes_nothing(examiner, data_app, token):
    form = open_sheet(examiner)
    form.pop("csrf_token")
    if token is not None:
        form["csrf_token"] = token
    form.update({next(k for k in form if k.startswith("mark-")): "5", "action": "save"})
    assert examiner.client.post("/emi/allocations/1", data=form).status_code == 400
    assert count(data_app, select(func.count()).select_from(AuditLog)) == 0


@pytest.mark.parametrize("allocation_id", ["3", "5", "999", "abc", "1%20", "-1"])
def test_another_appointees_or_unknown_allocation_is_404_for_read_and_save(examiner, allocation_id):
    assert examiner.client.get(f"/emi/allocations/{allocation_id}").status_code == 404
    form = open_sheet(examiner)
    assert examiner.client.post(f"/emi/allocations/{allocation_id}", data=form).status_code == 404


def test_the_owner_of_allocation_3_reaches_it_but_not_the_first_examiners(browser):
    sign_in_as(browser, OTHER_EXAMINER)
    assert allocation_ids(browser.client.get("/emi/").get_data(as_text=True)) == ["3"]
    assert browser.client.get("/emi/allocations/1").status_code == 404


def test_two_tabs_never_lose_an_update_silently(examiner, data_app):
    first_tab, second_tab = open_sheet(examiner), open_sheet(examiner)
    field = next(k for k in first_tab if k.startswith("mark-"))
    assert examiner.client.post("/emi/allocations/1", data={**first_tab, field: "30"}).status_code == 303
    response = examiner.client.post("/emi/allocations/1", data={**second_tab, field: "31"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'value="31"' in html and "Changed meanwhile: now 30" in html
    resend = sheet_form(html)
    assert resend["expected_version"] == "1"  # saving again is a deliberate choice, made with the conflict shown
    assert examiner.client.post("/emi/allocations/1", data=resend).status_code == 303
    assert sheet_form(examiner.client.get("/emi/allocations/1").get_data(as_text=True))[field] == "31"


def centre_fields(html: str, centre: str) -> list[str]:
    """The mark fields of one centre's section of a rendered sheet ([] when the centre is not on it)."""
    if f'<section class="centre" id="centre-{centre}"' not in html:
        return []
    section = html.split(f'<section class="centre" id="centre-{centre}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'name="(mark-\d+)"', section)


def test_submitting_a_complete_centre_makes_only_that_centre_read_only(examiner):
    html = examiner.client.get("/emi/allocations/2").get_data(as_text=True)
    form = sheet_form(html)
    first, second = centre_fields(html, "68001"), centre_fields(html, "68002")
    filled = {k: ("A" if n % 7 == 0 else str(n % 40)) for n, k in enumerate(first)}
    response = examiner.client.post("/emi/allocations/2", data={**form, **filled, "submit_centre": "68001"})
    assert response.status_code == 303 and response.location.endswith("#centre-68001")
    after = examiner.client.get(response.location).get_data(as_text=True)
    assert "The marks of centre 68001 were submitted." in after
    assert centre_fields(after, "68001") == [] and centre_fields(after, "68002") == second
    assert 'value="68001"' not in after and 'name="submit_centre" value="68002"' in after
    listing = examiner.client.get("/emi/").get_data(as_text=True)
    assert f"NO MARKS TO SUBMIT ({len(first)} SUBMITTED)" in listing
    again = examiner.client.post("/emi/allocations/2", data={**sheet_form(after), first[0]: "1"})
    assert again.status_code == 422 and "has been submitted" in again.get_data(as_text=True)


def test_the_list_counts_entered_but_unsubmitted_marks_to_submit(examiner):
    form = open_sheet(examiner, "2")
    fields = [k for k in form if k.startswith("mark-")][:3]
    examiner.client.post("/emi/allocations/2", data={**form, **dict.fromkeys(fields, "9"), "action": "save"})
    listing = examiner.client.get("/emi/").get_data(as_text=True)
    assert "SUBMIT MARKS (3)" in listing and "(0 SUBMITTED)" in listing


def test_submitting_an_incomplete_centre_saves_the_draft_and_names_the_empty_fields(examiner):
    html = examiner.client.get("/emi/allocations/2").get_data(as_text=True)
    form, fields = sheet_form(html), centre_fields(html, "68001")
    response = examiner.client.post("/emi/allocations/2", data={**form, fields[0]: "7", "submit_centre": "68001"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "saved as a draft" in page and "centre 68001 was not submitted" in page
    assert page.count("Enter a mark or a status code before submitting") == len(fields) - 1
    assert sheet_form(page)[fields[0]] == "7"
    listing = examiner.client.get("/emi/").get_data(as_text=True)
    assert "SUBMIT MARKS (1)" in listing and "(0 SUBMITTED)" in listing


def test_a_script_not_received_is_ticked_and_then_takes_a_code_not_a_mark(examiner, data_app):
    form = open_sheet(examiner, "2")
    field = next(k for k in form if k.startswith("mark-"))
    entry = field.removeprefix("mark-")
    refused = examiner.client.post("/emi/allocations/2", data={**form, field: "12", f"not-received-{entry}": "1",
                                                               "action": "save"})
    assert refused.status_code == 422
    assert "No script was received for this candidate" in refused.get_data(as_text=True)
    assert f'id="nr-{entry}" value="1" aria-describedby="not-received-help" checked' in refused.get_data(as_text=True)
    saved = examiner.client.post("/emi/allocations/2", data={**form, field: "a", f"not-received-{entry}": "1",
                                                             "action": "save"})
    assert saved.status_code == 303
    html = examiner.client.get("/emi/allocations/2").get_data(as_text=True)
    assert f'id="nr-{entry}" value="1" aria-describedby="not-received-help" checked' in html
    assert sheet_form(html)[field] == "A"


def test_an_expired_session_keeps_the_typed_marks_for_after_sign_in(examiner, entra):
    form = open_sheet(examiner)
    field = next(k for k in form if k.startswith("mark-"))
    examiner.client.delete_cookie("portal_session", domain="localhost")
    response = examiner.client.post("/emi/allocations/1", data={**form, field: "55", "action": "save"},
                                    headers=SAME_ORIGIN)
    assert response.status_code == 303
    next_path = re.search(r"next=([^&]+)", response.location).group(1)
    from urllib.parse import unquote

    after = examiner.sign_in(next_path=unquote(next_path), **EXAMINER)
    html = examiner.client.get(after.location).get_data(as_text=True)
    assert "were not saved" in html and sheet_form(html)[field] == "55"
    # Single use, and never saved by itself.
    assert sheet_form(examiner.client.get(after.location).get_data(as_text=True))[field] == ""


def test_an_expired_session_keeps_the_not_received_ticks_too(examiner, entra):
    form = open_sheet(examiner, "2")
    first, second = [k for k in form if k.startswith("mark-")][:2]
    ticked, unticked = first.removeprefix("mark-"), second.removeprefix("mark-")
    examiner.client.delete_cookie("portal_session", domain="localhost")
    response = examiner.client.post("/emi/allocations/2", data={**form, first: "A", f"not-received-{ticked}": "1",
                                                                second: "14", "action": "save"},
                                    headers=SAME_ORIGIN)
    from urllib.parse import unquote

    after = examiner.sign_in(next_path=unquote(re.search(r"next=([^&]+)", response.location).group(1)), **EXAMINER)
    html = examiner.client.get(after.location).get_data(as_text=True)
    assert "were not saved" in html and sheet_form(html)[first] == "A" and sheet_form(html)[second] == "14"
    assert f'id="nr-{ticked}" value="1" aria-describedby="not-received-help" checked' in html
    assert f'id="nr-{unticked}" value="1" aria-describedby="not-received-help">' in html
    # Nothing was saved by the restore itself.
    again = examiner.client.get("/emi/allocations/2").get_data(as_text=True)
    assert f'id="nr-{ticked}" value="1" aria-describedby="not-received-help">' in again


def test_kept_marks_cannot_be_planted_in_another_browser(examiner, data_app, entra):
    form = open_sheet(examiner)
    field = next(k for k in form if k.startswith("mark-"))
    attacker = data_app.test_client()
    response = attacker.post("/emi/allocations/1", data={**form, field: "0"}, headers=SAME_ORIGIN)
    next_path = re.search(r"next=([^&]+)", response.location).group(1)
    from urllib.parse import unquote

    html = examiner.client.get(unquote(next_path)).get_data(as_text=True)
    assert "were not saved" not in html and sheet_form(html)[field] == ""


def test_anonymous_visitors_go_to_sign_in_and_moderators_get_403(browser):
    response = browser.client.get("/emi/allocations/1")
    assert response.status_code == 302 and "next=" in response.location
    sign_in_as(browser, MODERATOR)
    assert browser.client.get("/emi/").status_code == 403
    assert browser.client.post("/emi/allocations/1", data={"action": "save"}).status_code == 403


def test_agenda_link_goes_to_the_components_document(examiner):
    response = examiner.client.get("/emi/allocations/1/agenda")
    assert response.status_code in (302, 404)  # 302 once the documents blueprint is registered
    assert examiner.client.get("/emi/allocations/3/agenda").status_code == 404
