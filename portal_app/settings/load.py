"""The portal's configuration: defaults, then a TOML file, then the environment, then a test dict.

Every value is checked at start and every problem is reported at once, with its source, key and fix,
so operations staff mend a deployment in one go instead of one error per restart.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from auth.problems import ConfigProblem
from portal_app.settings.checks import check_settings
from portal_app.settings.model import (
    DEFAULT_CONFIG_FILE,
    DEFAULTS,
    ENVIRONMENT_OVERRIDES,
    PROJECT_ROOT,
    ConfigError,
    PortalSettings,
)


def load_settings(test_config: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> PortalSettings:
    """Layer defaults, the TOML file, the environment and ``test_config``; check; return settings."""
    environ = os.environ if environ is None else environ
    problems: list[ConfigProblem] = []
    values = {section: dict(keys) for section, keys in DEFAULTS.items()}
    sources = {f"{s}.{k}": "default" for s, keys in DEFAULTS.items() for k in keys}

    config_file = Path(environ.get("PORTAL_CONFIG") or DEFAULT_CONFIG_FILE)
    if test_config is None or test_config.get("config_file", True):
        _merge_file(config_file, values, sources, problems)
    _merge_environment(environ, values, sources, problems)
    for section, keys in (test_config or {}).items():
        if isinstance(keys, Mapping):
            for key, value in keys.items():
                values.setdefault(section, {})[key] = value
                sources[f"{section}.{key}"] = "test config"

    settings = _build(values, sources, problems)
    problems.extend(check_settings(settings))
    if problems:
        raise ConfigError(problems)
    return settings


def _merge_file(path: Path, values: dict, sources: dict, problems: list[ConfigProblem]) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(ConfigProblem(str(path), "-", "the file does not exist",
                                      "create it from config/portal.toml or point PORTAL_CONFIG at it"))
        return
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(ConfigProblem(str(path), "-", f"not valid TOML: {exc}", "fix the syntax"))
        return
    for section, keys in data.items():
        if section not in DEFAULTS or not isinstance(keys, dict):
            problems.append(ConfigProblem(str(path), section, "unknown section",
                                          f"use one of: {', '.join(DEFAULTS)}"))
            continue
        for key, value in keys.items():
            if key not in DEFAULTS[section]:
                problems.append(ConfigProblem(str(path), f"{section}.{key}", "unknown key",
                                              f"use one of: {', '.join(DEFAULTS[section])}"))
                continue
            values[section][key] = value
            sources[f"{section}.{key}"] = str(path)


def _merge_environment(environ: Mapping[str, str], values: dict, sources: dict,
                       problems: list[ConfigProblem]) -> None:
    for name, (section, key, kind) in ENVIRONMENT_OVERRIDES.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        if kind == "list":
            value: Any = [item.strip() for item in raw.split(",") if item.strip()]
        elif kind == "bool":
            if raw.strip().lower() not in {"1", "0", "true", "false", "yes", "no"}:
                problems.append(ConfigProblem(f"environment {name}", f"{section}.{key}",
                                              f"{raw!r} is not a yes/no value", "use 1 or 0"))
                continue
            value = raw.strip().lower() in {"1", "true", "yes"}
        else:
            value = raw.strip()
        values[section][key] = value
        sources[f"{section}.{key}"] = f"environment {name}"


def _build(values: dict, sources: dict, problems: list[ConfigProblem]) -> PortalSettings:
    """Coerce raw values to their types, noting (not raising) each value of the wrong type."""

    def typed(section: str, key: str, kind: type) -> Any:
        value = values[section][key]
        default = DEFAULTS[section][key]
        try:
            if kind is bool and not isinstance(value, bool):
                raise TypeError
            if kind in (tuple,):
                if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                    raise TypeError
                return tuple(value)
            if kind is int and isinstance(value, bool):
                raise TypeError
            return kind(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf) from a TOML float
            problems.append(ConfigProblem(sources.get(f"{section}.{key}", "?"), f"{section}.{key}",
                                          f"{value!r} is not a {kind.__name__}",
                                          f"set a {kind.__name__} such as {default!r}"))
            return kind(default) if kind is not tuple else tuple(default)

    file_dir = Path(typed("session", "file_dir", str))
    roles_file = Path(typed("roles", "rules_file", str))
    services_file = Path(typed("services", "file", str))
    documents_folder = Path(typed("documents", "folder", str))
    moderation_rules_file = Path(typed("moderation", "rules_file", str))
    return PortalSettings(
        external_url=typed("portal", "external_url", str),
        secret_key=typed("portal", "secret_key", str),
        dev_mode=typed("portal", "dev_mode", bool),
        appointee_domains=tuple(d.lower() for d in typed("portal", "appointee_domains", tuple)),
        support_contact=typed("portal", "support_contact", str),
        support_contact_cy=typed("portal", "support_contact_cy", str),
        trusted_proxy_hops=typed("portal", "trusted_proxy_hops", int),
        authority=typed("auth", "authority", str).rstrip("/"),
        client_id=typed("auth", "client_id", str),
        client_secret=typed("auth", "client_secret", str),
        ca_bundle=typed("auth", "ca_bundle", str),
        allowed_tenants=tuple(t.lower() for t in typed("auth", "allowed_tenants", tuple)),
        scopes=typed("auth", "scopes", tuple),
        http_timeout_seconds=typed("auth", "http_timeout_seconds", float),
        flow_lifetime_seconds=typed("auth", "flow_lifetime_seconds", int),
        clock_skew_seconds=typed("auth", "clock_skew_seconds", int),
        required_auth_context=typed("auth", "required_auth_context", str),
        redis_url=typed("session", "redis_url", str),
        session_file_dir=file_dir if file_dir.is_absolute() else PROJECT_ROOT / file_dir,
        idle_timeout_minutes=typed("session", "idle_timeout_minutes", int),
        absolute_lifetime_hours=typed("session", "absolute_lifetime_hours", int),
        silent_sign_in=typed("session", "silent_sign_in", bool),
        silent_sign_in_paths=typed("session", "silent_sign_in_paths", tuple),
        silent_retry_minutes=typed("session", "silent_retry_minutes", int),
        refresh_minutes=typed("session", "refresh_minutes", int),
        database_url=typed("database", "url", str),
        roles_file=roles_file if roles_file.is_absolute() else PROJECT_ROOT / roles_file,
        graph_base_url=typed("roles", "graph_base_url", str).rstrip("/"),
        graph_scopes=typed("roles", "graph_scopes", tuple),
        services_file=services_file if services_file.is_absolute() else PROJECT_ROOT / services_file,
        documents_folder=documents_folder if documents_folder.is_absolute() else PROJECT_ROOT / documents_folder,
        moderation_rules_file=(moderation_rules_file if moderation_rules_file.is_absolute()
                               else PROJECT_ROOT / moderation_rules_file),
        metrics_token=typed("portal", "metrics_token", str),
        extra_hosts=tuple(h.lower() for h in typed("portal", "extra_hosts", tuple)),
        allow_loopback_authority=typed("auth", "allow_loopback_authority", bool),
        anonymous_redis_url=typed("session", "anonymous_redis_url", str),
        login_rate_limit=typed("limits", "login", str),
        anonymous_post_rate_limit=typed("limits", "anonymous_posts", str),
        rate_limit_key_prefix=typed("limits", "key_prefix", str),
        sources=dict(sources),
        client_cert_path=_path_text(typed("auth", "client_cert_path", str)),
        client_key_path=_path_text(typed("auth", "client_key_path", str)),
        client_key_passphrase=typed("auth", "client_key_passphrase", str),
        not_received_codes=tuple(c.upper() for c in typed("marking", "not_received_codes", tuple)),
        marks_app_role=typed("api", "marks_app_role", str),
        application_id_uri=typed("api", "application_id_uri", str).rstrip("/"),
        marks_page_size=typed("api", "marks_page_size", int),
    )


def _path_text(value: str) -> str:
    """A configured file path, relative ones taken from the project folder (as the other paths are)."""
    return "" if not value else str(value if Path(value).is_absolute() else PROJECT_ROOT / value)
