"""Fuzz the config loader: any TOML-ish file and environment gives settings or a ConfigError, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal_app.settings import DEFAULTS, ENVIRONMENT_OVERRIDES, ConfigError, PortalSettings, load_settings

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
KEYS = [(section, key) for section, keys in DEFAULTS.items() for key in keys]
TOML_VALUES = st.one_of(
    st.integers(min_value=-10**6, max_value=10**6).map(str), st.floats(allow_nan=True).map(repr),
    st.booleans().map(lambda b: str(b).lower()), st.text(max_size=20).map(lambda s: '"' + s + '"'),
    st.lists(st.text(max_size=8).map(repr), max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    st.text(max_size=10),  # not valid TOML at all
)
TOML_LINES = st.lists(st.tuples(st.sampled_from(KEYS + [("nosuch", "key")]), TOML_VALUES), max_size=8)
ENVIRONMENT = st.dictionaries(st.sampled_from(sorted(ENVIRONMENT_OVERRIDES)),
                              st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
                                       max_size=40), max_size=5)


def toml_text(lines) -> str:
    by_section: dict[str, list[str]] = {}
    for (section, key), value in lines:
        by_section.setdefault(section, []).append(f"{key} = {value}")
    return "\n".join(f"[{section}]\n" + "\n".join(body) for section, body in by_section.items())


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-config") / "portal.toml"


@FUZZ
@given(lines=TOML_LINES, environment=ENVIRONMENT, garbage=st.one_of(st.none(), st.text(max_size=80)))
def test_loader_gives_settings_or_a_config_error(config_file, lines, environment, garbage):
    config_file.write_text(toml_text(lines) if garbage is None else garbage, encoding="utf-8", errors="replace")
    environ = {"PORTAL_CONFIG": str(config_file), **environment}

    try:
        result = load_settings(environ=environ)
    except ConfigError as exc:
        assert str(exc)  # every problem is described
    else:
        assert isinstance(result, PortalSettings)
