"""ID token validation: the portal's own job, because MSAL checks only state and nonce.

``validate_id_token`` verifies the RS256 signature against the authority's JWKS and every claim the portal
relies on; every refusal is an ``InvalidToken`` whose ``reason`` names the failed check for the log.
``identity_from_claims`` turns validated claims into the ``Identity`` the rest of the portal uses.
"""

from __future__ import annotations

import hmac
import math
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import jwt
from jwt.types import Options

from auth.errors import InvalidToken
from auth.jwks import JwksCache, clipped_repr
from auth.text import N_

# JwksCache is re-exported: callers build it next to validate_id_token.
__all__ = ["Identity", "JwksCache", "identity_from_claims", "validate_id_token"]

# RFC 8725 3.1: one algorithm, fixed by us, never taken from the token. Entra signs ID tokens with RS256.
ALLOWED_ALG = "RS256"
TENANT_PLACEHOLDER = "{tenantid}"
# Entra ID tokens are a few KB even with many claims; refuse absurd input before parsing it.
MAX_TOKEN_CHARS = 64 * 1024
STEP_UP_DESCRIPTION = N_(
    "This page needs an extra verification step. Please sign in again and complete the additional check."
)

# Claim checks happen after the signature; PyJWT's own claim checks are off so each refusal has our reason.
SIGNATURE_ONLY: Options = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
    "enforce_minimum_key_length": True,
}


@dataclass(frozen=True)
class Identity:
    """Who signed in. The user key is ``(tenant_id, object_id)``; ``username`` is for display only."""

    tenant_id: str
    object_id: str
    subject: str
    display_name: str
    username: str | None
    session_id: str | None

    @property
    def key(self) -> tuple[str, str]:
        """The stable user key: Entra's ``oid`` is unique only within its tenant."""
        return (self.tenant_id, self.object_id)

    @property
    def username_domain(self) -> str | None:
        """The lower-cased domain of ``username``, for the appointee-domain check (after the tenant check)."""
        if not self.username or "@" not in self.username:
            return None
        return self.username.rsplit("@", 1)[1].lower()


def validate_id_token(
    id_token: str,
    *,
    jwks: JwksCache,
    issuer_template: str,
    client_id: str,
    allowed_tenants: Collection[str],
    now: float | None = None,
    leeway: int = 300,
    nonce: str | None = None,
    required_acrs: str | None = None,
    issuer_names_tenant: bool = True,
) -> dict[str, Any]:
    """The claims of ``id_token`` if its signature and every claim check pass; else ``InvalidToken``."""
    if isinstance(allowed_tenants, str):
        # A bare string is a Collection too, and `in` would then match substrings.
        raise TypeError("allowed_tenants must be a collection of tenant ids, not a string")
    claims = verified_claims(id_token, jwks)
    check_subject_claims(claims)
    check_tenant(claims, allowed_tenants)
    check_issuer(claims, issuer_template, names_tenant=issuer_names_tenant)
    check_audience(claims, client_id)
    check_times(claims, now=time.time() if now is None else now, leeway=leeway)
    if nonce is not None:
        check_nonce(claims, nonce)
    if required_acrs is not None:
        check_acrs(claims, required_acrs)
    return claims


def verified_claims(id_token: str, jwks: JwksCache) -> dict[str, Any]:
    """The payload of a well-formed RS256 token whose signature verifies with the authority's key."""
    if not isinstance(id_token, str) or not id_token:
        raise InvalidToken("id_token missing or not a string")
    if len(id_token) > MAX_TOKEN_CHARS:
        raise InvalidToken(f"id_token longer than {MAX_TOKEN_CHARS} characters")
    if id_token.count(".") != 2:
        raise InvalidToken("id_token is not a compact JWS (three dot-separated segments)")
    header = _unverified_header(id_token)
    if header.get("alg") != ALLOWED_ALG:
        raise InvalidToken(f"id_token alg {clipped_repr(header.get('alg'))} refused; only {ALLOWED_ALG} is accepted")
    if "crit" in header:
        raise InvalidToken("id_token has critical header extensions the portal does not understand")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("id_token header has no kid")
    # jwk, jku, x5u and x5c headers are never read: keys come only from the authority's jwks_uri.
    key = jwks.key_for(kid)
    try:
        claims = jwt.decode(id_token, key, algorithms=[ALLOWED_ALG], options=SIGNATURE_ONLY)
    except jwt.InvalidSignatureError as exc:
        raise InvalidToken(f"id_token signature does not verify with key {clipped_repr(kid)}") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"id_token malformed: {exc}") from exc
    if not isinstance(claims, dict):
        raise InvalidToken("id_token payload is not a JSON object")
    return claims


