"""Fuzz /auth/callback: whatever the form or query holds, the portal answers without a 5xx."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=80)
KNOWN_FIELDS = ["code", "state", "error", "error_description", "error_uri", "session_state", "id_token",
                "client_info", "iss", "error_subcode"]
ERRORS = ["login_required", "interaction_required", "consent_required", "access_denied", "invalid_grant",
          "server_error", "temporarily_unavailable", "invalid_request"]
FIELDS = st.dictionaries(st.one_of(st.sampled_from(KNOWN_FIELDS), TEXT.filter(bool)),
                         st.one_of(TEXT, st.sampled_from(ERRORS)), max_size=6)


@FUZZ
@given(fields=FIELDS, method=st.sampled_from(["POST", "GET"]), use_real_state=st.booleans())
def test_callback_never_answers_5xx(fuzz_actions, fields, method, use_real_state):
    client = fuzz_actions.client
    client.delete_cookie("portal_session")
    if use_real_state:
        fields = {**fields, "state": fuzz_actions.start()["state"]}  # a flow this browser really started

    if method == "POST":
        response = client.post("/auth/callback", data=fields)
    else:
        response = client.get("/auth/callback", query_string=fields)

    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert b"Traceback" not in response.data
