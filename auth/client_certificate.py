"""The portal's certificate credential: Microsoft recommends a certificate over a client secret for confidential
clients. The private key signs a short client assertion (RFC 7523, Entra's "certificate credentials") at each
token request; only the certificate's public part is uploaded to the app registration.

MSAL is given the assertion as a callable (its ``{"client_assertion": callable}`` credential) rather than the
``private_key``/``thumbprint`` form, because for that form it reuses one assertion, jti and all, for nine minutes;
an authority that holds each jti to one use (RFC 7523 section 3; the emulator does, and so do some OpenID
providers) would then refuse the second sign-in. The assertion is the one MSAL makes for Entra: PS256 with the
certificate's SHA-256 thumbprint (``x5t#S256``) and the certificate itself (``x5c``, for subject name/issuer
authentication).
"""

from __future__ import annotations

import base64
import datetime
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# Entra accepts RSA keys for client assertions; below 2048 bits is no longer safe.
MIN_RSA_BITS = 2048
ASSERTION_LIFETIME_SECONDS = 300


@dataclass(frozen=True)
class CertificateProblem:
    """One thing wrong with the configured certificate credential: which setting, what, and how to mend it."""

    key: str  # "auth.client_cert_path", "auth.client_key_path" or "auth.client_key_passphrase"
    problem: str
    fix: str


