"""IAMIS pages: the Moderator Mark Input table, reviewing a centre's sample, completing reports, View Team."""

from __future__ import annotations

import re

import pytest

from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import EXAMINER, MODERATOR, PRINCIPAL, TEAM_LEADER, sign_in_as

CENTRE = "/iamis/allocations/5/centres/68101"


def review_form(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="(csrf_token|expected_version)" value="([^"]*)"', html))
    fields.update(re.findall(r'name="(mark-\d+)" id="mark-\d+"\s+value="([^"]*)"', html))
    return fields


def column(html: str, name: str) -> str:
    return re.search(rf'data-col="{name}">([^<]*)<', html).group(1)


@pytest.fixture
def moderator(browser):
    sign_in_as(browser, MODERATOR)
    return browser


def test_table_has_the_seed_guides_columns_and_counts_from_the_data(moderator):
    html = moderator.client.get("/iamis/").get_data(as_text=True)
    for label in ("Moderator Mark Input", "Total Centres", "Total Sample Cands", "Total Reports Completed",
                  "Total Entered", "Total CF/Abs", "Total with new marks", "(3000N1)"):
        assert label in html
    # From config/demo-data: six centres and 74 sampled candidates for the demo moderator.
    assert column(html, "centres") == "6" and column(html, "sample") == "74" and column(html, "reports") == "0"
    assert "REVIEW MARKS(74) REMAINING" in html
    assert "View Team" not in html


def test_reviewing_a_centre_saves_then_completes_its_report(moderator):
    html = moderator.client.get(CENTRE).get_data(as_text=True)
    assert 'data-col="centre-mark"' in html
    form = review_form(html)
    marks = {k: str(n % 30) for n, k in enumerate(form) if k.startswith("mark-")}
    saved = moderator.client.post(CENTRE, data={**form, **marks, "action": "save"})
    assert saved.status_code == 303
    form = review_form(moderator.client.get(saved.location).get_data(as_text=True))
    done = moderator.client.post(CENTRE, data={**form, "action": "complete"})
    assert done.status_code == 303
    assert "read-only" in moderator.client.get(done.location).get_data(as_text=True)
    table = moderator.client.get("/iamis/").get_data(as_text=True)
    assert column(table, "reports") == "1" and f"REVIEW MARKS({74 - len(marks)}) REMAINING" in table


@pytest.mark.parametrize("bad", ["9999", "-3", "A", "2.5", "x"])
def test_a_bad_moderated_mark_is_shown_again_with_its_message(moderator, bad):
    form = review_form(moderator.client.get(CENTRE).get_data(as_text=True))
    field = next(k for k in form if k.startswith("mark-"))
    response = moderator.client.post(CENTRE, data={**form, field: bad, "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'aria-invalid="true"' in html
    assert review_form(html)[field] == bad


def test_completing_before_every_mark_is_in_is_refused(moderator):
    form = review_form(moderator.client.get(CENTRE).get_data(as_text=True))
    assert moderator.client.post(CENTRE, data={**form, "action": "complete"}).status_code == 422


def test_review_requires_this_sessions_csrf_token(moderator):
    form = review_form(moderator.client.get(CENTRE).get_data(as_text=True))
    form["csrf_token"] = "forged"
    assert moderator.client.post(CENTRE, data=form).status_code == 400


@pytest.mark.parametrize("path", ["/iamis/allocations/6/centres/68107", "/iamis/allocations/5/centres/68107",
                                  "/iamis/allocations/1/centres/68001", "/iamis/allocations/6",
                                  "/iamis/allocations/x"])
def test_other_moderators_centres_and_sheets_are_404(moderator, path):
    assert moderator.client.get(path).status_code == 404


def test_team_leader_sees_the_team_but_cannot_enter_marks_on_members_sheets(browser):
    sign_in_as(browser, TEAM_LEADER)
    index = browser.client.get("/iamis/").get_data(as_text=True)
    assert "View Team" in index and "Work as:" in index
    team = browser.client.get("/iamis/team").get_data(as_text=True)
    assert "moderator@wjec-appointees.co.uk" in team
    own = review_form(browser.client.get("/iamis/allocations/6/centres/68107").get_data(as_text=True))
    assert browser.client.get(CENTRE).status_code == 404
    assert browser.client.post(CENTRE, data={**own, "action": "save"}).status_code == 404


def test_principal_sees_everyone_below_and_work_as_moderator_hides_the_team(browser):
    sign_in_as(browser, PRINCIPAL)
    team = browser.client.get("/iamis/team").get_data(as_text=True)
    assert "teamleader@" in team and "moderator@" in team
    index = browser.client.get("/iamis/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', index).group(1)
    switched = browser.client.post("/work-as", data={"csrf_token": token, "role": "moderator", "next": "/iamis/"})
    assert switched.status_code == 303
    assert "View Team" not in browser.client.get("/iamis/").get_data(as_text=True)
    assert browser.client.get("/iamis/team").status_code == 403


def test_gates_anonymous_to_sign_in_and_examiners_403(browser):
    assert browser.client.get("/iamis/").status_code == 302
    sign_in_as(browser, EXAMINER)
    assert browser.client.get("/iamis/").status_code == 403
    assert browser.client.get("/iamis/team").status_code == 403
