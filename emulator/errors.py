"""Entra-style protocol errors: an OAuth error code plus an AADSTS-numbered description."""

from __future__ import annotations

import datetime
import uuid

from flask import jsonify


class EntraError(Exception):
    """A refusal the emulator reports the way Entra does (``error`` + ``AADSTSnnnn: ...``)."""

    def __init__(self, error: str, aadsts: int, message: str, status: int = 400) -> None:
        super().__init__(f"AADSTS{aadsts}: {message}")
        self.error = error
        self.aadsts = aadsts
        self.message = message
        self.status = status

    @property
    def description(self) -> str:
        return f"AADSTS{self.aadsts}: {self.message}"


def token_error_response(exc: EntraError):
    """The JSON body Entra's token endpoint returns, with trace and correlation ids."""
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    timestamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": exc.error,
        "error_description": f"{exc.description}\r\nTrace ID: {trace_id}\r\nCorrelation ID: "
                             f"{correlation_id}\r\nTimestamp: {timestamp}",
        "error_codes": [exc.aadsts],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={exc.aadsts}",
    }
    response = jsonify(body)
    response.status_code = exc.status
    response.headers["Cache-Control"] = "no-store"
    return response


# Codes used across the emulator, named for what they mean (values are Entra's).
TENANT_NOT_FOUND = 90002
APP_NOT_FOUND = 700016
REDIRECT_MISMATCH = 50011
INVALID_REQUEST = 9002313
MISSING_PARAMETER = 900144
PKCE_REQUIRED = 9002325
UNSUPPORTED_RESPONSE_TYPE = 700054
NOT_MULTI_TENANT = 50194
USER_NOT_IN_TENANT = 50020
USER_NOT_FOUND = 50034
BAD_PASSWORD = 50126
LOCKED = 50053
BAD_MFA_CODE = 50088
MFA_ENROLMENT_REQUIRED = 50079
LOGIN_REQUIRED = 50058
INTERACTION_REQUIRED = 50076
CLIENT_SECRET_MISSING = 7000218
BAD_CLIENT_SECRET = 7000215
CODE_REDEEMED = 54005
CODE_EXPIRED = 70008
BAD_GRANT = 70000
REPLY_MISMATCH = 500112
PKCE_MISMATCH = 501481
UNSUPPORTED_GRANT = 70003
GRANT_REVOKED = 50173
# Client assertions (certificate credentials, emulator/assertions.py)
MALFORMED_JWT = 50027
ASSERTION_WRONG_APP = 700021
ASSERTION_TIME_RANGE = 700024
ASSERTION_SIGNATURE = 700027
NO_TENANT = 50059
DEFAULT_SCOPE_REQUIRED = 1002012
RESOURCE_NOT_FOUND = 500011
