"""Refreshing a signed-in user's tokens: the same person, still allowed, or the session ends.

The refresh asks for the scopes the sign-in was granted and no more (RFC 6749 section 6: a strict provider
answers ``invalid_scope`` to new ones; a Graph token for the groups overage is asked for separately, and only
for users who need it). Any OAuth error the token endpoint answers is an answer: the tenant no longer vouches
for this sign-in, so the session ends. Only a failure to get an answer at all (a timeout, a refused connection,
a 5xx) is an outage, to be retried later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msal
import requests
from msal.exceptions import MsalServiceError

from auth.errors import AuthError, AuthorityUnavailable, InvalidToken
from auth.msal_client import bound_token_cache
from auth.text import N_


class SessionRevoked(AuthError):
    """The refresh was refused: the portal session must end, and the user sign in again."""

    error = "login_required"
    status_code = 401
    description = N_("Your sign-in has expired. Please sign in again.")


@dataclass(frozen=True)
class Refreshed:
    claims: dict
    token_cache: str


def refresh_tokens(msal_app: msal.ConfidentialClientApplication, token_cache: str, *, user: dict, scopes: list[str],
                   validate: Callable[[str], dict]) -> Refreshed:
    """Redeem the refresh token for ``scopes`` (the sign-in's own), validate the new ID token with ``validate``,
    and check it is the same user."""
    with bound_token_cache(token_cache) as cache:
        accounts = [a for a in msal_app.get_accounts() if a.get("local_account_id") == user["oid"]]
        if not accounts:
            raise SessionRevoked("no account for this user in the session's token cache")
        try:
            result = msal_app.acquire_token_silent_with_error(scopes, account=accounts[0], force_refresh=True)
        except (requests.Timeout, requests.ConnectionError, MsalServiceError) as exc:  # an outage, not an answer
            raise AuthorityUnavailable(f"token refresh failed: {type(exc).__name__}") from exc
        if not result:
            raise SessionRevoked("no refresh token in the session's token cache")
        if "error" in result:
            # An OAuth error response (4xx with a body): the authority answered. 5xx and network failures were
            # raised above, as outages.
            raise SessionRevoked(f"refresh refused: {str(result['error'])[:100]!r}: "
                                 f"{str(result.get('error_description', ''))[:200]}")
        id_token = result.get("id_token")
        if not id_token:
            raise InvalidToken("the refresh response has no id_token")
        claims = validate(id_token)
        for claim in ("tid", "oid", "sub"):
            expected = {"tid": user["tid"], "oid": user["oid"], "sub": user.get("sub")}[claim]
            if claims.get(claim) != expected:
                raise InvalidToken(f"refreshed id_token is for another {claim}")
        return Refreshed(claims=claims, token_cache=cache.serialize())
