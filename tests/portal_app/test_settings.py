"""Configuration: layering, every problem listed at once with its source and fix, secrets masked."""

from __future__ import annotations

import pytest

from portal_app.settings import ConfigError, load_settings
from portal_app.settings.display import masked_settings

SECRETS = {
    "PORTAL_SECRET_KEY": "k" * 40,
    "PORTAL_CLIENT_SECRET": "client-secret-value",
    "PORTAL_METRICS_TOKEN": "m" * 32,
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
# What production sets on top of the shipped file: the real authority and Graph (the file names the emulator).
GOOD_ENV = {
    **SECRETS,
    "PORTAL_AUTHORITY": "https://login.microsoftonline.com/3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70",
    "PORTAL_GRAPH_URL": "https://graph.microsoft.com",
}


def _problems(environ, config_text=None, tmp_path=None) -> list:
    if config_text is not None:
        path = tmp_path / "portal.toml"
        path.write_text(config_text)
        environ = {**environ, "PORTAL_CONFIG": str(path)}
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ)
    return caught.value.problems


def test_shipped_config_with_secrets_from_the_environment_is_valid():
    settings = load_settings(environ=GOOD_ENV)
    assert settings.redirect_uri == "http://localhost:5000/auth/callback"
    assert settings.sources["auth.client_secret"] == "environment PORTAL_CLIENT_SECRET"


def test_environment_overrides_the_file():
    settings = load_settings(environ={**GOOD_ENV, "PORTAL_ALLOWED_TENANTS": "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70, "
                                      "b7c4e1f2-9a3d-4e8b-8c5f-1a2b3c4d5e6f",
                                      "PORTAL_EXTERNAL_URL": "https://portal.example.org"})
    assert len(settings.allowed_tenants) == 2
    assert settings.uses_https


def test_every_problem_is_listed_at_once(tmp_path):
    problems = _problems({"PORTAL_EXTERNAL_URL": "http://portal.example.org"}, tmp_path=tmp_path, config_text="""
[auth]
authority = "http://login.example"
allowed_tenants = ["not-a-guid"]
http_timeout_seconds = 600
colour = "blue"
""")
    keys = {p.key for p in problems}
    assert {"portal.secret_key", "auth.client_secret", "auth.authority", "auth.allowed_tenants",
            "auth.http_timeout_seconds", "auth.colour", "portal.external_url", "session.redis_url"} <= keys
    for problem in problems:
        assert problem.fix and problem.source


@pytest.mark.parametrize("key", ["dev", "short-key", "changeme"])
def test_weak_secret_keys_are_refused_outside_dev_mode(key):
    problems = _problems({**GOOD_ENV, "PORTAL_SECRET_KEY": key})
    assert [p.key for p in problems] == ["portal.secret_key"]


def test_dev_mode_allows_no_secret_key_and_file_sessions():
    settings = load_settings(environ={"PORTAL_DEV_MODE": "1", "PORTAL_CLIENT_SECRET": "x"})
    assert settings.dev_mode and not settings.redis_url


def test_bad_toml_names_the_file(tmp_path):
    problems = _problems(GOOD_ENV, tmp_path=tmp_path, config_text="[auth\n")
    assert "portal.toml" in problems[0].source and "TOML" in problems[0].problem


def test_check_config_masks_secrets():
    rows = dict((key, value) for key, value, _ in masked_settings(load_settings(environ=GOOD_ENV)))
    assert "client-secret-value" not in rows["auth.client_secret"]
    assert "k" * 40 not in rows["portal.secret_key"]


def _with_support_contact(tmp_path, **lines: str) -> dict:
    """The shipped config with portal.support_contact / support_contact_cy replaced, as an environment."""
    from portal_app.settings.model import DEFAULT_CONFIG_FILE

    text = DEFAULT_CONFIG_FILE.read_text(encoding="utf-8")
    for key, value in lines.items():
        start = text.index(f"\n{key} = ")
        text = text[:start] + f"\n{key} = {value!r}" + text[text.index("\n", start + 1):]
    path = tmp_path / "portal.toml"
    path.write_text(text, encoding="utf-8")
    return {**GOOD_ENV, "PORTAL_CONFIG": str(path)}


