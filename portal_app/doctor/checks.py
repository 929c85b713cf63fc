"""The checks `portal doctor` runs, each a function of the app returning one ``Finding`` (what, and the fix).

They use the portal's own configuration, HTTP session (timeouts, CA bundle), session store and database engine,
so a check that passes here passes for the servers on this machine.
"""

from __future__ import annotations

import datetime
import email.utils
import os
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask

from auth.client_certificate import ClientCertificate
from auth.discovery import ForeignMetadata
from auth.errors import AuthError
from auth.jwks import parse_jwks
from portal_app.database import schema_problem
from portal_app.settings import PortalSettings
from portal_app.signin.backend import backend_of
from portal_app.signin.services import CERTIFICATE_WARNING_DAYS, EXTENSION, IdentityServices

OK, WARN, FAIL = "ok", "warn", "FAIL"
# Beyond this, client assertions and ID tokens start failing at one side or the other (Entra allows 5 minutes).
MAX_CLOCK_SKEW_SECONDS = 60
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
EVICTING_POLICIES = ("allkeys-", "volatile-")


@dataclass(frozen=True)
class Finding:
    name: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class Probe:
    """What the network checks learnt, shared between them (metadata first, then keys and token endpoint)."""

    metadata: dict | None = None
    authority_dates: list[tuple[float, float]] | None = None  # (authority's Date, our clock at that moment)


Check = Callable[[Flask, Probe], Finding]


def redirect_uri(app: Flask, probe: Probe) -> Finding:
    s = _settings(app)
    registered = (f"redirect URI {s.redirect_uri}, front-channel logout URL "
                  f"{s.url_for_path('/auth/frontchannel-logout')}")
    if not s.redirect_uri.startswith("https://") and not s.dev_mode:
        return Finding("Redirect URI", FAIL, f"{registered}: plain http outside dev mode",
                       "set PORTAL_EXTERNAL_URL to the https address users type; register the same on the app "
                       "registration (docs/entra-setup.md)")
    return Finding("Redirect URI", OK, f"{registered} (both must be on the app registration)")


def authority_metadata(app: Flask, probe: Probe) -> Finding:
    s = _settings(app)
    started = time.monotonic()
    try:
        probe.metadata = _services(app).metadata()
    except ForeignMetadata as exc:
        probe.metadata = exc.document  # refused for sign-in; the other checks can still say what else is wrong
        return Finding("Authority metadata", FAIL, f"{exc.reason}: it does not belong to PORTAL_AUTHORITY "
                       f"{s.authority}, so every ID token would be refused",
                       "set PORTAL_AUTHORITY to https://login.microsoftonline.com/<Directory (tenant) ID>")
    except AuthError as exc:
        return Finding("Authority metadata", FAIL, exc.reason,
                       "check PORTAL_AUTHORITY, this machine's route (and proxy) to it, and PORTAL_CA_BUNDLE")
    issuer = str(probe.metadata.get("issuer"))
    elapsed = f"fetched in {1000 * (time.monotonic() - started):.0f} ms"
    if issuer not in expected_issuers(s.authority):
        return Finding("Authority metadata", FAIL, f"{elapsed}, but its issuer {issuer} does not belong to "
                       f"PORTAL_AUTHORITY {s.authority}: every ID token would be refused",
                       "set PORTAL_AUTHORITY to https://login.microsoftonline.com/<Directory (tenant) ID>")
    tenant = _GUID.search(urlsplit(issuer).path)
    if tenant and tenant.group(0).lower() not in s.allowed_tenants:
        return Finding("Authority metadata", FAIL, f"{elapsed}; issuer {issuer}, but tenant {tenant.group(0)} is "
                       "not in PORTAL_ALLOWED_TENANTS: nobody could sign in",
                       f"add {tenant.group(0)} to PORTAL_ALLOWED_TENANTS")
    return Finding("Authority metadata", OK, f"{elapsed}; issuer {issuer} matches PORTAL_AUTHORITY")


def expected_issuers(authority: str) -> set[str]:
    """The issuers an authority URL stands for: Entra v2.0 (``/v2.0``), a plain OIDC issuer, or the template of
    organizations/common."""
    base = authority.rstrip("/")
    parts = urlsplit(base)
    issuers = {base, base + "/v2.0"}
    if parts.path.strip("/").lower() in ("organizations", "common"):
        issuers.add(f"{parts.scheme}://{parts.netloc}/{{tenantid}}/v2.0")
    return issuers


