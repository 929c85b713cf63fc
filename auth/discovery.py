"""The authority's OpenID Provider metadata (issuer, jwks_uri, endpoints), fetched once per process.

Where the document lives and what it must say follow from the configured authority (OpenID Connect Discovery
1.0, sections 4 and 4.3; ASVS 10.5.3):
- an Entra authority ``https://HOST/TENANT`` (Microsoft's hosts, or one path segment that is a tenant id or
  ``organizations``/``common``, as the local emulator) stands for the issuer ``https://HOST/TENANT/v2.0``: its
  document is ``<issuer>/.well-known/openid-configuration`` and must name that issuer (for
  ``organizations``/``common`` Entra's ``https://HOST/{tenantid}/v2.0`` template; for a tenant named by domain,
  ``https://HOST/<tenant id>/v2.0``);
- any other authority is the issuer itself (``https://idp.example/oidc``), and its document must name exactly it.
Either way the signing keys (``jwks_uri``) must be on the authority's own host.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from auth.errors import AuthorityUnavailable
from auth.http import get_json
from auth.problems import GUID

log = logging.getLogger(__name__)

# Endpoints the portal uses; each must be an https URL (OpenID Connect Discovery 1.0, section 3).
REQUIRED_URLS = ("issuer", "jwks_uri", "authorization_endpoint", "token_endpoint", "end_session_endpoint")
MAX_DOCUMENT_BYTES = 256 * 1024
# Hosts where MSAL's instance discovery makes sense (and whose authorities are Entra's, whatever the path).
MICROSOFT_AUTHORITY_HOSTS = {
    "login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn", "login.windows.net", "login.microsoft.com", "sts.windows.net",
}
MULTI_TENANT = {"organizations", "common"}
TENANT_PLACEHOLDER = "{tenantid}"


def entra_shaped(authority: str) -> bool:
    """Whether ``authority`` is an Entra authority ``https://HOST/TENANT`` (see the module docstring)."""
    parts = urlsplit(authority)
    segments = [segment for segment in parts.path.split("/") if segment]
    if (parts.hostname or "").lower() in MICROSOFT_AUTHORITY_HOSTS:
        return len(segments) == 1
    return len(segments) == 1 and (bool(GUID.match(segments[0])) or segments[0].lower() in MULTI_TENANT)


def issuer_of(authority: str) -> str:
    """The issuer the configured authority stands for: Entra's ``<authority>/v2.0``, else the authority itself."""
    authority = authority.rstrip("/")
    return authority + "/v2.0" if entra_shaped(authority) else authority


def discovery_url(authority: str) -> str:
    """Where the metadata of ``authority`` lives (``<issuer>/.well-known/openid-configuration``): for an Entra
    authority the same URL MSAL derives from ``authority=``, for any other the one it reads with
    ``oidc_authority=``, so both read one document."""
    return issuer_of(authority) + "/.well-known/openid-configuration"


class ForeignMetadata(AuthorityUnavailable):
    """The metadata names another issuer, or puts its keys on another host: the configuration is wrong, and no
    retry mends it. ``document`` is what was refused (``portal doctor`` goes on checking the rest with it)."""

    def __init__(self, reason: str, document: dict[str, Any]) -> None:
        super().__init__(reason)
        self.document = document


