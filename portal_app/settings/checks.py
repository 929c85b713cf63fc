"""Checks on the effective settings; each returns problems instead of raising, so all are listed at once."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from limits import parse_many

from auth.client_certificate import ClientCertificateError, load_client_certificate
from auth.problems import GUID, ConfigProblem
from portal_app.redis_connect import redis_url_problem
from portal_app.settings.model import DEFAULTS

if TYPE_CHECKING:
    from portal_app.settings.model import PortalSettings

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
MIN_SECRET_KEY_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 24
# Values copied from tutorials or our own examples are as good as no key at all.
KNOWN_WEAK_KEYS = {"dev", "secret", "changeme", "change-me", "please-change-me", "portal-dev-secret-key"}


def check_settings(settings: PortalSettings) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for check in (_check_external_url, _check_secret_key, _check_authority, _check_client,
                  _check_tenants, _check_numbers, _check_session_store, _check_database, _check_roles,
                  _check_silent_paths, _check_support_contact, _check_rate_limits, _check_metrics_token,
                  _check_no_emulator_in_production, _check_examining):
        problems.extend(check(settings))
    return problems


def _problem(settings: PortalSettings, key: str, problem: str, fix: str) -> ConfigProblem:
    return ConfigProblem(settings.sources.get(key, "default"), key, problem, fix)


def _check_external_url(s: PortalSettings) -> list[ConfigProblem]:
    parts = urlsplit(s.external_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [_problem(s, "portal.external_url", f"{s.external_url!r} is not an absolute http(s) URL",
                         "set PORTAL_EXTERNAL_URL to the address users type, e.g. https://portal.example.org")]
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return [_problem(s, "portal.external_url", "plain http is only allowed on loopback",
                         "serve the portal over https and set PORTAL_EXTERNAL_URL to its https address")]
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return [_problem(s, "portal.external_url", "the portal must be served at the root of its host",
                         "remove the path, query or fragment")]
    return []


def _check_secret_key(s: PortalSettings) -> list[ConfigProblem]:
    if s.dev_mode and not s.secret_key:
        return []  # dev mode makes a random key per installation (see portal_app.dev_secret)
    if not s.secret_key:
        return [_problem(s, "portal.secret_key", "no secret key is set",
                         "set PORTAL_SECRET_KEY to a random value, e.g. "
                         "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")]
    if len(s.secret_key) < MIN_SECRET_KEY_LENGTH or s.secret_key.lower() in KNOWN_WEAK_KEYS:
        return [_problem(s, "portal.secret_key", "the secret key is too short or well known",
                         f"use at least {MIN_SECRET_KEY_LENGTH} random characters")]
    return []


def _check_authority(s: PortalSettings) -> list[ConfigProblem]:
    parts = urlsplit(s.authority)
    problems = []
    if parts.scheme != "https" or not parts.hostname or len(parts.path.strip("/")) == 0:
        problems.append(_problem(s, "auth.authority", f"{s.authority!r} is not an https authority URL",
                                 "set PORTAL_AUTHORITY to https://login.microsoftonline.com/TENANT-ID"))
    if s.ca_bundle and not Path(s.ca_bundle).is_file():
        problems.append(_problem(s, "auth.ca_bundle", f"{s.ca_bundle} is not a readable file",
                                 "point PORTAL_CA_BUNDLE at a PEM file, or unset it"))
    return problems


def _check_client(s: PortalSettings) -> list[ConfigProblem]:
    problems = []
    if not s.client_id:
        problems.append(_problem(s, "auth.client_id", "no client id is set",
                                 "set PORTAL_CLIENT_ID to the app registration's Application (client) ID"))
    if s.client_secret and s.client_cert_path:
        problems.append(_problem(s, "auth.client_secret", "both a client secret and a certificate are set",
                                 "use one credential: unset PORTAL_CLIENT_SECRET to sign in with the certificate, "
                                 "or PORTAL_CLIENT_CERT_PATH to use the secret"))
    elif not s.client_secret and not s.client_cert_path:
        problems.append(_problem(s, "auth.client_secret", "no client credential is set",
                                 "set PORTAL_CLIENT_CERT_PATH (and PORTAL_CLIENT_KEY_PATH) to a certificate "
                                 "uploaded to the app registration (recommended), or PORTAL_CLIENT_SECRET to a "
                                 "client secret of it"))
    if s.client_key_path and not s.client_cert_path:
        problems.append(_problem(s, "auth.client_key_path", "a private key is set without its certificate",
                                 "set PORTAL_CLIENT_CERT_PATH to the certificate of this key"))
    if s.client_cert_path:
        problems.extend(_check_certificate(s))
    return problems


def _check_certificate(s: PortalSettings) -> list[ConfigProblem]:
    """Every problem of the certificate credential at once (files, key pairing, RSA, validity)."""
    try:
        load_client_certificate(s.client_cert_path, s.client_key_path, s.client_key_passphrase)
    except ClientCertificateError as exc:
        return [_problem(s, problem.key, problem.problem, problem.fix) for problem in exc.problems]
    return []


def _check_tenants(s: PortalSettings) -> list[ConfigProblem]:
    if not s.allowed_tenants:
        return [_problem(s, "auth.allowed_tenants", "no tenant is allowed, so nobody could sign in",
                         "set PORTAL_ALLOWED_TENANTS to the appointee tenant id")]
    return [_problem(s, "auth.allowed_tenants", f"{tenant!r} is not a tenant id (a GUID)",
                     "use the Directory (tenant) ID from the Entra admin centre")
            for tenant in s.allowed_tenants if not GUID.match(tenant)]


def _check_numbers(s: PortalSettings) -> list[ConfigProblem]:
    limits = [
        ("auth.http_timeout_seconds", s.http_timeout_seconds, 1, 15),
        ("auth.flow_lifetime_seconds", s.flow_lifetime_seconds, 60, 600),
        ("auth.clock_skew_seconds", s.clock_skew_seconds, 0, 300),
        ("session.idle_timeout_minutes", s.idle_timeout_minutes, 1, 24 * 60),
        ("session.absolute_lifetime_hours", s.absolute_lifetime_hours, 1, 24),
        ("portal.trusted_proxy_hops", s.trusted_proxy_hops, 0, 5),
        ("session.silent_retry_minutes", s.silent_retry_minutes, 1, 60),
        ("session.refresh_minutes", s.refresh_minutes, 5, 24 * 60),
    ]
    return [_problem(s, key, f"{value} is outside {low}..{high}", f"choose a value from {low} to {high}")
            for key, value, low, high in limits if not low <= value <= high]


def _check_session_store(s: PortalSettings) -> list[ConfigProblem]:
    problem = redis_url_problem(s.redis_url) if s.redis_url else None
    if problem:
        return [_problem(s, "session.redis_url", problem,
                         "use redis://HOST:6379/0, rediss:// for TLS, redis+sentinel://HOST:26379/SERVICE/DB "
                         "or redis+cluster://HOST:PORT,HOST:PORT")]
    if not s.redis_url and not s.dev_mode:
        return [_problem(s, "session.redis_url", "file sessions only work for one process on one machine",
                         "set REDIS_URL, or run in dev mode (PORTAL_DEV_MODE=1) on a laptop")]
    if s.anonymous_redis_url and not s.redis_url:
        return [_problem(s, "session.anonymous_redis_url", "set without REDIS_URL",
                         "set REDIS_URL too, or unset PORTAL_ANONYMOUS_REDIS_URL")]
    problem = redis_url_problem(s.anonymous_redis_url) if s.anonymous_redis_url else None
    if problem:
        return [_problem(s, "session.anonymous_redis_url", problem, "use a Redis URL, as for REDIS_URL")]
    return []


def _check_rate_limits(s: PortalSettings) -> list[ConfigProblem]:
    problems = []
    for key, value in (("limits.login", s.login_rate_limit), ("limits.anonymous_posts", s.anonymous_post_rate_limit)):
        try:
            parsed = parse_many(value)
        except ValueError:
            parsed = []
        if not parsed:
            problems.append(_problem(s, key, f"{value!r} is not a rate limit",
                                     'write it as "N per minute", several joined by ";", e.g. "10 per minute; 60 '
                                     'per hour"'))
    if not s.rate_limit_key_prefix:
        problems.append(_problem(s, "limits.key_prefix", "the prefix is empty", 'use "portal:anon:limits"'))
    return problems


def _check_silent_paths(s: PortalSettings) -> list[ConfigProblem]:
    return [_problem(s, "session.silent_sign_in_paths", f"{path!r} is not a path prefix",
                     "use prefixes that start with /, e.g. \"/emi/\"")
            for path in s.silent_sign_in_paths if not path.startswith("/")]


def _check_database(s: PortalSettings) -> list[ConfigProblem]:
    if s.database_url and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", s.database_url):
        return [_problem(s, "database.url", "only SQLite and PostgreSQL are supported",
                         "use postgresql://USER@HOST/DB or sqlite:///PATH")]
    return []


def _check_roles(s: PortalSettings) -> list[ConfigProblem]:
    problems = []
    if not s.roles_file.is_file():
        problems.append(_problem(s, "roles.rules_file", f"{s.roles_file} does not exist",
                                 "point it at the role rules (config/roles.toml)"))
    if urlsplit(s.graph_base_url).scheme != "https":
        problems.append(_problem(s, "roles.graph_base_url", f"{s.graph_base_url!r} is not an https URL",
                                 "use https://graph.microsoft.com"))
    return problems


# Welsh vowels (w and y included): "â" becomes "ag" before them.
_WELSH_VOWELS = "aeiouwyâêîôûŵŷáéíóúàèìòù"


def _check_support_contact(s: PortalSettings) -> list[ConfigProblem]:
    """The Welsh contact follows "â" in every Welsh sentence ("cysylltwch â ..."), and names the same contact."""
    key = "portal.support_contact_cy"
    welsh = s.support_contact_cy.strip()
    first = welsh.split()[0] if welsh else ""
    if not welsh:
        return [_problem(s, key, "the Welsh support contact is empty",
                         "set it to the contact in Welsh, e.g. "
                         "\"thîm cymorth penodeion CBAC (appointees@wjec.co.uk)\"")]
    if first[0].lower() in _WELSH_VOWELS:
        return [_problem(s, key, f"{welsh[:40]!r} starts with a vowel: Welsh writes \"ag\" before a vowel, and the "
                         "Welsh pages say \"cysylltwch â ...\"", "name the team first, e.g. \"thîm cymorth ... "
                         "(appointees@...)\"")]
    # An acronym (CBAC) keeps its letters; a word after "â" takes the aspirate mutation: t > th, c > ch, p > ph.
    if not first.isupper() and first[0].lower() in "tcp" and first[1:2].lower() != "h":
        return [_problem(s, key, f"{first!r} follows \"â\" in the Welsh sentences, which needs the aspirate "
                         "mutation", f"write {first[0] + 'h' + first[1:]!r} (as in \"thîm cymorth\")")]
    if s.support_contact != DEFAULTS["portal"]["support_contact"] and welsh == DEFAULTS["portal"][
            "support_contact_cy"]:
        return [_problem(s, key, "portal.support_contact names another contact, but the Welsh still names the "
                         "default team", "set portal.support_contact_cy to the same contact in Welsh")]
    return []


def _check_metrics_token(s: PortalSettings) -> list[ConfigProblem]:
    if not s.metrics_token and s.dev_mode:
        return []  # dev mode: /metrics answers direct loopback requests only
    if not s.metrics_token:
        return [_problem(s, "portal.metrics_token", "no metrics token is set: behind a proxy on the same host every "
                         "visitor looks like loopback", "set PORTAL_METRICS_TOKEN to a random value of at least "
                         f"{MIN_METRICS_TOKEN_LENGTH} characters and give it to Prometheus as a bearer token")]
    if len(s.metrics_token) < MIN_METRICS_TOKEN_LENGTH:
        return [_problem(s, "portal.metrics_token", "the metrics token is too short",
                         f"use at least {MIN_METRICS_TOKEN_LENGTH} random characters")]
    return []


def _check_no_emulator_in_production(s: PortalSettings) -> list[ConfigProblem]:
    """Outside dev mode, the authority and Graph must not be on loopback: that is the local emulator, which the
    shipped config/portal.toml points at, and a production portal must never trust it."""
    if s.dev_mode or s.allow_loopback_authority:
        return []
    problems = []
    for key, url, fix in (
        ("auth.authority", s.authority, "set PORTAL_AUTHORITY to https://login.microsoftonline.com/TENANT-ID"),
        ("roles.graph_base_url", s.graph_base_url, "set PORTAL_GRAPH_URL to https://graph.microsoft.com"),
    ):
        host = urlsplit(url).hostname or ""
        if _is_loopback(host):
            problems.append(_problem(s, key, f"{host} is loopback (the local Entra ID emulator), not a real "
                                     "service, and this is not dev mode", fix))
    return problems


def _is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _check_examining(s: PortalSettings) -> list[ConfigProblem]:
    """The marking rules and the marks API (issue 15)."""
    problems = [_problem(s, "marking.not_received_codes", f"{code!r} is not a status code",
                         "use codes of letters only, up to 8, as in components.csv (e.g. \"A\", \"NR\")")
                for code in s.not_received_codes if not (code.isalpha() and len(code) <= 8)]
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,120}", s.marks_app_role):
        problems.append(_problem(s, "api.marks_app_role", f"{s.marks_app_role!r} is not an app role value",
                                 "use the Value of the app role in the portal's app registration, e.g. Marks.Read.All"))
    if s.application_id_uri and urlsplit(s.application_id_uri).scheme not in ("api", "https"):
        problems.append(_problem(s, "api.application_id_uri", f"{s.application_id_uri!r} is not an application ID URI",
                                 "copy the Application ID URI (api://...) from Expose an API, or leave it empty"))
    if not 1 <= s.marks_page_size <= 5000:
        problems.append(_problem(s, "api.marks_page_size", f"{s.marks_page_size} is outside 1..5000",
                                 "choose a value from 1 to 5000"))
    return problems
