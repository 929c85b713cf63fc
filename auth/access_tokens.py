"""App-only access tokens for the portal's APIs (the marks API): validated by the portal itself.

The board's results system signs in as itself with the client credentials flow and calls the portal with the
access token Entra issued for the portal's app registration. ``validate_app_token`` checks, in the style of
``auth.tokens``: one algorithm (RS256) and a key from the authority's JWKS (the same ``JwksCache`` as sign-in),
a v2.0 token of an allowed tenant from that tenant's issuer, an audience that is this portal (its client id,
or its application ID URI when configured), the times, that no user is behind it, and the app role the API
requires. Every refusal is a ``RefusedAccessToken`` whose ``check`` names the failed check for the log;
a token that is valid but lacks the role is ``MissingAppRole`` (RFC 6750 ``insufficient_scope``, 403).
"""

from __future__ import annotations

import hmac
import math
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import jwt

from auth.errors import AccessDenied, InvalidToken
from auth.jwks import JwksCache, clipped_repr
from auth.text import N_
from auth.tokens import ALLOWED_ALG, MAX_TOKEN_CHARS, SIGNATURE_ONLY, TENANT_PLACEHOLDER

__all__ = ["AppCaller", "JwksCache", "MissingAppRole", "RefusedAccessToken", "validate_app_token"]


class RefusedAccessToken(InvalidToken):
    """The access token failed a check; ``check`` is its short name (signature, audience, tenant, expired...)."""

    description = N_("The access token was refused.")

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(reason)
        self.check = check


class MissingAppRole(AccessDenied):
    """A valid app-only token without the app role the API requires (RFC 6750 3.1: insufficient_scope)."""

    error = "insufficient_scope"
    description = N_("The calling application has not been granted the app role this API requires.")

    def __init__(self, reason: str, *, required_role: str) -> None:
        super().__init__(reason)
        self.check = "role"
        self.required_role = required_role


@dataclass(frozen=True)
class AppCaller:
    """The application behind a valid token: its tenant, client id (``azp``) and service principal (``oid``)."""

    tenant_id: str
    client_id: str
    object_id: str
    roles: tuple[str, ...]


def validate_app_token(
    token: str,
    *,
    jwks: JwksCache,
    issuer_template: str,
    audiences: Collection[str],
    allowed_tenants: Collection[str],
    required_role: str,
    now: float | None = None,
    leeway: int = 300,
) -> AppCaller:
    """The caller of ``token`` if it passes every check; RefusedAccessToken or MissingAppRole otherwise."""
    if isinstance(allowed_tenants, str) or isinstance(audiences, str):
        raise TypeError("allowed_tenants and audiences are collections, not strings")
    claims = _signed_claims(token, jwks)
    if claims.get("ver") != "2.0":
        raise RefusedAccessToken("version", f"access token ver {clipped_repr(claims.get('ver'))} is not 2.0: set "
                                            "accessTokenAcceptedVersion to 2 in the portal's app manifest")
    for name in ("tid", "oid", "sub", "azp"):
        if not isinstance(claims.get(name), str) or not claims[name].strip():
            raise RefusedAccessToken("claims", f"access token claim {name!r} missing or not a non-empty string")
    _check_tenant(claims, allowed_tenants)
    _check_issuer(claims, issuer_template)
    _check_audience(claims, audiences)
    _check_times(claims, now=time.time() if now is None else now, leeway=leeway)
    _check_app_only(claims)
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise RefusedAccessToken("roles", "access token roles claim is not a list of strings")
    if required_role not in roles:
        raise MissingAppRole(f"access token of client {clipped_repr(claims['azp'])} lacks app role "
                             f"{required_role!r} (roles {clipped_repr(roles)})", required_role=required_role)
    return AppCaller(claims["tid"], claims["azp"], claims["oid"], tuple(roles))


