"""Optional step-up: an Entra authentication context asked for with a claims request and required in `acrs`."""

from __future__ import annotations

import json

import pytest

from portal_app import create_app
from tests.portal_app.conftest import SignInActions, portal_test_config, query_of


@pytest.fixture
def step_up(tmp_path, redis_url, entra):
    app = create_app(portal_test_config(tmp_path, redis_url, auth={"required_auth_context": "c1"}))
    return SignInActions(app.test_client(), entra)


def test_the_authorize_request_asks_for_the_auth_context(step_up):
    response = step_up.client.get("/login")
    claims = json.loads(query_of(response.location)["claims"])
    assert claims["id_token"]["acrs"] == {"essential": True, "value": "c1"}


def test_a_token_that_met_the_auth_context_signs_in(step_up):
    assert step_up.sign_in(acrs=["c1"]).status_code == 303
    assert step_up.client.get("/services").status_code == 200


@pytest.mark.parametrize("acrs", [None, [], ["c2"], "c1"])
def test_a_token_without_the_auth_context_is_refused_with_a_clear_message(step_up, acrs):
    claims = {} if acrs is None else {"acrs": acrs}
    response = step_up.sign_in(**claims)
    assert response.status_code == 401
    assert b"extra verification" in response.data
    assert step_up.client.get("/services").status_code == 302


def test_without_step_up_configured_no_claims_request_is_sent(client):
    assert "claims" not in query_of(client.get("/login").location)
