"""Discovery and JWKS shapes, key rotation, test controls and the totp CLI."""

from __future__ import annotations

import pyotp
import pytest

from emulator.__main__ import main
from emulator.testing import APPOINTEE_TENANT_ID, DEV_DIRECTORY, running_emulator


@pytest.mark.parametrize("segment, issuer_tenant", [
    (APPOINTEE_TENANT_ID, APPOINTEE_TENANT_ID),
    ("wjec-appointees.co.uk", APPOINTEE_TENANT_ID),
    ("organizations", "{tenantid}"),
    ("common", "{tenantid}"),
])
@pytest.mark.parametrize("path", ["v2.0/.well-known/openid-configuration", ".well-known/openid-configuration"])
def test_discovery_has_entras_shape(emu, http, segment, issuer_tenant, path):
    config = http.get(f"{emu.base_url}/{segment}/{path}").json()
    assert config["issuer"] == f"{emu.base_url}/{issuer_tenant}/v2.0"
    assert config["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert config["subject_types_supported"] == ["pairwise"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert config["frontchannel_logout_supported"] is True
    assert config["end_session_endpoint"].endswith("/oauth2/v2.0/logout")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        assert config[key].startswith(emu.base_url + "/")


def test_unknown_tenant_discovery_is_a_400(emu, http):
    response = http.get(f"{emu.base_url}/nowhere.example/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400 and response.json()["error_description"].startswith("AADSTS90002")


def test_rotated_key_stays_published(emu, http):
    jwks_url = f"{emu.authority}/discovery/v2.0/keys"
    old_kid = http.get(jwks_url).json()["keys"][0]["kid"]
    new_kid = http.post(f"{emu.base_url}/_test/rotate-keys").json()["kid"]
    kids = [key["kid"] for key in http.get(jwks_url).json()["keys"]]
    assert kids == [new_kid, old_kid]


def test_test_controls_list_and_end_sessions(emu, http, sign_in):
    from tests.emulator.flows import authorize_url, pkce_pair

    _, challenge = pkce_pair()
    reply = sign_in(authorize_url(emu.authority, challenge), "examiner@wjec-appointees.co.uk")
    sessions = http.get(f"{emu.base_url}/_test/sessions").json()["sessions"]
    assert [s["sid"] for s in sessions] == [reply.params["session_state"]]
    assert http.post(f"{emu.base_url}/_test/sessions/{sessions[0]['sid']}/end").status_code == 200
    assert http.get(f"{emu.base_url}/_test/sessions").json()["sessions"] == []


def test_test_controls_give_codes_and_move_the_clock(emu, http):
    code = http.get(f"{emu.base_url}/_test/totp/examiner@wjec-appointees.co.uk").json()["code"]
    assert code == emu.totp("examiner@wjec-appointees.co.uk")
    assert http.get(f"{emu.base_url}/_test/sms/moderator@wjec-appointees.co.uk").status_code == 404
    now = http.post(f"{emu.base_url}/_test/clock", json={"now": 2_000_000_000}).json()["now"]
    assert abs(now - 2_000_000_000) < 5
    assert http.post(f"{emu.base_url}/_test/clock", json={"offset_seconds": "x"}).status_code == 400


def test_test_controls_are_absent_outside_test_mode(tmp_path):
    with running_emulator(tmp_path, test_mode=False) as emu, emu.http_session() as http:
        assert http.post(f"{emu.base_url}/_test/rotate-keys").status_code == 404
        assert http.get(f"{emu.base_url}/_test/totp/examiner@wjec-appointees.co.uk").status_code == 404


def test_signing_key_survives_a_restart(tmp_path):
    kids = []
    for _ in range(2):
        with running_emulator(tmp_path) as emu, emu.http_session() as http:
            kids.append(http.get(f"{emu.authority}/discovery/v2.0/keys").json()["keys"][0]["kid"])
    assert kids[0] == kids[1]


def test_totp_cli_prints_the_current_code(capsys):
    assert main(["totp", "examiner@wjec-appointees.co.uk", "--directory", str(DEV_DIRECTORY)]) == 0
    printed = capsys.readouterr().out.strip()
    assert pyotp.TOTP("ELERIEVANSEXAMINERDEMOTOTPSECRET").verify(printed, valid_window=1)


@pytest.mark.parametrize("email", ["moderator@wjec-appointees.co.uk", "nobody@example.com"])
def test_totp_cli_refuses_users_without_an_authenticator(capsys, email):
    assert main(["totp", email, "--directory", str(DEV_DIRECTORY)]) == 1
    assert "no authenticator app" in capsys.readouterr().err