def test_the_support_contact_has_its_welsh_beside_it(tmp_path):
    settings = load_settings(environ=_with_support_contact(
        tmp_path, support_contact="the Appointees Unit (unit@example.org)",
        support_contact_cy="Swyddfa'r Penodeion (unit@example.org)"))
    assert settings.support_contact_cy == "Swyddfa'r Penodeion (unit@example.org)"
    assert ("portal.support_contact_cy", "Swyddfa'r Penodeion (unit@example.org)", str(tmp_path / "portal.toml")) \
        in masked_settings(settings)


@pytest.mark.parametrize("welsh, says", [
    ("appointees@example.org", "starts with a vowel"),
    ("Uned Penodeion", "starts with a vowel"),
    ("Swyddfa'r Penodeion", None),
    ("thîm cymorth (unit@example.org)", None),
    ("ymholiadau@example.org", "starts with a vowel"),
    ("tîm cymorth (unit@example.org)", "aspirate mutation"),
    ("Canolfan Gymorth", "aspirate mutation"),
    ("   ", "is empty"),
])
def test_a_welsh_contact_that_cannot_follow_a_is_refused(tmp_path, welsh, says):
    environ = _with_support_contact(tmp_path, support_contact="the Appointees Unit (unit@example.org)",
                                    support_contact_cy=welsh)
    if says is None:
        assert load_settings(environ=environ).support_contact_cy == welsh
        return
    problems = _problems(environ)
    assert [p.key for p in problems] == ["portal.support_contact_cy"] and says in problems[0].problem
    assert problems[0].fix


def test_a_new_english_contact_needs_its_welsh_too(tmp_path):
    problems = _problems(_with_support_contact(tmp_path, support_contact="the Appointees Unit (unit@example.org)"))
    assert [p.key for p in problems] == ["portal.support_contact_cy"]
    assert "still names the default team" in problems[0].problem


def test_an_acronym_after_a_keeps_its_letters(tmp_path):
    environ = _with_support_contact(tmp_path, support_contact="WJEC (unit@example.org)",
                                    support_contact_cy="CBAC (unit@example.org)")
    assert load_settings(environ=environ).support_contact_cy == "CBAC (unit@example.org)"


def test_outside_dev_mode_the_shipped_config_is_refused_for_pointing_at_the_emulator():
    problems = _problems(SECRETS)
    assert {p.key for p in problems} == {"auth.authority", "roles.graph_base_url"}
    assert all("loopback" in p.problem for p in problems)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "portal.localhost", "0.0.0.0"])
def test_any_loopback_authority_is_refused_outside_dev_mode(host):
    problems = _problems({**GOOD_ENV, "PORTAL_AUTHORITY": f"https://{host}:8443/3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"})
    assert [p.key for p in problems] == ["auth.authority"]


def test_dev_mode_and_the_explicit_test_switch_allow_the_emulator():
    assert load_settings(environ={**SECRETS, "PORTAL_DEV_MODE": "1"}).dev_mode
    assert load_settings(environ={**SECRETS, "PORTAL_ALLOW_LOOPBACK_AUTHORITY": "1"}).allow_loopback_authority


def test_outside_dev_mode_a_metrics_token_is_required():
    without = {key: value for key, value in GOOD_ENV.items() if key != "PORTAL_METRICS_TOKEN"}
    assert [p.key for p in _problems(without)] == ["portal.metrics_token"]
    assert [p.key for p in _problems({**GOOD_ENV, "PORTAL_METRICS_TOKEN": "short"})] == ["portal.metrics_token"]


@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_a_number_that_is_no_whole_number_is_a_problem_not_a_crash(tmp_path, value):
    # Found by tests/fuzz/test_settings_fuzz.py: int(inf) raises OverflowError, not ValueError.
    problems = _problems(GOOD_ENV, tmp_path=tmp_path, config_text=f"[session]\nidle_timeout_minutes = {value}\n")
    assert "session.idle_timeout_minutes" in {p.key for p in problems}