def signing_keys(app: Flask, probe: Probe) -> Finding:
    if probe.metadata is None:
        return Finding("Signing keys", FAIL, "skipped: the authority's metadata is not known",
                       "mend the authority metadata check first")
    uri = probe.metadata["jwks_uri"]
    try:
        response = _timed_get(app, probe, uri)
        keys = parse_jwks(response.json())
    except (requests.RequestException, ValueError, AuthError) as exc:
        return Finding("Signing keys", FAIL, f"{uri}: {_reason(exc)}",
                       "the authority must publish its RSA signing keys there; check the route and CA bundle")
    if not keys:
        return Finding("Signing keys", FAIL, f"{uri} lists no RSA signing key", "check PORTAL_AUTHORITY")
    return Finding("Signing keys", OK, f"{len(keys)} RSA signing key(s) from {uri}: {', '.join(sorted(keys))}")


def token_endpoint(app: Flask, probe: Probe) -> Finding:
    """A deliberately wrong credential must get OAuth's invalid_client answer quickly, never a timeout or a 200."""
    if probe.metadata is None:
        return Finding("Token endpoint", FAIL, "skipped: the authority's metadata is not known",
                       "mend the authority metadata check first")
    s, url = _settings(app), probe.metadata["token_endpoint"]
    form = {"grant_type": "client_credentials", "client_id": s.client_id, "scope": f"{s.client_id}/.default"}
    if s.uses_certificate:
        what = "a client assertion signed by a throwaway key"
        form |= {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                 "client_assertion": _throwaway_certificate().assertion({"client_id": s.client_id,
                                                                        "token_endpoint": url})}
    else:
        what = "a made-up client secret"
        form["client_secret"] = "portal-doctor-deliberately-wrong-secret"
    started = time.monotonic()
    try:
        response = _services(app).http.post(url, data=form, timeout=s.http_timeout_seconds)
    except requests.RequestException as exc:
        return Finding("Token endpoint", FAIL, f"{url}: {_reason(exc)} after {time.monotonic() - started:.1f} s",
                       "the portal redeems every sign-in here: check the route (firewall, proxy) to the authority")
    _note_date(probe, response, started)
    elapsed = f"{1000 * (time.monotonic() - started):.0f} ms"
    body = _json_object(response)
    error, codes = body.get("error"), body.get("error_codes") or []
    shown = f"{error} ({', '.join(f'AADSTS{code}' for code in codes)})" if codes else str(error)
    if response.status_code == 200:
        return Finding("Token endpoint", FAIL, f"{url} accepted {what}", "this is not the authority it claims to "
                       "be: check PORTAL_AUTHORITY and PORTAL_CA_BUNDLE")
    if error == "invalid_client":
        return Finding("Token endpoint", OK, f"{url} refused {what} with {shown} in {elapsed}, as it should")
    if error in ("unauthorized_client", "invalid_request") and 700016 in codes:
        return Finding("Token endpoint", FAIL, f"the authority does not know client id {s.client_id} ({shown})",
                       "set PORTAL_CLIENT_ID to the app registration's Application (client) ID, in this tenant")
    answer = shown if error else "without an OAuth error"
    return Finding("Token endpoint", FAIL, f"{url} answered {response.status_code} {answer} to {what}, not "
                   "invalid_client", "check that PORTAL_AUTHORITY is the tenant's authority")


def clock_skew(app: Flask, probe: Probe) -> Finding:
    if not probe.authority_dates:
        return Finding("Clock", FAIL, "the authority's answers carried no Date header to compare with",
                       "mend the checks above first")
    skews = [ours - theirs for theirs, ours in probe.authority_dates]
    skew = min(skews, key=abs)
    direction = "ahead of" if skew > 0 else "behind"
    detail = f"this machine's clock is {abs(skew):.0f} s {direction} the authority's (from its Date header)"
    if abs(skew) > MAX_CLOCK_SKEW_SECONDS:
        return Finding("Clock", FAIL, detail, "synchronise the clock with NTP (systemd-timesyncd or chrony): "
                       "client assertions and ID tokens are refused past a few minutes")
    return Finding("Clock", OK, f"{detail} (limit {MAX_CLOCK_SKEW_SECONDS} s)")


