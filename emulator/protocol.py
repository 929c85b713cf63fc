"""Entra v2.0 metadata and token endpoints: discovery, JWKS and /oauth2/v2.0/token."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote

from flask import Blueprint, jsonify, request

from . import errors as E
from .assertions import ASSERTION_TYPE, RegisteredCertificate, verify_client_assertion
from .directory import MULTI_TENANT_SEGMENTS, AppRegistration
from .errors import EntraError, token_error_response
from .keys import b64url
from .state import emulator
from .store import CODE_TTL, REFRESH_TTL, CodeGrant, RefreshGrant
from .tokens import ACCESS_TOKEN_LIFETIME, GRAPH_APP_ID

GRAPH_RESOURCE = "https://graph.microsoft.com"

bp = Blueprint("protocol", __name__)


def resolve_segment(segment: str) -> str | None:
    """The tenant id an authority segment names; None for organizations/common; EntraError if unknown."""
    if segment.lower() in MULTI_TENANT_SEGMENTS:
        return None
    tenant = emulator().directory.resolve_tenant(segment)
    if tenant is None:
        raise EntraError("invalid_tenant", E.TENANT_NOT_FOUND,
                         f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID "
                         "and are signing into the correct cloud.")
    return tenant.id


@bp.get("/<tenant>/v2.0/.well-known/openid-configuration")
@bp.get("/<tenant>/.well-known/openid-configuration")
def discovery(tenant: str):
    """OpenID Provider metadata in the shape Entra's v2.0 endpoint publishes."""
    try:
        tenant_id = resolve_segment(tenant)
    except EntraError as exc:
        return token_error_response(exc)
    base = emulator().base_url
    segment = tenant_id or tenant.lower()
    # For organizations/common Entra publishes the issuer with a literal {tenantid} placeholder.
    issuer = f"{base}/{tenant_id or '{tenantid}'}/v2.0"
    host = base.split("://", 1)[1]
    return jsonify({
        "token_endpoint": f"{base}/{segment}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{segment}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{base}/{segment}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{segment}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{segment}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
                             "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
                             "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": f"{base}/{segment}/kerberos",
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": host,
        "rbac_url": "https://pas.windows.net",
    })


@bp.get("/<tenant>/discovery/v2.0/keys")
@bp.get("/<tenant>/discovery/keys")
def jwks(tenant: str):
    """The signing keys, current first; rotated keys stay listed for a while."""
    try:
        tenant_id = resolve_segment(tenant)
    except EntraError as exc:
        return token_error_response(exc)
    return jsonify(emulator().keys.jwks(f"{emulator().base_url}/{tenant_id or '{tenantid}'}/v2.0"))


@bp.post("/<tenant>/oauth2/v2.0/token")
def token(tenant: str):
    """The token endpoint: authorization_code, refresh_token and client_credentials grants (confidential clients)."""
    try:
        tenant_id = resolve_segment(tenant)
        app = _authenticate_client()
        grant_type = request.form.get("grant_type", "")
        if grant_type == "authorization_code":
            body = _redeem_code(app, tenant_id)
        elif grant_type == "refresh_token":
            body = _redeem_refresh_token(app, tenant_id)
        elif grant_type == "client_credentials":
            body = _client_credentials(app, tenant_id)
        else:
            raise EntraError("unsupported_grant_type", E.UNSUPPORTED_GRANT,
                             f"The provided value for the input parameter 'grant_type' is not valid: "
                             f"'{grant_type[:40]}'.")
    except EntraError as exc:
        return token_error_response(exc)
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _authenticate_client() -> AppRegistration:
    """The app named by client_id, after checking its secret (form body, as MSAL sends it, or Basic)."""
    client_id = request.form.get("client_id", "")
    secret = request.form.get("client_secret")
    basic = _basic_credentials()
    if basic:
        if client_id and client_id != basic[0]:
            raise EntraError("invalid_client", E.BAD_CLIENT_SECRET, "client_id in the body and the "
                             "Authorization header differ.")
        client_id, secret = basic
    if not client_id:
        raise EntraError("invalid_request", E.MISSING_PARAMETER,
                         "The input parameter 'client_id' is required.")
    app = emulator().directory.app(client_id)
    if app is None:
        raise EntraError("unauthorized_client", E.APP_NOT_FOUND,
                         f"Application with identifier '{client_id[:64]}' was not found in the directory.")
    if request.form.get("client_assertion") or request.form.get("client_assertion_type"):
        _verify_client_assertion(app)
        return app
    if not secret:
        raise EntraError("invalid_client", E.CLIENT_SECRET_MISSING, "The request body must contain the "
                         "following parameter: 'client_assertion' or 'client_secret'.")
    if not hmac.compare_digest(secret.encode(), app.secret.encode()):
        raise EntraError("invalid_client", E.BAD_CLIENT_SECRET, "Invalid client secret provided. Ensure the "
                         f"secret being sent in the request is the client secret value for app '{client_id}'.")
    return app


