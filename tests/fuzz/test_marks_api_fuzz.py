"""Fuzz the marks API: any query string and any Authorization header give a 2xx/4xx JSON answer, never a 5xx,
and nothing without a valid token reads a mark."""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.support.app_tokens import app_token

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)
# What an HTTP client can put in a header: no control characters (the test client refuses CR and LF itself).
HEADER_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40)
NAMES = st.sampled_from(["series", "component", "since", "page_size", "page", "access_token", "x", ""])
VALUES = st.one_of(TEXT, st.sampled_from(["JAN17", "9522/01", "2017-02-10T17:00:00Z", "0", "5", "-1", "99999",
                                          "eyJhIjoxfQ", "WyIyMDE3IiwgMV0", "null", "%00"]))


@FUZZ
@given(query=st.lists(st.tuples(NAMES, VALUES), max_size=5),
       authorization=st.one_of(st.none(), HEADER_TEXT, st.just("valid"), HEADER_TEXT.map(lambda t: f"Bearer {t}")))
def test_the_marks_api_never_answers_5xx(fuzz_app, query, authorization):
    headers = {}
    if authorization == "valid":
        headers["Authorization"] = f"Bearer {app_token()}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    response = fuzz_app.test_client().get("/api/v1/marks", query_string=query, headers=headers)
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.is_json and "Set-Cookie" not in response.headers
    if authorization != "valid":
        assert response.status_code in (400, 401) and "marks" not in response.get_json()