def client_credential(app: Flask, probe: Probe) -> Finding:
    s, certificate = _settings(app), _services(app).certificate
    if certificate is None:
        return Finding("Client credential", WARN, "a client secret (PORTAL_CLIENT_SECRET); Microsoft recommends a "
                       "certificate for confidential clients", "create a certificate and switch to "
                       "PORTAL_CLIENT_CERT_PATH (docs/entra-setup.md, certificate credentials)")
    days = certificate.days_left()
    detail = (f"certificate {certificate.subject()}, thumbprint {certificate.thumbprint}, valid until "
              f"{certificate.not_after:%Y-%m-%d} ({days:.0f} days)")
    if days < CERTIFICATE_WARNING_DAYS:
        return Finding("Client credential", FAIL, f"{detail}: under {CERTIFICATE_WARNING_DAYS} days left",
                       "create the next certificate, upload it to the app registration beside this one, then "
                       "point PORTAL_CLIENT_CERT_PATH at it and restart (docs/entra-setup.md, rollover)")
    key_file = s.client_key_path or s.client_cert_path
    if stat.S_IMODE(os.stat(key_file).st_mode) & stat.S_IRWXO:
        return Finding("Client credential", FAIL, f"{detail}, but its private key {key_file} is readable by every "
                       "user of this machine", f"chmod 640 {key_file} (owner root, group of the portal's user)")
    return Finding("Client credential", OK, detail + " (upload the same thumbprint to the app registration)")


def session_store(app: Flask, probe: Probe) -> Finding:
    s = _settings(app)
    store = backend_of(app)
    if not s.redis_url:
        return Finding("Session store", OK if s.dev_mode else FAIL, f"file sessions in {s.session_file_dir}",
                       "" if s.dev_mode else "set REDIS_URL")
    problem = store.problem()
    if problem:
        return Finding("Session store", FAIL, problem, "check REDIS_URL (host, port, password, rediss:// for TLS) "
                       "and that Redis runs")
    try:
        policy = str(store.redis.config_get("maxmemory-policy").get("maxmemory-policy", "?"))
    except (redis.RedisError, AttributeError, TypeError):  # managed Redis often disables CONFIG; a cluster differs
        policy = "unknown (CONFIG GET is not allowed)"
    detail = f"Redis answers; maxmemory-policy {policy}"
    if policy.startswith(EVICTING_POLICIES):
        return Finding("Session store", WARN, f"{detail}: under memory pressure Redis would drop sessions and "
                       "sign-ins in progress", "set maxmemory-policy noeviction and size maxmemory with headroom "
                       "(deploy/README.md, Redis)")
    return Finding("Session store", OK, detail)


def database(app: Flask, probe: Probe) -> Finding:
    problem = schema_problem(app)
    url = _settings(app).database_url or "SQLite under var/"
    shown = re.sub(r"://([^:/@]+):[^@]*@", r"://\1:******@", url)
    if problem:
        return Finding("Database", FAIL, f"{shown}: {problem}", "run `flask --app wsgi portal migrate`"
                       if "schema" in problem else "check DATABASE_URL and that PostgreSQL runs")
    return Finding("Database", OK, f"{shown}: reachable, schema at the latest revision")


CHECKS: tuple[Check, ...] = (redirect_uri, authority_metadata, signing_keys, token_endpoint, clock_skew,
                             client_credential, session_store, database)


def _settings(app: Flask) -> PortalSettings:
    return app.extensions["portal.settings"]


def _services(app: Flask) -> IdentityServices:
    return app.extensions[EXTENSION]


def _timed_get(app: Flask, probe: Probe, url: str) -> requests.Response:
    started = time.monotonic()
    response = _services(app).http.get(url, timeout=_settings(app).http_timeout_seconds)
    response.raise_for_status()
    _note_date(probe, response, started)
    return response


def _note_date(probe: Probe, response: requests.Response, started: float) -> None:
    """Remember the authority's Date against our clock halfway through the request (Date has 1 s resolution)."""
    try:
        theirs = email.utils.parsedate_to_datetime(response.headers.get("Date", "")).timestamp()
    except (TypeError, ValueError):
        return
    ours = time.time() - (time.monotonic() - started) / 2
    probe.authority_dates = [*(probe.authority_dates or []), (theirs, ours)]


def _json_object(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _reason(exc: Exception) -> str:
    if isinstance(exc, AuthError):
        return exc.reason
    if isinstance(exc, requests.Timeout):
        return "no answer in time (timeout)"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _throwaway_certificate() -> ClientCertificate:
    """A certificate nobody registered: its assertion must be refused."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal doctor (deliberately unregistered)")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return ClientCertificate(certificate=certificate, private_key=key, source="portal doctor")
