"""Fuzz the moderator's centre form and sample form: never a 5xx, and a refused post writes nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal_app.data.models import AuditLog
from tests.portal_app.conftest_data import MODERATOR

FUZZ = settings(max_examples=80, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CENTRE = "/iamis/allocations/5/centres/68103"
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=24)
VALUES = st.one_of(TEXT, st.integers(-100, 100).map(str), st.sampled_from(
    ["", "NR", "nr", "A", "80", "81", "4.5", "received", "not_received", "incomplete", "accurate", "holds", "cy",
     "x" * 5000, "bad\x00byte", "\r\n"]))
FIELDS = st.sampled_from(["mark-report-judgement", "mark-report-rank_order", "mark-report-language",
                          "mark-report-assessment_comment", "mark-report-administration_comment", "mark-note",
                          "candidate", "replaced"])


def audit_rows(app) -> int:
    with app.extensions["portal.database"].sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditLog))


@pytest.fixture(scope="module")
def moderator(fuzz_actions):
    response = fuzz_actions.sign_in(**MODERATOR)
    assert response.status_code == 303, response.data
    return fuzz_actions.client


def current(client, path: str) -> tuple[dict[str, str], list[str]]:
    html = client.get(path).get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|expected_version)" value="([^"]*)"', html))
    return fields, re.findall(r'name="mark-(\d+)"', html) or ["1"]


@FUZZ
@given(data=st.data(), target=st.sampled_from(["", "/candidates"]),
       action=st.sampled_from(["save", "submit", "add", "replace", "remove", "", "delete"]),
       version=st.one_of(st.none(), st.none(), st.none(), TEXT, st.integers(-5, 10**12).map(str)),
       csrf=st.sampled_from(["real"] * 8 + ["missing", "forged"]))
def test_moderation_forms_never_answer_5xx_and_a_refusal_writes_nothing(moderator, fuzz_app, data, target, action,
                                                                       version, csrf):
    path = CENTRE + target
    form, entries = current(moderator, CENTRE)
    chosen = data.draw(st.lists(st.one_of(st.sampled_from(entries), st.integers(-5, 10**6).map(str)), max_size=5,
                                unique=True))
    posted = {f"mark-{entry}": data.draw(VALUES) for entry in chosen}
    posted.update({f"mark-work-{entry}": data.draw(VALUES) for entry in data.draw(st.lists(st.sampled_from(entries),
                                                                                             max_size=2))})
    posted.update(data.draw(st.dictionaries(FIELDS, VALUES, max_size=4)))
    posted["action"] = action
    posted["expected_version"] = version if version is not None else form.get("expected_version", "0")
    if csrf != "missing":
        posted["csrf_token"] = form["csrf_token"] if csrf == "real" else "forged"
    before = audit_rows(fuzz_app)

    response = moderator.post(path, data=posted)

    event(f"status {response.status_code}")
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code != 303 and action != "submit":  # submit keeps the draft part before refusing
        assert audit_rows(fuzz_app) == before
