"""The demo directory matches the team notes; bad files list every problem; the CA and certificates."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest
from cryptography import x509

from emulator import issue_server_cert
from emulator.directory import DirectoryError, load_directory, uri_matches
from emulator.pki import ensure_ca
from emulator.testing import DEV_DIRECTORY, PORTAL_CLIENT_ID

SUBS = {"PORTAL_URL": "http://localhost:5000", "EMULATOR_URL": "https://127.0.0.1:8443"}


@pytest.fixture(scope="module")
def directory():
    return load_directory(DEV_DIRECTORY, SUBS)


@pytest.mark.parametrize("email, oid, roles, mfa", [
    ("examiner@wjec-appointees.co.uk", "11111111-1111-4111-8111-111111111111", ("Examiner",), "totp"),
    ("moderator@wjec-appointees.co.uk", "22222222-2222-4222-8222-222222222222", ("Moderator",), "sms"),
    ("teamleader@wjec-appointees.co.uk", "33333333-3333-4333-8333-333333333333", ("TeamLeader", "Moderator"), "totp"),
    ("principal@wjec-appointees.co.uk", "44444444-4444-4444-8444-444444444444",
     ("PrincipalModerator", "TeamLeader", "Moderator"), "totp"),
    ("admin@wjec-appointees.co.uk", "55555555-5555-4555-8555-555555555555", ("PortalAdmin",), "totp"),
    ("manygroups@wjec-appointees.co.uk", "66666666-6666-4666-8666-666666666666", (), "totp"),
    ("nomfa@wjec-appointees.co.uk", "77777777-7777-4777-8777-777777777777", ("Examiner",), "none"),
    ("norole@wjec-appointees.co.uk", "88888888-8888-4888-8888-888888888888", (), "totp"),
    ("mallory@wjec-appointees.co.uk", "99999999-9999-4999-8999-999999999999", ("Examiner",), "totp"),
])
def test_demo_users_match_the_team_notes(directory, email, oid, roles, mfa):
    user = directory.user(email)
    assert (user.oid, user.roles_for(PORTAL_CLIENT_ID), user.mfa) == (oid, roles, mfa)


def test_manygroups_is_in_250_groups_including_examiners(directory):
    groups = directory.user("manygroups@wjec-appointees.co.uk").groups
    assert len(set(groups)) == 250 and "e8a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b" in groups


def test_portal_url_is_substituted(tmp_path):
    directory = load_directory(DEV_DIRECTORY, dict(SUBS, PORTAL_URL="http://localhost:5999"))
    assert directory.app(PORTAL_CLIENT_ID).redirect_uris == ("http://localhost:5999/auth/callback",)


@pytest.mark.parametrize("body, problem", [
    ('[[users]]\nemail = "a@b"\n', "'oid' is required"),
    ('[[users]]\nemail="a@b"\nname="A"\noid="x"\ntenant="t"\npassword="p"\nmfa="fax"\n', "'mfa' must be one of"),
    ('[[users]]\nemail="a@b"\nname="A"\noid="x"\ntenant="t"\npassword="p"\nmfa="totp"\n', "needs 'totp_secret'"),
    ('[[apps]]\nclient_id="c"\nname="n"\ntenant="missing"\nsecret="s"\n', "unknown tenant missing"),
    ("not toml [", "cannot read"),
])
def test_bad_directory_files_name_the_problem(tmp_path, body, problem):
    path = tmp_path / "dir.toml"
    path.write_text(body)
    with pytest.raises(DirectoryError, match=problem):
        load_directory(path, SUBS)


@pytest.mark.parametrize("registered, candidate, expected", [
    ("http://localhost:5000/cb", "http://localhost:5000/cb", True),
    ("http://localhost:5000/cb", "http://localhost:61234/cb", True),
    ("http://127.0.0.1:5000/cb", "http://127.0.0.1:1/cb", True),
    ("http://localhost:5000/cb", "http://127.0.0.1:5000/cb", False),
    ("http://localhost:5000/cb", "http://localhost:5000/cb/", False),
    ("http://localhost:5000/cb", "https://localhost:5000/cb", False),
    ("https://portal.example/cb", "https://portal.example:444/cb", False),
    ("http://localhost:5000/cb", "http://localhost.evil.example:5000/cb", False),
])
def test_redirect_uri_matching(registered, candidate, expected):
    assert uri_matches(registered, candidate) is expected


def test_ca_is_created_once_and_reused(tmp_path):
    first, _ = ensure_ca(tmp_path)
    second, _ = ensure_ca(tmp_path)
    assert first.serial_number == second.serial_number
    assert first.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_issued_server_cert_is_trusted_through_the_ca(tmp_path):
    cert_path, key_path = issue_server_cert(tmp_path, ["localhost", "127.0.0.1"])
    assert issue_server_cert(tmp_path, ["localhost", "127.0.0.1"]) == (cert_path, key_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_path, key_path)
    client_ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def accept():
            conn, _ = listener.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)

        thread = threading.Thread(target=accept)
        thread.start()
        with socket.create_connection(("127.0.0.1", port)) as raw, \
                client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            tls.sendall(b"x")
        thread.join(timeout=5)
