"""The whole centre in rank order, and managing the sample through HTTP: add (a reason required), replace a
candidate whose work did not arrive, take back an added one; all refused once the report is submitted."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal_app.data.models import AuditLog
from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import MODERATOR, SignInActions, make_data_app, sign_in_as
from tests.portal_app.iamis_helpers import (
    MORGAN_CENTRE,
    fill_centre,
    form_fields,
    mark_fields,
    page,
    seed_figures,
    submit_centre,
)

CANDIDATES = MORGAN_CENTRE + "/candidates"


@pytest.fixture(params=["sqlite", "postgresql"])
def moderator(request, tmp_path, redis_url, entra):
    url = request.getfixturevalue("seeded_sqlite_url" if request.param == "sqlite" else "pg_seeded_url")
    for app in make_data_app(tmp_path, redis_url, url):
        browser = SignInActions(app.test_client(), entra)
        browser.app = app
        sign_in_as(browser, MODERATOR)
        yield browser


def ranked_marks(html: str) -> list[int]:
    return [int(m) for m in re.findall(r'data-col="centre-mark">(\d+)<', html)]


def sample_change(browser, testid: str, **fields):
    form = form_fields(page(browser, CANDIDATES), testid=testid)
    return browser.client.post(CANDIDATES, data={**form, **fields, "action": testid.removesuffix("-form")})


def test_the_whole_centre_lists_every_candidate_in_rank_order_with_the_sample_marked(moderator):
    html = page(moderator, CANDIDATES)
    marks = ranked_marks(html)
    assert len(marks) == 84 and marks == sorted(marks, reverse=True)
    assert html.count('class="sampled"') == 12 and "Drawn by the board" in html
    assert '<input type="text"' not in html  # centre marks are read-only here


def test_adding_a_candidate_needs_a_reason_and_counts_in_the_sample(moderator):
    refused = sample_change(moderator, "add-form", **{"mark-note": "   "})
    assert refused.status_code == 422 and "Say why you are adding" in refused.get_data(as_text=True)
    added = sample_change(moderator, "add-form", **{"mark-note": "Gwaith ymarferol i'w wirio"})
    assert added.status_code == 303
    html = page(moderator, added.location)
    assert "The candidate was added" in html and html.count('class="sampled"') == 13
    assert "Gwaith ymarferol i&#39;w wirio" in page(moderator, MORGAN_CENTRE)
    assert seed_figures(page(moderator, "/iamis/"))[1] == "75"


def test_replacing_a_candidate_whose_work_did_not_arrive_and_taking_the_replacement_back(moderator):
    assert 'data-testid="replace-form"' not in page(moderator, CANDIDATES)  # nothing to replace yet
    fields = fill_centre(page(moderator, MORGAN_CENTRE))
    entry = mark_fields(fields)[0][5:]
    saved = moderator.client.post(MORGAN_CENTRE, data={**fields, f"mark-work-{entry}": "not_received",
                                                       "action": "save"})
    assert saved.status_code == 303
    replaced = sample_change(moderator, "replace-form", **{"mark-note": ""})
    assert replaced.status_code == 303
    centre = page(moderator, MORGAN_CENTRE)
    assert "Replaced by" in centre and "in place of" in centre
    assert len(mark_fields(form_fields(centre))) == 12  # the replaced row needs no moderated mark
    assert seed_figures(page(moderator, "/iamis/"))[1:4] == ("74", "0", "74")
    take_back = form_fields(page(moderator, CANDIDATES))  # the first form: the replacement's "take out" button
    assert moderator.client.post(CANDIDATES, data={**take_back, "action": "remove"}).status_code == 303
    assert "Replaced by" not in page(moderator, MORGAN_CENTRE)
    with moderator.app.extensions["portal.database"].sessions() as session:
        fields = [a.field for a in session.scalars(select(AuditLog).where(AuditLog.entity == "moderation_sample"))]
    assert fields == ["work", "reason", "note", "replaced_by", "reason", "replaced_by"]


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({"action": "add", "candidate": "999999", "mark-note": "x"}, 422, "Choose a candidate of this centre"),
    ({"action": "replace", "replaced": "1", "candidate": "2", "mark-note": ""}, 422, "Choose a candidate who is in"),
    ({"action": "remove", "candidate": "1"}, 422, "Only a candidate you added"),
    ({"action": "destroy"}, 400, "Choose what to do"),
    ({"action": "add", "candidate": "1", "mark-note": "x", "expected_version": "7"}, 409, "changed elsewhere"),
])
def test_bad_sample_changes_are_refused_with_a_clear_4xx(moderator, fields, status, message):
    form = form_fields(page(moderator, CANDIDATES), testid="add-form")
    response = moderator.client.post(CANDIDATES, data={**form, **fields})
    assert response.status_code == status and message in response.get_data(as_text=True)


def test_a_candidate_already_sampled_cannot_be_added_again(moderator):
    html = page(moderator, CANDIDATES)
    sampled = re.search(r'<tr data-entry="(\d+)" class="sampled"', html).group(1)
    form = form_fields(html, testid="add-form")
    response = moderator.client.post(CANDIDATES, data={**form, "candidate": sampled, "mark-note": "x",
                                                       "action": "add"})
    assert response.status_code == 422 and "already in a sample" in response.get_data(as_text=True)


def test_the_sample_cannot_change_once_the_report_is_submitted(moderator):
    add = form_fields(page(moderator, CANDIDATES), testid="add-form")
    assert submit_centre(moderator).status_code == 303  # a save (version 1), then the submission (version 2)
    html = page(moderator, CANDIDATES)
    assert 'data-testid="add-form"' not in html and "can no longer change" in html
    response = moderator.client.post(CANDIDATES, data={**add, "expected_version": "2", "mark-note": "late",
                                                       "action": "add"})
    assert response.status_code == 409 and "can no longer be changed" in response.get_data(as_text=True)
