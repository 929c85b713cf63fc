"""IAMIS pages for the moderator: the Moderator Mark Input table, a centre's sample and report, saving, submitting
and what stays read-only, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from portal_app.data.models import AuditLog
from tests.portal_app.conftest_data import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_data import (
    EXAMINER,
    MODERATOR,
    PRINCIPAL,
    SignInActions,
    make_data_app,
    sign_in_as,
)
from tests.portal_app.iamis_helpers import (
    MORGAN_CENTRE,
    complete_report,
    fill_centre,
    form_fields,
    mark_fields,
    page,
    seed_figures,
    submit_centre,
    switch_work_as,
)

CENTRE = MORGAN_CENTRE


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request, tmp_path, redis_url, entra):
    url = request.getfixturevalue("seeded_sqlite_url" if request.param == "sqlite" else "pg_seeded_url")
    yield from make_data_app(tmp_path, redis_url, url)


@pytest.fixture
def moderator(any_app, entra):
    browser = SignInActions(any_app.test_client(), entra)
    sign_in_as(browser, MODERATOR)
    return browser


def audit(app, entity: str) -> list[AuditLog]:
    with app.extensions["portal.database"].sessions() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id)))


def test_the_table_shows_the_seed_guides_figures_for_the_demo_moderator(moderator):
    html = page(moderator, "/iamis/")
    for label in ("Moderator Mark Input", "Total Centres", "Total Sample Cands", "Total Reports Completed",
                  "Total Entered", "Total CF/Abs", "Total with new marks", "(3000N1)"):
        assert label in html
    assert seed_figures(html) == ("6", "74", "0", "74", "506", "0", "506")
    assert "View Team" not in html


def test_the_centre_page_shows_each_sampled_candidate_with_reason_work_and_centre_mark(moderator):
    html = page(moderator, CENTRE)
    fields = form_fields(html)
    assert len(mark_fields(fields)) == 12
    assert {fields[k] for k in fields if k.startswith("mark-work-")} == {"received"}
    assert "Drawn by the board" in html and 'data-col="centre-mark">' in html
    assert "within the tolerance" not in html and "no candidate has both" in html


def test_saving_marks_shows_differences_flags_rows_outside_tolerance_and_audits_each_change(moderator, any_app):
    html = page(moderator, CENTRE)
    fields = fill_centre(html, marks="0")
    response = moderator.client.post(CENTRE, data={**fields, "action": "save"})
    assert response.status_code == 303
    again = page(moderator, response.location)
    assert "Your changes were saved" in again
    assert "outside tolerance" in again and "within the tolerance of 4 mark(s)" in again
    assert "\u2212" in again  # differences as the moderated mark minus the centre's, with a true minus sign
    changes = audit(any_app, "entry")
    assert len(changes) == 12 and {c.field for c in changes} == {"moderated_mark"}
    assert all(c.session_ref and c.request_id and c.new_value == "0" for c in changes)
    assert seed_figures(page(moderator, "/iamis/"))[3] == "62"


def test_submitting_a_complete_report_makes_the_centre_read_only_and_counts_it(moderator, any_app):
    response = submit_centre(moderator)
    assert response.status_code == 303
    html = page(moderator, response.location)
    assert "The report was submitted" in html and 'data-testid="read-only"' in html
    assert "<textarea" not in html and 'name="mark-' not in html
    assert "Marcio cywir a chyson; ŵ ŷ." in html  # kept as typed
    assert seed_figures(page(moderator, "/iamis/"))[2:4] == ("1", "62")
    assert [c.new_value for c in audit(any_app, "moderation_report") if c.field == "status"] == ["submitted"]


def test_a_submitted_centre_refuses_every_change(moderator):
    fields = fill_centre(page(moderator, CENTRE), marks="40", **complete_report())
    assert moderator.client.post(CENTRE, data={**fields, "action": "submit"}).status_code == 303
    fields["expected_version"] = str(int(fields["expected_version"]) + 2)
    for action in ("save", "submit"):
        refused = moderator.client.post(CENTRE, data={**fields, "mark-report-assessment_comment": "x",
                                                      "action": action})
        assert refused.status_code == 409 and "can no longer be changed" in refused.get_data(as_text=True)
    sample = moderator.client.post(CENTRE + "/candidates", data={
        "csrf_token": fields["csrf_token"], "expected_version": fields["expected_version"], "action": "add",
        "candidate": "1", "mark-note": "more"})
    assert sample.status_code == 409


@pytest.mark.parametrize(("report", "missing"), [
    ({"judgement": ""}, "report-judgement"),
    ({"rank_order": ""}, "report-rank_order"),
    ({"assessment_comment": "   "}, "report-assessment_comment"),
])
def test_submit_is_refused_until_required_fields_are_filled_but_the_draft_is_kept(moderator, report, missing):
    fields = fill_centre(page(moderator, CENTRE), marks="33", **complete_report(**report))
    response = moderator.client.post(CENTRE, data={**fields, "action": "submit"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "saved as a draft, but the report was not submitted" in html
    assert f'id="{missing.replace("report-", "report-err-")}"' in html
    assert seed_figures(page(moderator, "/iamis/"))[2:4] == ("0", "62")


def test_submit_is_refused_while_a_sampled_candidate_has_no_moderated_mark(moderator):
    html = page(moderator, CENTRE)
    fields = fill_centre(html, marks="20", **complete_report())
    first = mark_fields(fields)[0]
    fields[first] = ""
    response = moderator.client.post(CENTRE, data={**fields, "action": "submit"})
    assert response.status_code == 422
    assert f'id="err-{first[5:]}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("bad", ["81", "-3", "A", "2.5", "x", "NR"])
def test_a_bad_moderated_mark_is_shown_again_with_its_message_and_nothing_is_saved(moderator, any_app, bad):
    fields = fill_centre(page(moderator, CENTRE))
    field = mark_fields(fields)[0]
    response = moderator.client.post(CENTRE, data={**fields, field: bad, "mark-report-assessment_comment": "kept",
                                                   "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'aria-invalid="true"' in html
    assert form_fields(html)[field] == bad and form_fields(html)["mark-report-assessment_comment"] == "kept"
    assert audit(any_app, "entry") == []


def test_the_work_not_received_code_is_accepted_only_where_the_work_did_not_arrive(moderator):
    fields = fill_centre(page(moderator, CENTRE), marks="50", **complete_report())
    field = mark_fields(fields)[0]
    entry = field[5:]
    refused = moderator.client.post(CENTRE, data={**fields, field: "NR", "action": "save"})
    assert refused.status_code == 422 and "only for work that was not received" in refused.get_data(as_text=True)
    fields.update({field: "nr", f"mark-work-{entry}": "not_received"})
    assert moderator.client.post(CENTRE, data={**fields, "action": "submit"}).status_code == 303
    html = page(moderator, CENTRE)
    assert re.search(r'data-col="moderated">\s*NR\s*<', html) and "Not received" in html


@pytest.mark.parametrize(("name", "value", "message"), [
    ("mark-report-judgement", "lenient", "Choose one of the options"),
    ("mark-report-assessment_comment", "x" * 4001, "at most 4000"),
    ("mark-report-administration_comment", "bad\x00byte", "control characters"),
    ("mark-work-1", "received", "not in your sample"),
])
def test_bad_report_fields_are_refused_with_a_clear_422(moderator, name, value, message):
    fields = fill_centre(page(moderator, CENTRE))
    response = moderator.client.post(CENTRE, data={**fields, name: value, "action": "save"})
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_a_stale_save_is_refused_and_names_the_conflicting_mark(any_app, entra):
    tabs = [SignInActions(any_app.test_client(), entra) for _ in range(2)]
    for tab in tabs:
        sign_in_as(tab, MODERATOR)
    first, second = (fill_centre(page(tab, CENTRE)) for tab in tabs)
    field = mark_fields(first)[0]
    assert tabs[0].client.post(CENTRE, data={**first, field: "11", "action": "save"}).status_code == 303
    conflict = tabs[1].client.post(CENTRE, data={**second, field: "12", "action": "save"})
    html = conflict.get_data(as_text=True)
    assert conflict.status_code == 409 and "Changed meanwhile" in html and form_fields(html)[field] == "12"


def test_the_review_requires_this_sessions_csrf_token(moderator):
    fields = fill_centre(page(moderator, CENTRE), marks="5")
    assert moderator.client.post(CENTRE, data={**fields, "csrf_token": "forged"}).status_code == 400


@pytest.mark.parametrize("path", ["/iamis/allocations/6/centres/68107", "/iamis/allocations/5/centres/68107",
                                  "/iamis/allocations/1/centres/68001", "/iamis/allocations/6",
                                  "/iamis/allocations/x", "/iamis/allocations/6/centres/68107/candidates"])
def test_other_moderators_centres_and_sheets_are_404(moderator, path):
    assert moderator.client.get(path).status_code == 404


def test_anonymous_visitors_go_to_sign_in_and_examiners_get_403(any_app, entra):
    browser = SignInActions(any_app.test_client(), entra)
    assert browser.client.get("/iamis/").status_code == 302
    sign_in_as(browser, EXAMINER)
    for path in ("/iamis/", "/iamis/team", CENTRE, "/iamis/team/allocations/5"):
        assert browser.client.get(path).status_code == 403


def test_a_principal_working_as_moderator_sees_no_team_and_cannot_review(any_app, entra):
    browser = SignInActions(any_app.test_client(), entra)
    sign_in_as(browser, PRINCIPAL)
    assert "View Team" in page(browser, "/iamis/")
    switch_work_as(browser, "moderator")
    assert "View Team" not in page(browser, "/iamis/")
    assert browser.client.get("/iamis/team").status_code == 403
    assert browser.client.get("/iamis/team/allocations/5").status_code == 403


def _after_sign_in(browser, response, claims) -> str:
    """Sign in again from where the portal sent an anonymous post, and open the page it returns to."""
    assert response.status_code == 303
    next_path = unquote(re.search(r"next=([^&]+)", response.location).group(1))
    after = browser.sign_in(next_path=next_path, **claims)
    return page(browser, after.location)


def test_an_expired_session_keeps_every_typed_field_of_the_centre_page(moderator):
    fields = fill_centre(page(moderator, CENTRE), marks="39", **complete_report(
        assessment_comment="Sylwadau hir wedi'u teipio'n ofalus.\nAil baragraff."))
    entry = mark_fields(fields)[0][5:]
    fields[f"mark-work-{entry}"] = "incomplete"
    moderator.client.delete_cookie("portal_session", domain="localhost")
    html = _after_sign_in(moderator, moderator.client.post(CENTRE, data={**fields, "action": "save"},
                                                             headers={"Sec-Fetch-Site": "same-origin"}), MODERATOR)
    kept = form_fields(html)
    assert "these changes were not saved" in html
    assert kept["mark-report-assessment_comment"] == "Sylwadau hir wedi'u teipio'n ofalus.\nAil baragraff."
    assert kept[f"mark-work-{entry}"] == "incomplete" and kept[f"mark-{entry}"] == "39"
    assert kept["mark-report-judgement"] == "accurate"
    assert form_fields(page(moderator, CENTRE))["mark-report-assessment_comment"] == ""  # kept, never saved
