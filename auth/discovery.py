"""The authority's OpenID Provider metadata (issuer, jwks_uri, endpoints), fetched once per process."""

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

log = logging.getLogger(__name__)

# Endpoints the portal uses; each must be an https URL (OpenID Connect Discovery 1.0, section 3).
REQUIRED_URLS = ("issuer", "jwks_uri", "authorization_endpoint", "token_endpoint", "end_session_endpoint")
MAX_DOCUMENT_BYTES = 256 * 1024


def discovery_url(authority: str) -> str:
    """Where the metadata of ``authority`` lives; the same URL MSAL derives, so both read one document."""
    return authority.rstrip("/") + "/v2.0/.well-known/openid-configuration"


def fetch_discovery(authority: str, http: requests.Session, timeout: float = 5.0) -> dict[str, Any]:
    """GET and validate the authority's metadata document; ``AuthorityUnavailable`` on any problem."""
    url = discovery_url(authority)
    if urlsplit(url).scheme != "https":
        raise AuthorityUnavailable(f"authority {authority!r} is not an https URL")
    document = get_json(http, url, what="discovery request", shown_url=url, max_bytes=MAX_DOCUMENT_BYTES,
                        error=AuthorityUnavailable, timeout=timeout)
    validate_discovery(document, url)
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
