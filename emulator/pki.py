"""A local CA and TLS server certificates for the emulator (and for the portal's own HTTPS in tests)."""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import ipaddress
import os
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
DEFAULT_HOSTNAMES = ("127.0.0.1", "localhost", "::1")


def ca_path(state_dir: str | Path) -> Path:
    """Where the CA certificate lives (what clients put in their trust bundle)."""
    return Path(state_dir) / CA_CERT


def ensure_ca(state_dir: str | Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """Load the emulator's CA from ``state_dir``, creating it on first use."""
    state = Path(state_dir)
    state.mkdir(parents=True, exist_ok=True)
    with _locked(state):
        if not (state / CA_CERT).exists():
            _write_ca(state)
        cert = x509.load_pem_x509_certificate((state / CA_CERT).read_bytes())
        key = serialization.load_pem_private_key((state / CA_KEY).read_bytes(), password=None)
    return cert, key


def issue_server_cert(state_dir: str | Path, hostnames=DEFAULT_HOSTNAMES) -> tuple[Path, Path]:
    """A server certificate for ``hostnames`` signed by the emulator's CA; reused if already issued."""
    names = tuple(hostnames)
    ca_cert, ca_key = ensure_ca(state_dir)
    label = hashlib.sha256("|".join(names).encode()).hexdigest()[:12]
    cert_path = Path(state_dir) / f"server-{label}.pem"
    key_path = Path(state_dir) / f"server-{label}-key.pem"
    with _locked(Path(state_dir)):
        if not (cert_path.exists() and key_path.exists()):
            key = ec.generate_private_key(ec.SECP256R1())
            cert = _server_certificate(names, key, ca_cert, ca_key)
            _write_private(key_path, _key_pem(key))
            _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def _write_ca(state: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Appointee Portal dev Entra emulator CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(state / CA_KEY, _key_pem(key))
    _write_atomic(state / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))


def _server_certificate(names, key, ca_cert, ca_key) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        # Browsers refuse server certificates valid for more than 398 days.
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([_general_name(name) for name in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=not cert_sign, key_cert_sign=cert_sign, crl_sign=cert_sign,
        encipher_only=False, decipher_only=False,
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write a private key readable by the owner only."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@contextmanager
def _locked(state: Path):
    """Serialise certificate creation between processes sharing a state dir (portal + emulator start)."""
    with open(state / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
