"""Bearer tokens for the API (RFC 6750): taken from the Authorization header only, validated, or refused.

A refusal is JSON with a ``WWW-Authenticate: Bearer`` challenge: 401 without a token (no error code, 3.1) or
with an invalid one (``invalid_token``), 403 when the application lacks the app role (``insufficient_scope``),
400 for a token sent another way (``invalid_request``). Each is logged with its named reason and the caller.
"""

from __future__ import annotations

import logging

from flask import current_app, jsonify, request

from auth.access_tokens import AppCaller, MissingAppRole, RefusedAccessToken, validate_app_token
from auth.errors import AuthError
from portal_app.signin.services import identity_services

log = logging.getLogger(__name__)
REALM = "appointee-portal"


class BearerRefused(AuthError):
    """No token, or a token sent where tokens are not accepted (the query string, a form body)."""

    def __init__(self, reason: str, *, error: str | None, status: int, description: str) -> None:
        super().__init__(reason)
        self.error = error or ""
        self.status_code = status
        self.description = description
        self.check = "request"


def bearer_token() -> str:
    """The access token of the Authorization header; BearerRefused when there is none or it came otherwise."""
    if "access_token" in request.args or "access_token" in request.form:
        raise BearerRefused("access token in the URL or body", error="invalid_request", status=400,
                            description="Send the access token in the Authorization header only.")
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BearerRefused("no bearer token", error=None, status=401,
                            description="This API needs an access token: Authorization: Bearer <token>.")
    return token.strip()


def authenticated_caller() -> AppCaller:
    """The application calling, after every check of ``auth.access_tokens``; AuthError otherwise."""
    settings = current_app.extensions["portal.settings"]
    services = identity_services()
    audiences = [settings.client_id, *([settings.application_id_uri] if settings.application_id_uri else [])]
    return validate_app_token(bearer_token(), jwks=services.jwks(), issuer_template=services.metadata()["issuer"],
                              audiences=audiences, allowed_tenants=settings.allowed_tenants,
                              required_role=settings.marks_app_role, leeway=settings.clock_skew_seconds)


_DESCRIPTIONS = {
    "expired": "The access token has expired.",
    "audience": "The access token is not for this API.",
    "tenant": "The access token comes from a tenant this API does not accept.",
    "app_only": "This API accepts application tokens only (client credentials), not tokens of a user.",
    "version": "This API accepts Entra ID v2.0 access tokens only.",
}


def refusal(exc: AuthError):
    """The JSON refusal with its RFC 6750 challenge; the reason is logged, never sent."""
    check = getattr(exc, "check", exc.error)
    log.warning("API request refused (%s): %s", check, exc.reason, extra={
        "event": "api_refused", "status": exc.status_code, "reason": check, "path": request.path})
    if isinstance(exc, RefusedAccessToken):
        description = _DESCRIPTIONS.get(exc.check, "The access token was refused.")
    elif isinstance(exc, MissingAppRole):
        description = f"The calling application lacks the app role {exc.required_role}."
    else:
        description = str(exc.description)
    challenge = f'Bearer realm="{REALM}"'
    body = {"error": exc.error or "unauthorized", "error_description": description}
    if exc.error and exc.status_code in (400, 401, 403):
        challenge += f', error="{exc.error}", error_description="{description}"'
    response = jsonify(body)
    response.status_code = exc.status_code
    if exc.status_code in (400, 401, 403):
        response.headers["WWW-Authenticate"] = challenge
    if exc.status_code == 503:
        response.headers["Retry-After"] = "10"
    response.headers["Cache-Control"] = "no-store"
    return response
