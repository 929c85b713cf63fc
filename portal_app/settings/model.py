"""What the portal's configuration is: its keys and defaults, the environment contract, the typed settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from auth.problems import ConfigProblems

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "config" / "portal.toml"

# Environment variables are a contract with operations (issue 2): name -> (section, key, kind).
ENVIRONMENT_OVERRIDES: dict[str, tuple[str, str, str]] = {
    "PORTAL_AUTHORITY": ("auth", "authority", "str"),
    "PORTAL_CLIENT_ID": ("auth", "client_id", "str"),
    "PORTAL_CLIENT_SECRET": ("auth", "client_secret", "str"),
    "PORTAL_CA_BUNDLE": ("auth", "ca_bundle", "str"),
    "PORTAL_ALLOWED_TENANTS": ("auth", "allowed_tenants", "list"),
    "PORTAL_EXTERNAL_URL": ("portal", "external_url", "str"),
    "PORTAL_SECRET_KEY": ("portal", "secret_key", "str"),
    "PORTAL_DEV_MODE": ("portal", "dev_mode", "bool"),
    "REDIS_URL": ("session", "redis_url", "str"),
    "DATABASE_URL": ("database", "url", "str"),
    "PORTAL_ROLES_FILE": ("roles", "rules_file", "str"),
    "PORTAL_GRAPH_URL": ("roles", "graph_base_url", "str"),
    "PORTAL_SERVICES_FILE": ("services", "file", "str"),
    "PORTAL_DOCUMENTS_FOLDER": ("documents", "folder", "str"),
    "PORTAL_CLIENT_CERT_PATH": ("auth", "client_cert_path", "str"),
    "PORTAL_CLIENT_KEY_PATH": ("auth", "client_key_path", "str"),
    "PORTAL_CLIENT_KEY_PASSPHRASE": ("auth", "client_key_passphrase", "str"),
    "PORTAL_TRUSTED_PROXY_HOPS": ("portal", "trusted_proxy_hops", "str"),
    "PORTAL_MODERATION_FILE": ("moderation", "rules_file", "str"),
    "PORTAL_METRICS_TOKEN": ("portal", "metrics_token", "str"),
    "PORTAL_ALLOW_LOOPBACK_AUTHORITY": ("auth", "allow_loopback_authority", "bool"),
    "PORTAL_ANONYMOUS_REDIS_URL": ("session", "anonymous_redis_url", "str"),
    "PORTAL_LOGIN_RATE_LIMIT": ("limits", "login", "str"),
    "PORTAL_ANONYMOUS_POST_RATE_LIMIT": ("limits", "anonymous_posts", "str"),
    "PORTAL_API_APP_ID_URI": ("api", "application_id_uri", "str"),
}
SECRET_KEYS = {("auth", "client_secret"), ("portal", "secret_key"), ("auth", "client_key_passphrase"),
               ("portal", "metrics_token")}

DEFAULTS: dict[str, dict[str, Any]] = {
    "portal": {
        "external_url": "http://localhost:5000",
        "secret_key": "",
        "dev_mode": False,
        "appointee_domains": ["wjec-appointees.co.uk"],
        "support_contact": "the WJEC appointee support team (appointees@wjec.co.uk)",
        # Written as it reads after "â" ("cysylltwch â ..."): aspirate mutation included, no vowel first.
        "support_contact_cy": "thîm cymorth penodeion CBAC (appointees@wjec.co.uk)",
        "trusted_proxy_hops": 0,
        "metrics_token": "",
        "extra_hosts": [],
    },
    "auth": {
        "authority": "",
        "client_id": "",
        "client_secret": "",
        "ca_bundle": "",
        "allowed_tenants": [],
        "scopes": [],
        "http_timeout_seconds": 10.0,
        "flow_lifetime_seconds": 600,
        "clock_skew_seconds": 300,
        "required_auth_context": "",
        "client_cert_path": "",
        "client_key_path": "",
        "client_key_passphrase": "",
        "allow_loopback_authority": False,
    },
    "session": {
        "redis_url": "",
        "file_dir": "var/sessions",
        "idle_timeout_minutes": 30,
        "absolute_lifetime_hours": 8,
        "silent_sign_in": True,
        "silent_sign_in_paths": ["/"],
        "silent_retry_minutes": 5,
        "refresh_minutes": 30,
        "anonymous_redis_url": "",
    },
    "database": {
        "url": "",
    },
    "roles": {
        "rules_file": "config/roles.toml",
        "graph_base_url": "https://graph.microsoft.com",
        "graph_scopes": ["GroupMember.Read.All"],
    },
    "services": {
        "file": "config/services.toml",
    },
    "documents": {
        "folder": "config/demo-documents",
    },
    "moderation": {
        "rules_file": "config/moderation.toml",
    },
    "limits": {
        "login": "30 per minute; 300 per hour",
        "anonymous_posts": "10 per minute; 60 per hour",
        "key_prefix": "portal:anon:limits",
    },
    "marking": {
        "not_received_codes": ["A", "NR"],
    },
    "api": {
        "marks_app_role": "Marks.Read.All",
        "application_id_uri": "",
        "marks_page_size": 500,
    },
}


class ConfigError(ConfigProblems):
    """The portal's configuration has problems; ``problems`` lists every one of them."""

    heading = "The portal's configuration has problems"


