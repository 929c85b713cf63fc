"""Fuzz the EMI save endpoint for a signed-in examiner: never a 5xx, and a refused save writes nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal_app.data.models import AuditLog
from tests.portal_app.conftest_data import EXAMINER

FUZZ = settings(max_examples=100, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SHEET = "/emi/allocations/1"
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=24)
MARKS = st.one_of(TEXT, st.integers(-100, 100).map(str), st.sampled_from(["A", "a", "", " 7 ", "60", "61", "1e1",
                                                                          "4.5", "٣", "0x10", "9" * 30]))


def audit_rows(app) -> int:
    with app.extensions["portal.database"].sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditLog))


@pytest.fixture(scope="module")
def examiner(fuzz_actions):
    response = fuzz_actions.sign_in(**EXAMINER)
    assert response.status_code == 303, response.data
    return fuzz_actions.client


def current_form(client) -> dict[str, str]:
    html = client.get(SHEET).get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|expected_version)" value="([^"]*)"', html))
    fields["entries"] = re.findall(r'name="mark-(\d+)"', html)
    return fields


@FUZZ
@given(data=st.data(), action=st.sampled_from(["save", "save", "", "submit", "delete"]),
       version=st.one_of(st.none(), TEXT, st.integers(-5, 10**12).map(str)),
       csrf=st.sampled_from(["real", "real", "real", "missing", "forged"]),
       extra=st.dictionaries(TEXT, TEXT, max_size=3))
def test_mark_form_never_answers_5xx_and_a_refusal_writes_nothing(examiner, fuzz_app, data, action, version, csrf,
                                                                 extra):
    form = current_form(examiner)
    entries = form.pop("entries")
    chosen = data.draw(st.lists(st.one_of(st.sampled_from(entries), st.integers(-5, 10**6).map(str)),
                                max_size=6, unique=True))
    posted = {**extra, **{f"mark-{entry}": data.draw(MARKS) for entry in chosen}, "action": action}
    if version is not None:
        posted["expected_version"] = version
    elif "expected_version" in form:
        posted["expected_version"] = form["expected_version"]
    if csrf != "missing":
        posted["csrf_token"] = form["csrf_token"] if csrf == "real" else "forged"
    before = audit_rows(fuzz_app)

    response = examiner.post(SHEET, data=posted)

    event(f"status {response.status_code}")
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code != 303 and action != "submit":  # submit saves the draft part before refusing
        assert audit_rows(fuzz_app) == before
