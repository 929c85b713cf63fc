"""Sealing what the session store must not hold in clear: AES-256-GCM under a key derived from the secret key.

The MSAL token cache (refresh tokens) lives in the server-side session. Whoever can read Redis or the session
files must not be able to use it, and whoever can write there must not be able to swap in a cache of their own:
each value is encrypted and authenticated, bound to a context (the user it belongs to). The key is derived
with HKDF-SHA256 from the portal's secret key, one key per purpose, so the secret key itself never encrypts.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1."
NONCE_BYTES = 12  # NIST SP 800-38D: 96-bit random nonces for AES-GCM


class Sealer:
    """Seals and opens text for one purpose (``"token cache"``) under a key derived from ``secret_key``."""

    def __init__(self, secret_key: str | bytes, *, purpose: str) -> None:
        secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
        if not secret:
            raise ValueError("a Sealer needs a non-empty secret key")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=f"appointee-portal/{purpose}/{VERSION}".encode()).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, *, context: str) -> str:
        """``plaintext`` encrypted and bound to ``context`` (authenticated, not encrypted), as ASCII."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: object, *, context: str) -> str | None:
        """The plaintext, or None for anything not sealed by this key for this ``context`` (fail closed)."""
        if not isinstance(sealed, str) or not sealed.startswith(VERSION):
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed[len(VERSION):].encode("ascii"))
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except (InvalidTag, ValueError, binascii.Error, UnicodeError):
            return None