def check_bound_to_authority(document: dict[str, Any], authority: str, url: str) -> None:
    """Refuse metadata whose issuer is not the configured authority's, or whose keys live on another host."""
    issuer = document["issuer"]
    parts = urlsplit(authority.rstrip("/"))
    if entra_shaped(authority):
        tenant = parts.path.strip("/")
        if tenant.lower() in MULTI_TENANT:
            good = issuer == f"{parts.scheme}://{parts.netloc}/{TENANT_PLACEHOLDER}/v2.0"
        elif GUID.match(tenant):
            good = issuer == issuer_of(authority)
        else:  # a tenant named by its domain: Entra names the tenant id in the issuer
            issuer_parts = urlsplit(issuer)
            segments = issuer_parts.path.strip("/").split("/")
            good = (issuer_parts.scheme, issuer_parts.netloc) == (parts.scheme, parts.netloc) and len(segments) == 2 \
                and bool(GUID.match(segments[0])) and segments[1] == "v2.0"
    else:
        good = issuer.rstrip("/") == issuer_of(authority)
    if not good:
        raise ForeignMetadata(f"discovery document at {url} names issuer {issuer!r}, which is not the issuer of "
                              f"the configured authority {authority!r} (OpenID Connect Discovery 4.3)", document)
    keys_host = (urlsplit(document["jwks_uri"]).hostname or "").lower()
    if keys_host != (parts.hostname or "").lower():
        raise ForeignMetadata(f"discovery document at {url} puts the signing keys on {keys_host!r}, not on the "
                              f"authority's host {parts.hostname!r}", document)


def fetch_discovery(authority: str, http: requests.Session, timeout: float = 5.0) -> dict[str, Any]:
    """GET and validate the authority's metadata document; ``AuthorityUnavailable`` on any problem."""
    url = discovery_url(authority)
    if urlsplit(url).scheme != "https":
        raise AuthorityUnavailable(f"authority {authority!r} is not an https URL")
    document = get_json(http, url, what="discovery request", shown_url=url, max_bytes=MAX_DOCUMENT_BYTES,
                        error=AuthorityUnavailable, timeout=timeout)
    validate_discovery(document, url)
    check_bound_to_authority(document, authority, url)
    return document


def validate_discovery(document: Any, url: str) -> None:
    """Refuse a document that is not an object or lacks one of the https URLs the portal relies on."""
    if not isinstance(document, dict):
        raise AuthorityUnavailable(f"discovery document at {url} is not a JSON object")
    problems = [name for name in REQUIRED_URLS if not _is_https_url(document.get(name))]
    if problems:
        raise AuthorityUnavailable(f"discovery document at {url} lacks https URLs for: {', '.join(problems)}")


def _is_https_url(value: Any) -> bool:
    """Whether ``value`` is an absolute https URL with a host."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname)


class DiscoveryCache:
    """The metadata of one authority, fetched on first use and then kept for the life of the process.

    A failed fetch is not cached, but the next attempt waits ``min_refetch_interval`` seconds so an outage
    does not turn every sign-in into another request to the authority.
    """

    def __init__(
        self,
        authority: str,
        http: requests.Session,
        *,
        timeout: float = 5.0,
        min_refetch_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.authority = authority
        self._http = http
        self._timeout = timeout
        self._min_refetch_interval = min_refetch_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._document: dict[str, Any] | None = None
        self._failed_at: float | None = None
        self._failure: str | None = None

    def document(self) -> dict[str, Any]:
        """The validated metadata document; raises ``AuthorityUnavailable`` while it cannot be had."""
        if self._document is not None:
            return self._document
        with self._lock:
            if self._document is not None:
                return self._document
            if self._failed_at is not None and self._clock() - self._failed_at < self._min_refetch_interval:
                raise AuthorityUnavailable(f"{self._failure} (not retried yet)")
            try:
                self._document = fetch_discovery(self.authority, self._http, self._timeout)
            except AuthorityUnavailable as exc:
                self._failed_at, self._failure = self._clock(), exc.reason
                log.warning("%s. Check PORTAL_AUTHORITY and that the authority is reachable.", exc.reason)
                raise
            log.info("Loaded OpenID metadata of %s (issuer %s)", self.authority, self._document["issuer"])
            return self._document

    @property
    def issuer(self) -> str:
        """The issuer, possibly with the ``{tenantid}`` placeholder of a multi-tenant authority."""
        return self.document()["issuer"]

    @property
    def jwks_uri(self) -> str:
        """Where the authority publishes its signing keys."""
        return self.document()["jwks_uri"]

    @property
    def end_session_endpoint(self) -> str:
        """Where logout sends the browser."""
        return self.document()["end_session_endpoint"]
