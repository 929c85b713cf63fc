"""The effective configuration as operations staff read it (``portal check-config``), secrets masked."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from portal_app.settings.model import DEFAULTS, SECRET_KEYS, PortalSettings


def masked_settings(settings: PortalSettings) -> list[tuple[str, str, str]]:
    """Rows of (key, value, source) with secrets masked, for ``portal check-config``."""
    rows = []
    for section, keys in DEFAULTS.items():
        for key in keys:
            attribute = _ATTRIBUTE_NAMES.get((section, key), key)
            value = getattr(settings, attribute)
            shown = _mask(value) if (section, key) in SECRET_KEYS else _show(value)
            if (section, key) in {("session", "redis_url"), ("database", "url"), ("session", "anonymous_redis_url")}:
                shown = _mask_url_password(str(value))
            rows.append((f"{section}.{key}", shown, settings.sources.get(f"{section}.{key}", "default")))
    return rows


_ATTRIBUTE_NAMES = {("session", "file_dir"): "session_file_dir", ("database", "url"): "database_url",
                   ("roles", "rules_file"): "roles_file", ("services", "file"): "services_file",
                   ("documents", "folder"): "documents_folder",
                   ("moderation", "rules_file"): "moderation_rules_file", ("limits", "login"): "login_rate_limit",
                   ("limits", "anonymous_posts"): "anonymous_post_rate_limit",
                   ("limits", "key_prefix"): "rate_limit_key_prefix"}


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(value) or "(none)"
    return str(value) if value != "" else "(not set)"


def _mask(value: str) -> str:
    return "(not set)" if not value else f"****** ({len(value)} characters)"


def _mask_url_password(url: str) -> str:
    if not url:
        return "(not set)"
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":******@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
