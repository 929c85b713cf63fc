"""View Team and review through HTTP: columns that mean what they say, "Work as" deciding the scope, read-only
views of a member's work, return (note required, shown to the moderator) and accept, 404 outside the line."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import (
    MODERATOR,
    PRINCIPAL,
    TEAM_LEADER,
    SignInActions,
    make_data_app,
    sign_in_as,
)
from tests.portal_app.iamis_helpers import MORGAN_CENTRE, form_fields, page, seed_figures, submit_centre, switch_work_as

MEMBER_CENTRE = "/iamis/team/allocations/5/centres/68101"


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path, redis_url, entra):
    url = request.getfixturevalue("seeded_sqlite_url" if request.param == "sqlite" else "pg_seeded_url")
    yield from make_data_app(tmp_path, redis_url, url)


def signed_in(app, entra, claims) -> SignInActions:
    browser = SignInActions(app.test_client(), entra)
    sign_in_as(browser, claims)
    return browser


def team_row(html: str, email: str) -> dict[str, str]:
    row = re.search(rf'data-member="{re.escape(email)}">(.*?)</tr>', html, re.S).group(1)
    return dict(re.findall(r'data-col="(\w+)">([^<]*)<', row))


def test_view_team_columns_count_the_members_work_and_follow_work_as(app, entra):
    leader = signed_in(app, entra, TEAM_LEADER)
    row = team_row(page(leader, "/iamis/team"), "moderator@wjec-appointees.co.uk")
    assert row == {"centres": "6", "submitted": "0", "returned": "0", "accepted": "0", "remaining": "74",
                   "activity": "none yet"}
    assert "teamleader@" not in page(leader, "/iamis/team")  # nobody is shown their own work
    principal = signed_in(app, entra, PRINCIPAL)
    team = page(principal, "/iamis/team")
    assert "moderator@wjec" in team and "teamleader@wjec" in team and "every moderator of the components" in team
    switch_work_as(principal, "team_leader")
    assert "the moderators you lead" in page(principal, "/iamis/team")


def test_the_moderator_submits_the_leader_returns_with_a_note_the_moderator_fixes_and_the_principal_accepts(app,
                                                                                                            entra):
    moderator = signed_in(app, entra, MODERATOR)
    assert submit_centre(moderator).status_code == 303
    leader = signed_in(app, entra, TEAM_LEADER)
    assert team_row(page(leader, "/iamis/team"), "moderator@wjec-appointees.co.uk")["submitted"] == "1"
    html = page(leader, MEMBER_CENTRE)
    assert "Marcio cywir a chyson" in html and 'name="mark-5' not in html  # read-only for the leader
    decision = form_fields(html, testid="decision")
    missing = leader.client.post(MEMBER_CENTRE, data={**decision, "mark-note": " ", "action": "return"})
    assert missing.status_code == 422 and "Write what the moderator should change" in missing.get_data(as_text=True)
    returned = leader.client.post(MEMBER_CENTRE, data={**decision, "mark-note": "Gwiriwch ymgeisydd 0001, os "
                                                       "gwelwch yn dda.", "action": "return"})
    assert returned.status_code == 303
    assert team_row(page(leader, "/iamis/team"), "moderator@wjec-appointees.co.uk")["returned"] == "1"

    index = page(moderator, "/iamis/")
    assert seed_figures(index)[2] == "0" and 'data-testid="returned-notice"' in index
    centre = page(moderator, MORGAN_CENTRE)
    assert "Gwiriwch ymgeisydd 0001, os gwelwch yn dda." in centre and "Tomos Lloyd" in centre
    assert submit_centre(moderator, marks="41").status_code == 303

    principal = signed_in(app, entra, PRINCIPAL)
    decision = form_fields(page(principal, MEMBER_CENTRE), testid="decision")
    accepted = principal.client.post(MEMBER_CENTRE, data={**decision, "action": "accept"})
    assert accepted.status_code == 303
    html = page(principal, accepted.location)
    assert "The report was accepted" in html and 'data-testid="decision"' not in html
    assert seed_figures(page(moderator, "/iamis/"))[2] == "1"
    assert team_row(page(principal, "/iamis/team"), "moderator@wjec-appointees.co.uk")["accepted"] == "1"
    again = principal.client.post(MEMBER_CENTRE, data={**decision, "action": "return", "mark-note": "x"})
    assert again.status_code == 409


def test_a_report_not_yet_submitted_cannot_be_decided(app, entra):
    leader = signed_in(app, entra, TEAM_LEADER)
    html = page(leader, MEMBER_CENTRE)
    assert 'data-testid="not-submitted"' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', page(leader, "/iamis/")).group(1)
    response = leader.client.post(MEMBER_CENTRE, data={"csrf_token": token, "expected_version": "0",
                                                       "action": "accept"})
    assert response.status_code == 409


@pytest.mark.parametrize(("claims", "path", "status"), [
    (TEAM_LEADER, "/iamis/team/allocations/7", 404),                  # the principal's own: above the leader
    (TEAM_LEADER, "/iamis/team/allocations/6", 404),                  # the leader's own allocation
    (TEAM_LEADER, "/iamis/team/allocations/1", 404),                  # an examiner's sheet
    (TEAM_LEADER, "/iamis/team/allocations/5/centres/68107", 404),    # a centre not on the member's allocation
    (TEAM_LEADER, "/iamis/team/allocations/x", 404),
    (PRINCIPAL, "/iamis/team/allocations/7", 404),                    # nobody reviews their own work
    (MODERATOR, MEMBER_CENTRE, 403),                                  # no iamis:review
    (MODERATOR, "/iamis/team", 403),
])
def test_review_pages_are_gated_by_permission_and_404_outside_the_line(app, entra, claims, path, status):
    assert signed_in(app, entra, claims).client.get(path).status_code == status


def test_a_leader_cannot_post_to_a_members_centre_as_a_moderator(app, entra):
    leader = signed_in(app, entra, TEAM_LEADER)
    own = form_fields(page(leader, "/iamis/allocations/6/centres/68107"))
    assert leader.client.post(MORGAN_CENTRE, data={**own, "action": "save"}).status_code == 404
    assert leader.client.post(MORGAN_CENTRE + "/candidates", data={**own, "action": "add"}).status_code == 404


def test_the_review_decision_needs_this_sessions_csrf_token(app, entra):
    leader = signed_in(app, entra, TEAM_LEADER)
    response = leader.client.post(MEMBER_CENTRE, data={"csrf_token": "forged", "expected_version": "0",
                                                       "action": "accept"})
    assert response.status_code == 400


def test_an_expired_session_keeps_the_reviewers_note_and_decides_nothing(app, entra):
    assert submit_centre(signed_in(app, entra, MODERATOR)).status_code == 303
    leader = signed_in(app, entra, TEAM_LEADER)
    decision = form_fields(page(leader, MEMBER_CENTRE), testid="decision")
    leader.client.delete_cookie("portal_session", domain="localhost")
    response = leader.client.post(MEMBER_CENTRE, data={**decision, "mark-note": "Nodyn hir.", "action": "return"},
                                  headers={"Sec-Fetch-Site": "same-origin"})  # what a browser sends from the page
    assert response.status_code == 303
    after = leader.sign_in(next_path=unquote(re.search(r"next=([^&]+)", response.location).group(1)),
                           **TEAM_LEADER)
    html = page(leader, after.location)
    assert "nothing was done" in html and form_fields(html, testid="decision")["mark-note"] == "Nodyn hir."
    assert team_row(page(leader, "/iamis/team"), "moderator@wjec-appointees.co.uk")["returned"] == "0"