class ClientCertificateError(ValueError):
    """The certificate credential cannot be used; ``problems`` lists every reason at once."""

    def __init__(self, problems: list[CertificateProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.key}: {p.problem}" for p in problems))


@dataclass(frozen=True)
class ClientCertificate:
    """A certificate and its private key, checked to belong together."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey
    source: str
    clock: Callable[[], float] = time.time

    @property
    def thumbprint(self) -> str:
        """SHA-1, hex upper case: what the Entra admin centre lists under "Certificates & secrets"."""
        return self.certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - the displayed thumbprint

    @property
    def thumbprint_sha256(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex().upper()

    @property
    def not_after(self) -> datetime.datetime:
        return self.certificate.not_valid_after_utc

    @property
    def not_before(self) -> datetime.datetime:
        return self.certificate.not_valid_before_utc

    def days_left(self, now: float | None = None) -> float:
        moment = self.clock() if now is None else now
        return (self.not_after.timestamp() - moment) / 86400

    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    def msal_credential(self) -> dict[str, Any]:
        """MSAL's ``client_credential``: a fresh assertion for every request on the wire."""
        return {"client_assertion": self.assertion}

    def assertion(self, context: Mapping[str, str]) -> str:
        """A client assertion for one token request; MSAL passes ``client_id`` and ``token_endpoint``."""
        token_endpoint, client_id = context.get("token_endpoint"), context.get("client_id")
        if not token_endpoint or not client_id:
            raise ValueError("a client assertion needs the token endpoint and the client id")
        now = int(self.clock())
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        headers = {
            "x5t#S256": _b64url(self.certificate.fingerprint(hashes.SHA256())),
            "x5c": [base64.b64encode(der).decode("ascii")],
        }
        claims = {"aud": token_endpoint, "iss": client_id, "sub": client_id, "jti": str(uuid.uuid4()),
                  "iat": now, "nbf": now, "exp": now + ASSERTION_LIFETIME_SECONDS}
        return jwt.encode(claims, self.private_key, algorithm="PS256", headers=headers)


def load_client_certificate(cert_path: str, key_path: str = "", passphrase: str = "", *,
                            now: float | None = None) -> ClientCertificate:
    """Read, check and pair the certificate and key (a combined PEM when ``key_path`` is empty).

    Raises ``ClientCertificateError`` listing every problem: unreadable files, no certificate or key in them, a
    wrong or missing passphrase, a key that is not RSA of 2048 bits or more, a key of another certificate, and a
    certificate that is expired or not yet valid.
    """
    problems: list[CertificateProblem] = []
    cert_data = _read(cert_path, "auth.client_cert_path", problems)
    key_data = _read(key_path, "auth.client_key_path", problems) if key_path else cert_data
    certificate = _certificate(cert_data, cert_path, problems) if cert_data is not None else None
    key = _private_key(key_data, key_path or cert_path, passphrase, problems) if key_data is not None else None
    if certificate is not None and key is not None:
        if _public_der(certificate.public_key()) != _public_der(key.public_key()):
            problems.append(CertificateProblem(
                "auth.client_key_path", f"the private key in {key_path or cert_path} belongs to another certificate "
                f"than {cert_path}", "give the key that was created with this certificate"))
    if certificate is not None:
        problems.extend(_validity_problems(certificate, cert_path, time.time() if now is None else now))
    if problems or certificate is None or key is None:
        raise ClientCertificateError(problems)
    return ClientCertificate(certificate=certificate, private_key=key, source=cert_path)


def _read(path: str, key: str, problems: list[CertificateProblem]) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        problems.append(CertificateProblem(key, f"{path} cannot be read ({exc.strerror or exc})",
                                           "point it at a PEM file that the portal's user may read"))
        return None


def _certificate(data: bytes, path: str, problems: list[CertificateProblem]) -> x509.Certificate | None:
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        problems.append(CertificateProblem("auth.client_cert_path", f"{path} holds no PEM certificate",
                                           "give the certificate (-----BEGIN CERTIFICATE-----) uploaded to the "
                                           "app registration"))
        return None
    certificate = certificates[0]  # the leaf comes first; any chain after it is not needed for an assertion
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < MIN_RSA_BITS:
        problems.append(CertificateProblem("auth.client_cert_path", f"{path} is not an RSA certificate of "
                                           f"{MIN_RSA_BITS} bits or more", "Entra signs in confidential clients with "
                                           "RSA certificates: create one with an RSA key of 2048 bits or more "
                                           "(docs/entra-setup.md)"))
        return None
    return certificate


def _private_key(data: bytes, path: str, passphrase: str,
                 problems: list[CertificateProblem]) -> rsa.RSAPrivateKey | None:
    if b"PRIVATE KEY-----" not in data:
        problems.append(CertificateProblem("auth.client_key_path", f"{path} holds no PEM private key",
                                           "set PORTAL_CLIENT_KEY_PATH to the private key's file, or give a "
                                           "combined PEM (certificate and key) in PORTAL_CLIENT_CERT_PATH"))
        return None
    try:
        key = serialization.load_pem_private_key(data, password=passphrase.encode() if passphrase else None)
    except TypeError:  # encrypted without a passphrase, or a passphrase for a key that has none
        problems.append(CertificateProblem("auth.client_key_passphrase", f"the private key in {path} is "
                                           f"{'not ' if passphrase else ''}encrypted",
                                           "set PORTAL_CLIENT_KEY_PASSPHRASE to the key's passphrase"
                                           if not passphrase else "unset PORTAL_CLIENT_KEY_PASSPHRASE"))
        return None
    except ValueError:
        problems.append(CertificateProblem("auth.client_key_passphrase" if passphrase else "auth.client_key_path",
                                           f"the private key in {path} cannot be read"
                                           + (" with the passphrase given" if passphrase else ""),
                                           "check PORTAL_CLIENT_KEY_PASSPHRASE" if passphrase
                                           else "give an unencrypted PEM key, or its passphrase"))
        return None
    if not isinstance(key, rsa.RSAPrivateKey):
        problems.append(CertificateProblem("auth.client_key_path", f"the private key in {path} is not an RSA key",
                                           "use the RSA key of the certificate"))
        return None
    return key


def _validity_problems(certificate: x509.Certificate, path: str, now: float) -> list[CertificateProblem]:
    moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
    if certificate.not_valid_after_utc < moment:
        return [CertificateProblem("auth.client_cert_path", f"the certificate in {path} expired on "
                                   f"{certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC",
                                   "create a new certificate, upload it to the app registration, then point "
                                   "PORTAL_CLIENT_CERT_PATH at it (docs/entra-setup.md, certificate rollover)")]
    if certificate.not_valid_before_utc > moment:
        return [CertificateProblem("auth.client_cert_path", f"the certificate in {path} is valid only from "
                                   f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC",
                                   "check this machine's clock, or wait until the certificate is valid")]
    return []


def _public_der(public_key: Any) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
