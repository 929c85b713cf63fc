"""Client assertions (RFC 7523, Entra's "certificate credentials"): a confidential client signs a short JWT with the
private key of a certificate registered on its app registration, instead of sending a secret.

What the emulator checks, in Entra's order and with its error codes: the JWT is well formed; its header names a
certificate registered on the app (``x5t#S256`` or ``x5t``) that is valid now; the signature verifies with that
certificate's key (RS256 or PS256); ``iss`` = ``sub`` = the client id; ``aud`` is the token endpoint that was
called; ``exp`` and ``nbf`` hold (five minutes' skew); and, stricter than Entra but as RFC 7523 section 3 allows,
each ``jti`` is accepted once.
"""

from __future__ import annotations

import base64
import datetime
import threading
from dataclasses import dataclass

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from . import errors as E
from .errors import EntraError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SKEW_SECONDS = 300
# An assertion is meant for one request; one valid for longer than this is refused (it also bounds the jti memory).
MAX_LIFETIME_SECONDS = 3600
ALGORITHMS = ("RS256", "PS256")


@dataclass(frozen=True)
class RegisteredCertificate:
    """A certificate uploaded to an app registration (its public part only, as in the Entra admin centre)."""

    certificate: x509.Certificate

    @classmethod
    def from_pem(cls, pem: str | bytes) -> RegisteredCertificate:
        data = pem.encode() if isinstance(pem, str) else pem
        try:
            return cls(x509.load_pem_x509_certificate(data))
        except ValueError as exc:
            raise ValueError(f"not a PEM certificate: {exc}") from exc

    @property
    def sha1_thumbprint(self) -> str:
        """Hex, upper case: what the Entra admin centre shows as the certificate's thumbprint."""
        # x5t is SHA-1 by definition (RFC 7515 4.1.7): an identifier here, not a security measure
        return self.certificate.fingerprint(hashes.SHA1()).hex().upper()

    @property
    def sha256_thumbprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex().upper()

    def named_by(self, header: dict) -> bool:
        """Whether the JWT header's x5t#S256 (or x5t) is this certificate's thumbprint."""
        wanted = {"x5t#S256": self.sha256_thumbprint, "x5t": self.sha1_thumbprint}
        return any(_thumbprint_hex(header.get(name)) == value for name, value in wanted.items())

    def valid_at(self, now: float) -> bool:
        moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
        return self.certificate.not_valid_before_utc <= moment <= self.certificate.not_valid_after_utc


class JtiLedger:
    """The jti values of accepted assertions, each kept until its assertion expires."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, jti: str, expires: float, now: float) -> bool:
        """Record ``jti``; False when it was used before (a replay)."""
        with self._lock:
            self._seen = {key: exp for key, exp in self._seen.items() if exp + SKEW_SECONDS >= now}
            if jti in self._seen:
                return False
            self._seen[jti] = expires
            return True


def verify_client_assertion(assertion: str, *, client_id: str, certificates: tuple[RegisteredCertificate, ...],
                            audiences: set[str], now: float, ledger: JtiLedger) -> dict:
    """The assertion's claims, once every check holds; ``EntraError`` (invalid_client) naming the first that fails."""
    header = _header(assertion)
    certificate = _registered_certificate(header, certificates, now)
    try:
        claims = jwt.decode(assertion, certificate.certificate.public_key(), algorithms=list(ALGORITHMS),
                            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                                     "verify_iat": False})
    except jwt.InvalidSignatureError as exc:
        raise _invalid("The provided signature value did not match the expected signature value.",
                       header) from exc
    except jwt.InvalidTokenError as exc:
        raise EntraError("invalid_client", E.MALFORMED_JWT, f"JWT token is invalid or malformed: {exc}") from exc
    _check_claims(claims, client_id=client_id, audiences=audiences, now=now, header=header)
    if not ledger.first_use(str(claims["jti"]), float(claims["exp"]), now):
        raise _invalid("The assertion's jti was used before: an assertion is good for one request.", header)
    return claims


def _header(assertion: str) -> dict:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.InvalidTokenError as exc:
        raise EntraError("invalid_client", E.MALFORMED_JWT, "JWT token is invalid or malformed.") from exc
    if header.get("alg") not in ALGORITHMS:
        raise EntraError("invalid_client", E.MALFORMED_JWT, f"JWT token is invalid or malformed: algorithm "
                         f"{str(header.get('alg'))[:20]!r} is not supported for client assertions.")
    return header


def _registered_certificate(header: dict, certificates: tuple[RegisteredCertificate, ...],
                            now: float) -> RegisteredCertificate:
    match = next((cert for cert in certificates if cert.named_by(header)), None)
    if match is None:
        raise _invalid("The key was not found.", header)
    if not match.valid_at(now):
        raise _invalid("The key used is expired.", header)
    return match


def _check_claims(claims: dict, *, client_id: str, audiences: set[str], now: float, header: dict) -> None:
    missing = [name for name in ("iss", "sub", "aud", "exp", "jti") if not claims.get(name)]
    if missing:
        raise EntraError("invalid_client", E.MALFORMED_JWT, f"JWT token is invalid or malformed: the client "
                         f"assertion lacks {', '.join(missing)}.")
    if claims["iss"] != client_id or claims["sub"] != client_id:
        raise EntraError("invalid_client", E.ASSERTION_WRONG_APP, "Client assertion application identifier "
                         "doesn't match 'client_id' parameter.")
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if not audiences.intersection(str(value) for value in audience):
        raise _invalid(f"The audience {str(claims['aud'])[:200]!r} is not this token endpoint.", header)
    try:
        expires, not_before = float(claims["exp"]), float(claims.get("nbf", claims.get("iat", now)))
    except (TypeError, ValueError) as exc:
        raise EntraError("invalid_client", E.MALFORMED_JWT, "JWT token is invalid or malformed: exp and nbf "
                         "must be numbers.") from exc
    if not (not_before - SKEW_SECONDS <= now <= expires + SKEW_SECONDS) or expires - now > MAX_LIFETIME_SECONDS:
        raise EntraError("invalid_client", E.ASSERTION_TIME_RANGE, "Client assertion is not within its valid "
                         f"time range. Current time: {_iso(now)}, assertion valid from {_iso(not_before)}, expiry "
                         f"time of assertion {_iso(expires)}.")


def _invalid(reason: str, header: dict) -> EntraError:
    thumbprint = _thumbprint_hex(header.get("x5t#S256")) or _thumbprint_hex(header.get("x5t")) or "none"
    return EntraError("invalid_client", E.ASSERTION_SIGNATURE, "Client assertion failed signature validation. "
                      f"[Reason - {reason} Thumbprint of key used by client: '{thumbprint}']")


def _thumbprint_hex(value) -> str | None:
    if not isinstance(value, str) or not value or len(value) > 100:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex().upper()
    except ValueError:
        return None


def _iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

