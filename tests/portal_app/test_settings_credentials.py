"""The client credential in the configuration: a certificate (recommended) or a secret, exactly one, checked."""

from __future__ import annotations

import pytest

from portal_app.settings import ConfigError, load_settings
from portal_app.settings.display import masked_settings
from tests.support.pki import client_certificate

# A production-shaped configuration (issue 13: outside dev mode a metrics token, and no loopback authority).
BASE_ENV = {"PORTAL_SECRET_KEY": "k" * 40, "REDIS_URL": "redis://127.0.0.1:6379/0", "PORTAL_METRICS_TOKEN": "m" * 32,
            "PORTAL_AUTHORITY": "https://login.microsoftonline.com/3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70",
            "PORTAL_GRAPH_URL": "https://graph.microsoft.com"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return client_certificate(tmp_path_factory.mktemp("client-cert"), passphrase="s3cret-passphrase")


def problems(environ) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={**BASE_ENV, **environ})
    return {problem.key: f"{problem.problem} | {problem.fix}" for problem in caught.value.problems}


def test_a_certificate_from_the_environment_replaces_the_secret(files):
    settings = load_settings(environ={**BASE_ENV, "PORTAL_CLIENT_CERT_PATH": str(files.cert_path),
                                      "PORTAL_CLIENT_KEY_PATH": str(files.key_path),
                                      "PORTAL_CLIENT_KEY_PASSPHRASE": "s3cret-passphrase"})

    assert settings.uses_certificate and not settings.client_secret
    shown = {key: value for key, value, _ in masked_settings(settings)}
    assert shown["auth.client_key_passphrase"] == "****** (17 characters)"
    assert shown["auth.client_cert_path"] == str(files.cert_path)


def test_no_credential_at_all_names_both_ways_to_give_one():
    found = problems({})

    assert "no client credential" in found["auth.client_secret"]
    assert "PORTAL_CLIENT_CERT_PATH" in found["auth.client_secret"]


def test_a_secret_and_a_certificate_together_are_refused(files):
    found = problems({"PORTAL_CLIENT_SECRET": "a-secret", "PORTAL_CLIENT_CERT_PATH": str(files.combined_path),
                      "PORTAL_CLIENT_KEY_PASSPHRASE": "s3cret-passphrase"})

    assert list(found) == ["auth.client_secret"]
    assert "both a client secret and a certificate" in found["auth.client_secret"]


def test_every_certificate_problem_is_listed_with_the_others(tmp_path):
    expired = client_certificate(tmp_path / "expired", starts_in_days=-400, days=365)
    found = problems({"PORTAL_CLIENT_CERT_PATH": str(expired.cert_path),
                      "PORTAL_CLIENT_KEY_PATH": str(tmp_path / "missing-key.pem"),
                      "PORTAL_ALLOWED_TENANTS": "not-a-guid"})

    assert "expired on" in found["auth.client_cert_path"]
    assert "cannot be read" in found["auth.client_key_path"]
    assert "auth.allowed_tenants" in found


def test_a_key_without_its_certificate_is_refused(files):
    found = problems({"PORTAL_CLIENT_SECRET": "a-secret", "PORTAL_CLIENT_KEY_PATH": str(files.key_path)})

    assert "without its certificate" in found["auth.client_key_path"]


@pytest.mark.parametrize("hops, expected", [("1", None), ("two", "is not a int"), ("9", "outside 0..5")])
def test_trusted_proxy_hops_comes_from_the_environment_too(hops, expected):
    environ = {**BASE_ENV, "PORTAL_CLIENT_SECRET": "a-secret", "PORTAL_TRUSTED_PROXY_HOPS": hops}
    if expected is None:
        assert load_settings(environ=environ).trusted_proxy_hops == 1
    else:
        assert expected in problems(environ)["portal.trusted_proxy_hops"]
