"""The authority's signing keys, fetched from its ``jwks_uri`` and cached per process.

Keys are looked up by ``kid``. An unknown ``kid`` (the authority rotated its keys) triggers one refetch, at
most once per ``min_refetch_interval``, so a stream of tokens with made-up kids cannot hammer the authority.
When the authority is down, the keys already cached keep working.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import InvalidKeyError

from auth.errors import AuthorityUnavailable, InvalidToken

log = logging.getLogger(__name__)

MIN_RSA_KEY_BITS = 2048
# A JWKS is a few kilobytes; anything far larger is not one.
MAX_JWKS_BYTES = 512 * 1024


def clipped_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters: token fields go into log lines, and tokens are attacker input."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class JwksCache:
    """RSA signature keys of one authority, by ``kid``; thread-safe, refetched lazily and rate-limited."""

    def __init__(
        self,
        jwks_uri: str,
        http: requests.Session,
        *,
        timeout: float = 5.0,
        min_refetch_interval: float = 30.0,
        max_key_age: float = 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if urlsplit(jwks_uri).scheme != "https":
            raise ValueError(f"jwks_uri must be an https URL, got {jwks_uri!r}")
        self.jwks_uri = jwks_uri
        self._http = http
        self._timeout = timeout
        self._min_refetch_interval = min_refetch_interval
        self._max_key_age = max_key_age
        self._clock = clock
        self._lock = threading.Lock()
        # Replaced as a whole, never mutated: readers on the fast path need no lock.
        self._keys: Mapping[str, RSAPublicKey] = MappingProxyType({})
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._last_failure: str | None = None

    @property
    def has_keys(self) -> bool:
        """Whether at least one key is cached (for the readiness check)."""
        return bool(self._keys)

    def key_for(self, kid: str) -> RSAPublicKey:
        """The public key published under ``kid``; refetches once if unknown or stale.

        Raises ``InvalidToken`` when the authority does not publish the kid, ``AuthorityUnavailable`` when it
        could not be asked.
        """
        key = self._keys.get(kid)
        if key is not None and not self._is_stale():
            return key
        with self._lock:
            # Another thread may have refetched while we waited for the lock.
            key = self._keys.get(kid)
            if key is not None and not self._is_stale():
                return key
            if self._may_refetch():
                self._refetch()
            key = self._keys.get(kid)
            if key is not None:
                # A stale key whose refetch failed still works: JWKS outages must not break sign-ins.
                return key
            if self._last_failure is not None:
                raise AuthorityUnavailable(f"signing keys unavailable: {self._last_failure}")
            raise InvalidToken(f"token kid {clipped_repr(kid)} is not among the authority's signing keys")

    def refresh(self) -> None:
        """Fetch the keys now (at start-up or from a readiness probe); raises ``AuthorityUnavailable``."""
        with self._lock:
            self._refetch()
            if self._last_failure is not None:
                raise AuthorityUnavailable(f"signing keys unavailable: {self._last_failure}")

    def _is_stale(self) -> bool:
        """Keys older than ``max_key_age`` are refreshed on next use, so withdrawn keys stop working."""
        return self._fetched_at is not None and self._clock() - self._fetched_at > self._max_key_age

    def _may_refetch(self) -> bool:
        """At most one fetch per interval, failures included: no retry storms against the authority."""
        return self._attempted_at is None or self._clock() - self._attempted_at >= self._min_refetch_interval

    def _refetch(self) -> None:
        """Fetch and replace the key set; on failure keep the old keys. Caller holds the lock."""
        self._attempted_at = self._clock()
        try:
            keys = parse_jwks(self._download())
        except AuthorityUnavailable as exc:
            self._last_failure = exc.reason
            log.warning(
                "Could not refresh signing keys from %s (%s); %d cached keys stay in use. "
                "Check that the authority is reachable from this server.",
                self.jwks_uri,
                exc.reason,
                len(self._keys),
            )
            return
        self._keys = MappingProxyType(keys)
        self._fetched_at = self._attempted_at
        self._last_failure = None
        log.info("Loaded %d signing keys from %s: %s", len(keys), self.jwks_uri, sorted(keys))

    def _download(self) -> Any:
        """GET the JWKS document as JSON; any transport or format problem is ``AuthorityUnavailable``."""
        try:
            response = self._http.get(self.jwks_uri, timeout=self._timeout)
        except requests.RequestException as exc:
            raise AuthorityUnavailable(f"JWKS request failed: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise AuthorityUnavailable(f"JWKS request answered HTTP {response.status_code}")
        if len(response.content) > MAX_JWKS_BYTES:
            raise AuthorityUnavailable("JWKS response is implausibly large")
        try:
            return response.json()
        except ValueError as exc:
            raise AuthorityUnavailable("JWKS response is not JSON") from exc


def parse_jwks(document: Any) -> dict[str, RSAPublicKey]:
    """The usable signature keys of a JWKS document, by kid; ``AuthorityUnavailable`` if there are none."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise AuthorityUnavailable("JWKS response has no 'keys' list")
    keys: dict[str, RSAPublicKey] = {}
    for jwk in document["keys"]:
        key = _signature_key(jwk)
        if key is not None:
            keys[jwk["kid"]] = key
    if not keys:
        # An empty set would lock everyone out; treat it like an outage and keep what we had.
        raise AuthorityUnavailable("JWKS response holds no usable RSA signature key")
    return keys


def _signature_key(jwk: Any) -> RSAPublicKey | None:
    """The RSA public key of one JWK if it is meant for RS256 signatures, else None (skipped)."""
    if not isinstance(jwk, dict):
        return None
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        return None
    # RFC 7517 4.2: "use" absent means any use; "enc" keys must not verify signatures.
    if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") != "RS256":
        return None
    try:
        key = RSAAlgorithm.from_jwk(jwk)
    except (InvalidKeyError, ValueError, TypeError, KeyError) as exc:
        log.warning("Skipping malformed JWK %r: %s", kid, exc)
        return None
    if not isinstance(key, RSAPublicKey) or key.key_size < MIN_RSA_KEY_BITS:
        log.warning("Skipping JWK %r: not an RSA public key of at least %d bits", kid, MIN_RSA_KEY_BITS)
        return None
    return key
