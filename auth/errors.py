"""A flat hierarchy of sign-in errors, each carrying an OAuth-style ``error`` code.

One error handler of the web layer renders every ``AuthError`` as a friendly page with a reference id and logs
the ``reason``; the ``description`` is what the user may read (English, marked with ``N_`` and translated where
it is shown), the ``reason`` is for operations only.
"""

from __future__ import annotations

from auth.text import N_

# Error codes an authority may send (RFC 6749 4.1.2.1 and 5.2, OpenID Connect Core 3.1.2.6, RFC 9470 for
# step-up), and the portal's own. A code outside this list is reported as "other": visitors choose the error
# parameter of a callback, and it must not choose metric labels or what a page shows (issue 13).
KNOWN_ERROR_CODES = frozenset({
    "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type", "invalid_scope",
    "server_error", "temporarily_unavailable", "invalid_client", "invalid_grant", "unsupported_grant_type",
    "interaction_required", "login_required", "account_selection_required", "consent_required",
    "invalid_request_uri", "invalid_request_object", "request_not_supported", "request_uri_not_supported",
    "registration_not_supported", "insufficient_user_authentication",
    "invalid_token", "authority_error",
})


def known_error_code(value: object) -> str:
    """``value`` when it is a known error code, else ``"other"``."""
    return value if isinstance(value, str) and value in KNOWN_ERROR_CODES else "other"


class AuthError(Exception):
    """A refusal during sign-in or of access; a 4xx, or a 503 while the authority is away (never a 500)."""

    error = "access_denied"
    status_code = 400
    description = N_("We could not sign you in.")

    def __init__(self, reason: str, *, description: str | None = None, error: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if description is not None:
            self.description = description
        if error is not None:
            self.error = error


class InvalidToken(AuthError):
    """The ID token failed a check: signature, issuer, tenant, audience, time or a missing claim."""

    error = "invalid_token"
    status_code = 401
    description = N_("The sign-in response from Microsoft could not be verified. Please sign in again.")


class InvalidState(AuthError):
    """The callback does not belong to a sign-in this browser started (expired, replayed or forged)."""

    error = "invalid_request"
    status_code = 400
    description = N_("This sign-in link has expired or was already used. Please start again.")

    def __init__(self, reason: str, *, silent: bool = False, description: str | None = None,
                 error: str | None = None) -> None:
        super().__init__(reason, description=description, error=error)
        # True when the refused callback belonged to a prompt=none attempt: the user then sees the sign-in page.
        self.silent = silent


class AuthorityError(AuthError):
    """The authority sent back an error (``access_denied``, ``login_required``, ...)."""

    error = "authority_error"
    status_code = 401
    description = N_("Microsoft sign-in did not complete.")


class AuthorityUnavailable(AuthError):
    """The authority did not answer in time, or answered with something unusable."""

    error = "temporarily_unavailable"
    status_code = 503
    description = N_("Microsoft sign-in is not responding at the moment. Please try again in a few minutes.")


class AccessDenied(AuthError):
    """Signed in, but this account may not use the portal or this page."""

    error = "access_denied"
    status_code = 403
    description = N_("Your account cannot use this page.")