@dataclass(frozen=True)
class PortalSettings:
    """The effective configuration, typed and checked."""

    external_url: str
    secret_key: str
    dev_mode: bool
    appointee_domains: tuple[str, ...]
    support_contact: str
    support_contact_cy: str
    trusted_proxy_hops: int
    authority: str
    client_id: str
    client_secret: str
    ca_bundle: str
    allowed_tenants: tuple[str, ...]
    scopes: tuple[str, ...]
    http_timeout_seconds: float
    flow_lifetime_seconds: int
    clock_skew_seconds: int
    required_auth_context: str
    redis_url: str
    session_file_dir: Path
    idle_timeout_minutes: int
    absolute_lifetime_hours: int
    silent_sign_in: bool
    silent_sign_in_paths: tuple[str, ...]
    silent_retry_minutes: int
    refresh_minutes: int
    database_url: str
    roles_file: Path
    graph_base_url: str
    graph_scopes: tuple[str, ...]
    services_file: Path
    documents_folder: Path
    moderation_rules_file: Path
    metrics_token: str = ""
    extra_hosts: tuple[str, ...] = ()
    allow_loopback_authority: bool = False
    anonymous_redis_url: str = ""
    login_rate_limit: str = DEFAULTS["limits"]["login"]
    anonymous_post_rate_limit: str = DEFAULTS["limits"]["anonymous_posts"]
    rate_limit_key_prefix: str = DEFAULTS["limits"]["key_prefix"]
    sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # The certificate credential (instead of client_secret): certificate and key PEM files, or one combined PEM.
    client_cert_path: str = ""
    client_key_path: str = ""
    client_key_passphrase: str = field(default="", repr=False)
    not_received_codes: tuple[str, ...] = ("A", "NR")
    marks_app_role: str = "Marks.Read.All"
    application_id_uri: str = ""
    marks_page_size: int = 500

    @property
    def uses_https(self) -> bool:
        return self.external_url.startswith("https://")

    @property
    def uses_certificate(self) -> bool:
        """Whether the portal proves itself to the authority with a certificate rather than a client secret."""
        return bool(self.client_cert_path)

    @property
    def external_host(self) -> str:
        """The host name users type (no port): the one Host the portal answers (besides ``extra_hosts``)."""
        return urlsplit(self.external_url).hostname or ""

    @property
    def external_origin(self) -> str:
        """``scheme://host[:port]`` of the external URL: what a same-origin browser sends as ``Origin``."""
        scheme, _, rest = self.external_url.partition("://")
        return f"{scheme.lower()}://{rest.split('/', 1)[0].lower()}"

    @property
    def anonymous_store_url(self) -> str:
        """Where sign-in flows, kept marks and rate-limit counters live: their own Redis, else the sessions'."""
        return self.anonymous_redis_url or self.redis_url

    @property
    def redirect_uri(self) -> str:
        return self.external_url.rstrip("/") + "/auth/callback"

    def url_for_path(self, path: str) -> str:
        """An absolute URL on the portal, built from configuration (never from the Host header)."""
        return self.external_url.rstrip("/") + path
