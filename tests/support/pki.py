"""The portal's own test PKI: a test CA with server certificates (for nginx), and client certificates (for
certificate credentials), made with ``cryptography`` and written to a test's folder.

Kept apart from the emulator's ``emulator/pki.py`` on purpose: the portal's tests share no code with the
emulator's internals, so a flaw in one cannot hide in the other.

    ca = TestCA(tmp_path / "pki")
    cert, key = ca.server_certificate("localhost", "127.0.0.1")
    client = client_certificate(tmp_path / "client", days=90)          # self-signed RSA, as Entra accepts
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = datetime.timedelta(days=1)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_private(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(data)
    return path


class TestCA:
    """A certificate authority for one test run: ``ca.pem`` is what clients trust."""

    __test__ = False  # not a pytest test class

    def __init__(self, folder: Path, name: str = "Appointee Portal test CA") -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.certificate = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(_now() - DAY).not_valid_after(_now() + 30 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.ca_path = self.folder / "ca.pem"
        self.ca_path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def server_certificate(self, *hostnames: str) -> tuple[Path, Path]:
        """A TLS server certificate for ``hostnames`` (DNS names or IP addresses): (cert path, key path)."""
        key = ec.generate_private_key(ec.SECP256R1())
        names = [_general_name(name) for name in hostnames]
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])]))
            .issuer_name(self.certificate.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - DAY).not_valid_after(_now() + 30 * DAY)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        label = hostnames[0].replace(":", "_")
        cert_path = self.folder / f"{label}.pem"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return cert_path, _write_private(self.folder / f"{label}-key.pem", _pem(key))


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


@dataclass(frozen=True)
class ClientCertificateFiles:
    """A client certificate on disk: the certificate, its key, both in one file, and the PEM to upload."""

    cert_path: Path
    key_path: Path
    combined_path: Path
    certificate: x509.Certificate

    @property
    def public_pem(self) -> str:
        """What an admin uploads to the app registration (the public part only)."""
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def thumbprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - Entra's displayed thumbprint


def client_certificate(folder: Path, *, days: float = 365, starts_in_days: float = -1, key_size: int = 2048,
                       passphrase: str | None = None, name: str = "appointee-portal") -> ClientCertificateFiles:
    """A self-signed RSA client certificate valid from ``starts_in_days`` (negative: in the past) for ``days``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = _now() + datetime.timedelta(days=starts_in_days)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    cert_path = folder / f"{name}.pem"
    cert_path.write_bytes(cert_pem)
    key_path = _write_private(folder / f"{name}-key.pem", key_pem)
    combined = _write_private(folder / f"{name}-combined.pem", cert_pem + key_pem)
    return ClientCertificateFiles(cert_path=cert_path, key_path=key_path, combined_path=combined,
                                  certificate=certificate)