def _signed_claims(token: str, jwks: JwksCache) -> dict[str, Any]:
    """The payload of a compact RS256 JWS whose signature verifies with the authority's key ``kid``."""
    if not isinstance(token, str) or not token:
        raise RefusedAccessToken("format", "access token missing or not a string")
    if len(token) > MAX_TOKEN_CHARS:
        raise RefusedAccessToken("format", f"access token longer than {MAX_TOKEN_CHARS} characters")
    if token.count(".") != 2:
        raise RefusedAccessToken("format", "access token is not a compact JWS (three dot-separated segments)")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise RefusedAccessToken("format", f"access token header malformed: {exc}") from exc
    if header.get("alg") != ALLOWED_ALG:
        raise RefusedAccessToken("algorithm", f"access token alg {clipped_repr(header.get('alg'))} refused; only "
                                              f"{ALLOWED_ALG} is accepted")
    if "crit" in header:
        raise RefusedAccessToken("header", "access token has critical header extensions the portal does not know")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise RefusedAccessToken("header", "access token header has no kid")
    if "nonce" in header:
        # Graph's tokens carry a header nonce and are not meant to be validated by anyone but Graph.
        raise RefusedAccessToken("audience", "access token has a header nonce: it is a token for Microsoft Graph")
    try:
        key = jwks.key_for(kid)
    except InvalidToken as exc:
        raise RefusedAccessToken("signature", f"access token {exc.reason}") from exc
    try:
        claims = jwt.decode(token, key, algorithms=[ALLOWED_ALG], options=SIGNATURE_ONLY)
    except jwt.InvalidSignatureError as exc:
        raise RefusedAccessToken("signature", f"access token signature does not verify with key "
                                              f"{clipped_repr(kid)}") from exc
    except jwt.PyJWTError as exc:
        raise RefusedAccessToken("format", f"access token malformed: {exc}") from exc
    if not isinstance(claims, dict):
        raise RefusedAccessToken("format", "access token payload is not a JSON object")
    return claims


def _check_tenant(claims: dict[str, Any], allowed_tenants: Collection[str]) -> None:
    if claims["tid"].lower() not in {tenant.lower() for tenant in allowed_tenants}:
        raise RefusedAccessToken("tenant", f"access token tenant {clipped_repr(claims['tid'])} is not allowed")


def _check_issuer(claims: dict[str, Any], issuer_template: str) -> None:
    """``iss`` must be the issuer of the token's own tenant (the discovery issuer with its tenant filled in)."""
    tid = claims["tid"]
    if TENANT_PLACEHOLDER in issuer_template:
        expected = issuer_template.replace(TENANT_PLACEHOLDER, tid)
    elif tid.lower() in (segment.lower() for segment in issuer_template.split("/")):
        expected = issuer_template
    else:
        raise RefusedAccessToken("issuer", f"access token tid {clipped_repr(tid)} is not the tenant of issuer "
                                           f"{issuer_template!r}")
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not hmac.compare_digest(issuer.encode(), expected.encode()):
        raise RefusedAccessToken("issuer", f"access token iss {clipped_repr(issuer)} is not {expected!r}")


def _check_audience(claims: dict[str, Any], audiences: Collection[str]) -> None:
    """Entra puts one audience in an access token: the portal's client id (v2.0) or application ID URI."""
    audience = claims.get("aud")
    if not isinstance(audience, str) or audience not in audiences:
        raise RefusedAccessToken("audience", f"access token aud {clipped_repr(audience)} is not this portal")


def _check_times(claims: dict[str, Any], *, now: float, leeway: int) -> None:
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise RefusedAccessToken("times", f"access token claim {name!r} missing or not a finite number")
    if now > claims["exp"] + leeway:
        raise RefusedAccessToken("expired", f"access token expired at {claims['exp']} (now {int(now)})")
    if claims["nbf"] > now + leeway or claims["iat"] > now + leeway:
        raise RefusedAccessToken("not_yet_valid", f"access token not valid before {claims['nbf']} (now {int(now)})")


def _check_app_only(claims: dict[str, Any]) -> None:
    """A token with delegated scopes (``scp``), or ``idtyp`` user, acts for a person: the marks API is app-only."""
    if "scp" in claims or claims.get("idtyp", "app") != "app" or claims["oid"] != claims["sub"]:
        raise RefusedAccessToken("app_only", "access token acts for a user (scp, idtyp or sub), not an application")
