"""The portal's settings: what they are (``model``), how they are layered (``load``), checked (``checks``) and
shown to operations staff (``display``). The names most callers need are re-exported here."""

from portal_app.settings.load import load_settings
from portal_app.settings.model import (
    DEFAULT_CONFIG_FILE,
    DEFAULTS,
    ENVIRONMENT_OVERRIDES,
    PROJECT_ROOT,
    SECRET_KEYS,
    ConfigError,
    PortalSettings,
)

__all__ = ["DEFAULTS", "DEFAULT_CONFIG_FILE", "ENVIRONMENT_OVERRIDES", "PROJECT_ROOT", "SECRET_KEYS", "ConfigError",
           "PortalSettings", "load_settings"]
