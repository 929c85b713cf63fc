"""RS256 signing keys with kids, a JWKS document and rotation that keeps old keys published."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SIGNING_KEY_FILE = "signing-key.pem"
# Entra keeps a rolled-over key in its JWKS for a while so tokens already issued still validate.
PUBLISHED_KEYS = 3


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE uses."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """One RSA key, its kid and its JWK (with a self-signed x5c like Entra's)."""

    kid: str
    private_key: rsa.RSAPrivateKey
    jwk: dict


def _make_signing_key(private_key: rsa.RSAPrivateKey) -> SigningKey:
    public = private_key.public_key().public_numbers()
    n = b64url(public.n.to_bytes((public.n.bit_length() + 7) // 8, "big"))
    e = b64url(public.e.to_bytes((public.e.bit_length() + 7) // 8, "big"))
    # RFC 7638 thumbprint: a stable kid derived from the key itself.
    canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
    kid = b64url(hashlib.sha256(canonical.encode()).digest())[:27]
    der = _self_signed(private_key).public_bytes(serialization.Encoding.DER)
    jwk = {
        "kty": "RSA", "use": "sig", "kid": kid, "x5t": b64url(hashlib.sha1(der).digest()),
        "n": n, "e": e, "x5c": [base64.b64encode(der).decode("ascii")],
    }
    return SigningKey(kid=kid, private_key=private_key, jwk=jwk)


def _self_signed(private_key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.emulator.local")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(private_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=730))
        .sign(private_key, hashes.SHA256())
    )


def _new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class KeyRing:
    """The current signing key plus recently rotated ones (still published in the JWKS)."""

    def __init__(self, state_dir: str | Path | None = None) -> None:
        self._lock = threading.Lock()
        self._keys = [_make_signing_key(self._load_or_create(state_dir))]

    @staticmethod
    def _load_or_create(state_dir) -> rsa.RSAPrivateKey:
        """Persist the first key so a restarted emulator keeps its kid (portal caches stay valid)."""
        if state_dir is None:
            return _new_private_key()
        path = Path(state_dir) / SIGNING_KEY_FILE
        if path.exists():
            return serialization.load_pem_private_key(path.read_bytes(), password=None)
        key = _new_private_key()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
        )
        path.chmod(0o600)
        return key

    @property
    def current(self) -> SigningKey:
        with self._lock:
            return self._keys[0]

    def rotate(self) -> SigningKey:
        """Sign with a fresh key from now on; older keys stay published until pushed out."""
        fresh = _make_signing_key(_new_private_key())
        with self._lock:
            self._keys = [fresh, *self._keys][:PUBLISHED_KEYS]
        return fresh

    def jwks(self, issuer: str) -> dict:
        """The JWKS document; like Entra, each key names the issuer it signs for."""
        with self._lock:
            return {"keys": [dict(key.jwk, issuer=issuer) for key in self._keys]}

    def sign(self, claims: dict) -> str:
        """An RS256 JWT with the current key's kid."""
        key = self.current
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"})

    def verify(self, token: str, *, audience: str | None, now: float, verify_exp: bool = True) -> dict:
        """Claims of a token this emulator signed; raises jwt.InvalidTokenError otherwise."""
        kid = jwt.get_unverified_header(token).get("kid")
        with self._lock:
            key = next((k for k in self._keys if k.kid == kid), None)
        if key is None:
            raise jwt.InvalidTokenError("unknown kid")
        options = {"verify_aud": audience is not None, "verify_exp": False, "verify_nbf": False,
                   "verify_iat": False}
        claims = jwt.decode(token, key.private_key.public_key(), algorithms=["RS256"], audience=audience,
                            options=options)
        # Expiry against the emulator's own (adjustable) clock, not the wall clock.
        if verify_exp and claims.get("exp", 0) < now:
            raise jwt.ExpiredSignatureError("token expired")
        return claims