def _verify_client_assertion(app: AppRegistration) -> None:
    """A certificate credential (private_key_jwt): the checks of emulator/assertions.py, against this app's
    uploaded certificates and the token endpoint that was called."""
    if request.form.get("client_assertion_type") != ASSERTION_TYPE:
        raise EntraError("invalid_request", E.MISSING_PARAMETER, "The request body must contain the following "
                         f"parameter: 'client_assertion_type' with the value '{ASSERTION_TYPE}'.")
    state = emulator()
    tenant = request.view_args["tenant"]
    # aud must name this token endpoint: as called, or with the tenant's id in place of a domain.
    audiences = {f"{state.base_url}/{segment}/oauth2/v2.0/token"
                 for segment in (tenant, resolve_segment(tenant) or tenant.lower())}
    verify_client_assertion(_required("client_assertion"), client_id=app.client_id,
                            certificates=tuple(RegisteredCertificate.from_pem(pem) for pem in app.certificates),
                            audiences=audiences, now=state.clock.now(), ledger=state.store.assertion_jtis)


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        client_id, secret = decoded.split(":", 1)
    except ValueError as exc:
        raise EntraError("invalid_client", E.BAD_CLIENT_SECRET, "Malformed Basic credentials.") from exc
    # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote(client_id), unquote(secret)


def _required(name: str) -> str:
    value = request.form.get(name, "")
    if not value:
        raise EntraError("invalid_request", E.MISSING_PARAMETER,
                         f"The request body must contain the following parameter: '{name}'.")
    return value


def _requested_scopes(fallback: tuple[str, ...]) -> tuple[str, ...]:
    scopes = tuple(request.form.get("scope", "").split())
    return scopes or fallback


def _redeem_code(app: AppRegistration, tenant_id: str | None) -> dict:
    state = emulator()
    code = _required("code")
    with state.store.lock:
        grant = state.store.codes.get(code)
        if grant is None or grant.client_id != app.client_id:
            raise EntraError("invalid_grant", E.INVALID_REQUEST, "Invalid request. Request is malformed or "
                             "invalid. The provided value for the 'code' parameter is not valid.")
        already, grant.redeemed = grant.redeemed, True
    if already:
        # RFC 6749 4.1.2: a replayed code revokes what was issued from it.
        state.store.revoke_refresh_tokens(grant.refresh_tokens)
        raise EntraError("invalid_grant", E.CODE_REDEEMED, "OAuth2 Authorization code was already redeemed, "
                         "please retry with a new valid code or use an existing refresh token.")
    _check_code(grant, tenant_id)
    user = state.directory.user(grant.email)
    scopes = tuple(dict.fromkeys(_requested_scopes(grant.scopes) + tuple(
        s for s in grant.scopes if s in ("openid", "profile", "email", "offline_access"))))
    refresh = None
    if "offline_access" in scopes:
        refresh = state.store.add_refresh_token(RefreshGrant(
            client_id=app.client_id, email=grant.email, tenant_id=grant.tenant_id, scopes=scopes,
            sid=grant.sid, acrs=grant.acrs, issued=state.clock.now()))
        grant.refresh_tokens.append(refresh)
    return state.tokens.token_response(user=user, app=app, scopes=scopes, nonce=grant.nonce, sid=grant.sid,
                                       acrs=grant.acrs, refresh_token=refresh)


