"""Really signed test ID tokens: RSA key pairs made once per test session, a JWKS, a factory with overrides.

Usage::

    factory = TokenFactory()                      # signs with the session's trusted key
    token = factory.mint()                        # a valid ID token for the examiner demo user
    token = factory.mint(tid=CONTOSO_TENANT_ID)   # override any claim by keyword
    token = factory.mint(omit=("oid",))           # drop claims
    token = factory.mint(headers={"alg": "RS512"})
    forged = TokenFactory(key=attacker_key()).mint()   # same kid, wrong key: a forged signature
    jwks = factory.jwks()                         # what the authority's jwks_uri serves

Hand-built tokens for attacks that PyJWT refuses to produce (``alg: none``, HS256 keyed with the public
key PEM) come from ``unsigned_token`` and ``hs256_confusion_token``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# Fixed values from docs/demo-accounts.md.
APPOINTEE_TENANT_ID = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
CONTOSO_TENANT_ID = "b7c4e1f2-9a3d-4e8b-8c5f-1a2b3c4d5e6f"
PORTAL_CLIENT_ID = "0d5e3c1a-6b2f-4a8e-9c7d-5f4e3b2a1c0d"
AMP_CLIENT_ID = "a3b2c1d0-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
EXAMINER_OID = "11111111-1111-4111-8111-111111111111"

# A fake authority shaped like Entra's; `responses` serves its discovery document and JWKS in tests.
AUTHORITY = f"https://login.microsoftonline.com/{APPOINTEE_TENANT_ID}"
DISCOVERY_URL = f"{AUTHORITY}/v2.0/.well-known/openid-configuration"
JWKS_URI = "https://login.microsoftonline.com/common/discovery/v2.0/keys"
ISSUER_TEMPLATE = "https://login.microsoftonline.com/{tenantid}/v2.0"
TENANT_ISSUER = f"{AUTHORITY}/v2.0"  # what Entra's discovery names for a tenant's own authority

TRUSTED_KID = "test-signing-key-1"
ROTATED_KID = "test-signing-key-2"


@functools.cache
def trusted_key() -> rsa.RSAPrivateKey:
    """The authority's signing key; generated once per test session (RSA 2048 is slow to make)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def rotated_key() -> rsa.RSAPrivateKey:
    """A second authority key, published only after a key rotation."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def attacker_key() -> rsa.RSAPrivateKey:
    """A key the authority never published: tokens signed with it are forgeries."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    """The public half of ``key`` as a JWK shaped like Entra's (``kty``, ``use``, ``kid``, ``n``, ``e``)."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"kty": "RSA", "use": "sig", "kid": kid, "n": jwk["n"], "e": jwk["e"], **extra}