def _unverified_header(id_token: str) -> dict[str, Any]:
    """The JOSE header, read only to pick the key; malformed input is ``InvalidToken``."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"id_token header malformed: {exc}") from exc
    if not isinstance(header, dict):
        raise InvalidToken("id_token header is not a JSON object")
    return header


def check_subject_claims(claims: dict[str, Any]) -> None:
    """``tid``, ``oid`` and ``sub`` identify the user: each must be a non-empty string."""
    for name in ("tid", "oid", "sub"):
        if not _non_empty_string(claims.get(name)):
            raise InvalidToken(f"id_token claim {name!r} missing or not a non-empty string")


def check_tenant(claims: dict[str, Any], allowed_tenants: Collection[str]) -> None:
    """The token's tenant must be allowed; this also refuses personal Microsoft accounts.

    Runs before anything reads ``preferred_username``: another tenant can put any address there ("nOAuth").
    """
    allowed = {tenant.lower() for tenant in allowed_tenants}
    if claims["tid"].lower() not in allowed:
        raise InvalidToken(f"id_token tenant {clipped_repr(claims['tid'])} is not in the allowed tenants")


def check_issuer(claims: dict[str, Any], issuer_template: str, *, names_tenant: bool = True) -> None:
    """``iss`` must be the discovery issuer for the token's own tenant.

    ``names_tenant`` is False for a provider that is not Entra: its issuer is one tenant's without naming it in
    the path (``https://idp.example/oidc``), so ``iss`` must be exactly that issuer and the tenant allow-list
    alone decides ``tid``.
    """
    tid = claims["tid"]
    if TENANT_PLACEHOLDER in issuer_template:
        expected = issuer_template.replace(TENANT_PLACEHOLDER, tid)
    elif not names_tenant:
        expected = issuer_template
    else:
        # A single-tenant issuer names its tenant in a path segment; it must be the token's tid.
        segments = [segment.lower() for segment in urlsplit(issuer_template).path.split("/")]
        if tid.lower() not in segments:
            raise InvalidToken(f"id_token tid {clipped_repr(tid)} is not the tenant of issuer {issuer_template!r}")
        expected = issuer_template
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not hmac.compare_digest(issuer.encode(), expected.encode()):
        raise InvalidToken(f"id_token iss {clipped_repr(issuer)} is not the expected issuer {expected!r}")


def check_audience(claims: dict[str, Any], client_id: str) -> None:
    """``aud`` must be our client id; with several audiences, ``azp`` must name us as the requester."""
    audience = claims.get("aud")
    if isinstance(audience, str):
        if audience != client_id:
            raise InvalidToken(f"id_token aud {clipped_repr(audience)} is not this portal's client id")
        return
    if not isinstance(audience, list) or not audience or not all(isinstance(a, str) for a in audience):
        raise InvalidToken("id_token aud missing or not a string or list of strings")
    if client_id not in audience:
        raise InvalidToken(f"id_token aud {clipped_repr(audience)} does not include this portal's client id")
    # OIDC Core 3.1.3.7 steps 4-5: a multi-audience token needs azp, and it must be us.
    if claims.get("azp") != client_id:
        raise InvalidToken(
            f"id_token has several audiences and azp {clipped_repr(claims.get('azp'))} is not this portal"
        )


def check_times(claims: dict[str, Any], *, now: float, leeway: int) -> None:
    """``exp`` and ``iat`` must be numbers, and ``nbf`` when present, with at most ``leeway`` seconds of skew.

    OpenID Connect Core 2 requires ``exp`` and ``iat``; ``nbf`` is optional (RFC 7519 4.1.5), so a token
    without it is good, and one with it is checked.
    """
    for name in ("exp", "iat"):
        if not _is_number(claims.get(name)):
            raise InvalidToken(f"id_token claim {name!r} missing or not a finite number")
    if "nbf" in claims and not _is_number(claims["nbf"]):
        raise InvalidToken("id_token claim 'nbf' is not a finite number")
    if now > claims["exp"] + leeway:
        raise InvalidToken(f"id_token expired at {claims['exp']} (now {int(now)}, leeway {leeway}s)")
    if "nbf" in claims and claims["nbf"] > now + leeway:
        raise InvalidToken(f"id_token not valid before {claims['nbf']} (now {int(now)}, leeway {leeway}s)")
    if claims["iat"] > now + leeway:
        raise InvalidToken(f"id_token issued in the future at {claims['iat']} (now {int(now)}, leeway {leeway}s)")


def check_nonce(claims: dict[str, Any], expected: str) -> None:
    """The nonce must be the one this sign-in sent (MSAL checks too; this is defence in depth)."""
    nonce = claims.get("nonce")
    if not expected or not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode(), expected.encode()):
        raise InvalidToken("id_token nonce does not match the sign-in request")


def check_acrs(claims: dict[str, Any], required: str) -> None:
    """The token must carry the required authentication context (Entra's ``acrs`` claim), else step up."""
    acrs = claims.get("acrs")
    if not isinstance(acrs, list) or required not in acrs:
        raise InvalidToken(
            f"id_token lacks authentication context {required!r} (acrs {clipped_repr(acrs)})",
            description=STEP_UP_DESCRIPTION,
            # RFC 9470 3: the error code for a step-up authentication challenge.
            error="insufficient_user_authentication",
        )


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    """The ``Identity`` in validated claims; ``email`` is never read (it is not verified by Entra)."""
    check_subject_claims(claims)
    username = claims.get("preferred_username")
    username = username if _non_empty_string(username) else None
    name = claims.get("name")
    session_id = claims.get("sid")
    return Identity(
        tenant_id=claims["tid"],
        object_id=claims["oid"],
        subject=claims["sub"],
        display_name=name if _non_empty_string(name) else (username or ""),
        username=username,
        session_id=session_id if _non_empty_string(session_id) else None,
    )


def _non_empty_string(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _is_number(value: Any) -> bool:
    # bool is an int subclass, and json.loads accepts NaN and Infinity: an `exp` of NaN would never expire.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