def _check_code(grant: CodeGrant, tenant_id: str | None) -> None:
    """Expiry, tenant, redirect URI and PKCE checks on a code being redeemed (the code is burnt already)."""
    if emulator().clock.now() - grant.issued > CODE_TTL:
        raise EntraError("invalid_grant", E.CODE_EXPIRED, "The provided authorization code or refresh token "
                         "has expired due to inactivity. Send a new interactive authorization request.")
    if tenant_id is not None and tenant_id != grant.tenant_id:
        raise EntraError("invalid_grant", E.BAD_GRANT, "The provided authorization code was issued for a "
                         "different tenant.")
    redirect_uri = request.form.get("redirect_uri", "")
    # RFC 6749 4.1.3: identical to the value in the authorize request.
    if redirect_uri != grant.redirect_uri:
        raise EntraError("invalid_grant", E.REPLY_MISMATCH, f"The reply address '{redirect_uri[:200]}' does "
                         "not match the reply address provided when requesting Authorization code.")
    verifier = _required("code_verifier")
    challenge = b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
    if not hmac.compare_digest(challenge, grant.code_challenge):
        raise EntraError("invalid_grant", E.PKCE_MISMATCH, "The code_verifier does not match the "
                         "code_challenge supplied in the authorization request.")


def _redeem_refresh_token(app: AppRegistration, tenant_id: str | None) -> dict:
    state = emulator()
    # Single use: taking it out rotates it, whatever happens next (fail closed).
    grant = state.store.take_refresh_token(_required("refresh_token"))
    if grant is None or grant.client_id != app.client_id:
        raise EntraError("invalid_grant", E.BAD_GRANT, "The provided value for the 'refresh_token' is not "
                         "valid: it is unknown, already used, revoked, or issued to another client.")
    if state.clock.now() - grant.issued > REFRESH_TTL:
        raise EntraError("invalid_grant", E.CODE_EXPIRED, "The refresh token has expired due to inactivity.")
    if tenant_id is not None and tenant_id != grant.tenant_id:
        raise EntraError("invalid_grant", E.BAD_GRANT, "The refresh token was issued for a different tenant.")
    user = state.directory.user(grant.email)
    scopes = tuple(dict.fromkeys(_requested_scopes(grant.scopes) + ("openid", "offline_access")))
    scopes = tuple(s for s in scopes if s != "openid" or "openid" in grant.scopes)
    refresh = state.store.add_refresh_token(RefreshGrant(
        client_id=app.client_id, email=grant.email, tenant_id=grant.tenant_id, scopes=scopes, sid=grant.sid,
        acrs=grant.acrs, issued=state.clock.now()))
    return state.tokens.token_response(user=user, app=app, scopes=scopes, nonce=None, sid=grant.sid,
                                       acrs=grant.acrs, refresh_token=refresh)


def _client_credentials(app: AppRegistration, tenant_id: str | None) -> dict:
    """An app-only access token for one resource's ``/.default`` scope, with the app roles granted to ``app``."""
    state = emulator()
    if tenant_id is None:
        raise EntraError("invalid_request", E.NO_TENANT, "No tenant-identifying information found in either the "
                         "request or implied by any provided credentials. Use a tenant-specific endpoint.")
    if not app.usable_in(tenant_id):
        raise EntraError("unauthorized_client", E.APP_NOT_FOUND, f"Application with identifier "
                         f"'{app.client_id}' was not found in the directory '{tenant_id}'.")
    scopes = request.form.get("scope", "").split()
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        raise EntraError("invalid_scope", E.DEFAULT_SCOPE_REQUIRED, f"The provided value for scope "
                         f"{' '.join(scopes)[:120]!r} is not valid. Client credential flows must have a scope value "
                         "with /.default suffixed to the resource identifier (application ID URI).")
    identifier = scopes[0].removesuffix("/.default")
    if identifier.rstrip("/") in (GRAPH_RESOURCE, GRAPH_APP_ID):
        audience, roles = GRAPH_APP_ID, ()
    else:
        resource = state.directory.resource(identifier)
        if resource is None or not resource.usable_in(tenant_id):
            raise EntraError("invalid_resource", E.RESOURCE_NOT_FOUND, f"The resource principal named "
                             f"{identifier[:120]} was not found in the tenant named {tenant_id}.")
        # Entra v2.0 access tokens name the resource by its client id, whichever identifier was asked for.
        audience, roles = resource.client_id, app.app_permissions.get(resource.client_id, ())
    token = state.tokens.app_access_token(app=app, audience=audience, tenant_id=tenant_id, roles=roles)
    return {"token_type": "Bearer", "expires_in": ACCESS_TOKEN_LIFETIME, "ext_expires_in": ACCESS_TOKEN_LIFETIME,
            "access_token": token}