def jwks_document(*keys: tuple[rsa.RSAPrivateKey, str]) -> dict[str, Any]:
    """A JWKS holding the public halves of ``(key, kid)`` pairs."""
    return {"keys": [public_jwk(key, kid) for key, kid in keys]}


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    """The public key as PEM: what an alg-confusion attacker uses as an HMAC secret."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def discovery_document(authority: str = AUTHORITY, *, issuer: str | None = None) -> dict[str, Any]:
    """An OpenID Provider metadata document shaped like Entra's: for a tenant's authority the issuer names the
    tenant (``<authority>/v2.0``); for ``organizations``/``common`` it is the ``{tenantid}`` template."""
    if issuer is None:
        tenant = authority.rstrip("/").rsplit("/", 1)[-1]
        issuer = ISSUER_TEMPLATE if tenant in ("organizations", "common") else f"{authority.rstrip('/')}/v2.0"
    return {
        "issuer": issuer,
        "jwks_uri": JWKS_URI,
        "authorization_endpoint": f"{authority}/oauth2/v2.0/authorize",
        "token_endpoint": f"{authority}/oauth2/v2.0/token",
        "end_session_endpoint": f"{authority}/oauth2/v2.0/logout",
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_modes_supported": ["query", "fragment", "form_post"],
    }


def default_claims(now: float, *, tenant_id: str = APPOINTEE_TENANT_ID) -> dict[str, Any]:
    """The claims of a valid Entra v2 ID token for the examiner demo user, issued at ``now``."""
    issued = int(now)
    return {
        "aud": PORTAL_CLIENT_ID,
        "iss": ISSUER_TEMPLATE.replace("{tenantid}", tenant_id),
        "iat": issued,
        "nbf": issued,
        "exp": issued + 3600,
        "name": "Eleri Evans",
        "nonce": "test-nonce",
        "oid": EXAMINER_OID,
        "preferred_username": "examiner@wjec-appointees.co.uk",
        "sid": "00aa11bb-22cc-33dd-44ee-55ff66aa77bb",
        "sub": "AAAAAAAAAAAAAAAAAAAAAExaminerPairwiseSubject",
        "tid": tenant_id,
        "uti": uuid.uuid4().hex,
        "ver": "2.0",
    }


class TokenFactory:
    """Mints RS256 ID tokens signed with a chosen key, starting from valid claims and applying overrides."""

    def __init__(self, *, key: rsa.RSAPrivateKey | None = None, kid: str = TRUSTED_KID) -> None:
        self.key = key if key is not None else trusted_key()
        self.kid = kid

    def claims(
        self, *, now: float | None = None, omit: Iterable[str] = (), **overrides: Any
    ) -> dict[str, Any]:
        """Valid claims issued at ``now`` with ``overrides`` applied and ``omit`` removed."""
        now = time.time() if now is None else now
        tenant_id = overrides.get("tid", APPOINTEE_TENANT_ID)
        claims = default_claims(
            now, tenant_id=tenant_id if isinstance(tenant_id, str) else APPOINTEE_TENANT_ID
        )
        claims.update(overrides)
        for name in omit:
            claims.pop(name, None)
        return claims

    def mint(
        self,
        *,
        now: float | None = None,
        omit: Iterable[str] = (),
        headers: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        """A signed token; ``headers`` adds or replaces JOSE header fields (a ``None`` value removes one)."""
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid, **(headers or {})}
        header = {name: value for name, value in header.items() if value is not None}
        payload = self.claims(now=now, omit=omit, **overrides)
        return sign_rs(payload, header, self.key)

    def jwks(self) -> dict[str, Any]:
        """The JWKS that publishes this factory's key under its kid."""
        return jwks_document((self.key, self.kid))


def sign_rs(payload: Mapping[str, Any], header: Mapping[str, Any], key: rsa.RSAPrivateKey) -> str:
    """Sign with the RSA key per the header's ``alg`` (RS256 unless told), without PyJWT's defaults."""
    payload_json = json.dumps(payload, separators=(",", ":")).encode()
    return sign_raw(header, payload_json, key)


def sign_raw(header: Mapping[str, Any] | bytes, payload: bytes, key: rsa.RSAPrivateKey) -> str:
    """Sign arbitrary header/payload bytes, for well-signed tokens whose content is malformed.

    A ``bytes`` header is used as is; a mapping is JSON-encoded. The RSA hash follows the header's ``alg``
    when it names RS384 or RS512, so "really signed with RS512" tokens can be made.
    """
    alg = header.get("alg", "RS256") if isinstance(header, Mapping) else "RS256"
    signing_alg = alg if alg in ("RS256", "RS384", "RS512") else "RS256"
    header_bytes = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    signing_input = f"{b64url(header_bytes)}.{b64url(payload)}".encode()
    signature = jwt.algorithms.get_default_algorithms()[signing_alg].sign(signing_input, key)
    return f"{signing_input.decode()}.{b64url(signature)}"


def unsigned_token(payload: Mapping[str, Any], *, kid: str = TRUSTED_KID, alg: str = "none") -> str:
    """An ``alg: none`` token with an empty signature (RFC 7519 6.1 unsecured JWT)."""
    header = {"typ": "JWT", "alg": alg, "kid": kid}
    return f"{_signing_input(header, payload).decode()}."


def hs256_confusion_token(payload: Mapping[str, Any], *, public_key: bytes, kid: str = TRUSTED_KID) -> str:
    """HS256 keyed with the RSA public key PEM: the classic algorithm-confusion forgery."""
    header = {"typ": "JWT", "alg": "HS256", "kid": kid}
    signing_input = _signing_input(header, payload)
    signature = hmac.new(public_key, signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{b64url(signature)}"


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE uses."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signing_input(header: Mapping[str, Any], payload: Any) -> bytes:
    """``BASE64URL(header) . BASE64URL(payload)``."""
    encoded_header = b64url(json.dumps(header, separators=(",", ":")).encode())
    encoded_payload = b64url(json.dumps(payload, separators=(",", ":")).encode())
    return f"{encoded_header}.{encoded_payload}".encode()
