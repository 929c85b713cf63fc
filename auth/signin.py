"""The sign-in use case without Flask: build the authorize URL, then turn a callback into a verified user."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from msal.exceptions import MsalServiceError

from auth.errors import AuthError, AuthorityError, AuthorityUnavailable, InvalidState, InvalidToken, known_error_code
from auth.flow_state import SignInFlows
from auth.msal_client import MsalClient, bound_token_cache
from auth.text import N_
from auth.tokens import Identity, JwksCache, identity_from_claims, validate_id_token

log = logging.getLogger(__name__)

# Errors the authority sends back that mean "sign in interactively", not "something is broken".
INTERACTION_ERRORS = {"login_required", "interaction_required", "consent_required", "account_selection_required"}
_NETWORK_ERRORS = (requests.Timeout, requests.ConnectionError)
# MSAL raises these when the authority answers 5xx or garbage (discovery, or the token endpoint during an outage).
_AUTHORITY_FAILURES = (*_NETWORK_ERRORS, MsalServiceError)
# What MSAL's ID token decoder raises on a token that is not a JWT at all (no dots, a JSON list, a number).
_UNDECODABLE_TOKEN = (IndexError, TypeError, AttributeError, KeyError)


class SilentSignInFailed(AuthError):
    """A prompt=none attempt came back without a sign-in: show the sign-in page, keeping ``next_path``."""

    error = "login_required"
    status_code = 401
    description = N_("Please sign in to continue.")

    def __init__(self, reason: str, next_path: str) -> None:
        super().__init__(reason)
        self.next_path = next_path


@dataclass(frozen=True)
class SignedIn:
    """The outcome of a good callback."""

    identity: Identity
    claims: dict
    token_cache: str
    next_path: str
    previous_session: str | None = None  # the portal session this browser had at /login: end it now


@dataclass(frozen=True)
class SignInConfig:
    client_id: str
    redirect_uri: str
    allowed_tenants: tuple[str, ...]
    scopes: tuple[str, ...]
    domain_hint: str | None
    clock_skew_seconds: int
    required_auth_context: str | None = None
    issuer_names_tenant: bool = True  # False for a provider that is not Entra (auth.tokens.check_issuer)


class SignIn:
    """Begins and completes authorization code flows (PKCE S256, state, nonce, form_post)."""

    def __init__(self, *, msal_client: MsalClient, flows: SignInFlows, jwks: JwksCache,
                 issuer_template: str, config: SignInConfig) -> None:
        self._msal = msal_client
        self._flows = flows
        self._jwks = jwks
        self._issuer_template = issuer_template
        self._config = config

    def begin(self, *, next_path: str, browser_secret: str, login_hint: str | None = None,
              prompt: str | None = None, ui_locales: str | None = None,
              previous_session: str | None = None) -> str:
        """Store a new flow bound to the browser and return the authority's authorize URL.

        ``ui_locales`` (OpenID Connect Core 3.1.2.1, e.g. "cy-GB cy") asks the authority for its pages in the
        language the user chose on the portal, so the whole sign-in reads in one language. ``previous_session``
        is the portal session the browser had at /login, ended when the new one starts (ASVS 7.2.4).
        """
        try:
            flow = self._msal.app.initiate_auth_code_flow(
                list(self._config.scopes),
                redirect_uri=self._config.redirect_uri,
                response_mode="form_post",
                login_hint=login_hint,
                domain_hint=self._config.domain_hint,
                prompt=prompt,
                claims_challenge=self._claims_request(),
            )
        except (ValueError, *_AUTHORITY_FAILURES) as exc:
            raise AuthorityUnavailable(f"could not prepare the authorize request: {exc}") from exc
        self._flows.start(flow, browser_secret=browser_secret, next_path=next_path,
                          silent=prompt == "none", previous_session=previous_session)
        return _with_ui_locales(flow["auth_uri"], ui_locales)

    def complete(self, auth_response: dict, *, browser_secret: str | None) -> SignedIn:
        """Check the callback and redeem its code: exactly one call to the authority (the token request)."""
        try:
            pending = self._flows.finish(auth_response.get("state"), browser_secret)
        except InvalidState as exc:
            if exc.silent:
                raise SilentSignInFailed(exc.reason, "/services") from exc
            raise
        if pending.silent and auth_response.get("error") in INTERACTION_ERRORS:
            raise SilentSignInFailed(f"silent sign-in answered {auth_response['error']}", pending.next_path)
        if auth_response.get("error"):
            answered = str(auth_response["error"])[:100]
            error = known_error_code(answered)  # the raw value is for the log only
            raise AuthorityError(f"the authority answered {answered!r}: "
                                 f"{str(auth_response.get('error_description', ''))[:300]}",
                                 error=error, description=_describe_authority_error(error))
        if not auth_response.get("code"):
            raise InvalidState("callback without a code or an error")
        with bound_token_cache() as cache:
            try:
                result = self._msal.app.acquire_token_by_auth_code_flow(pending.flow, auth_response)
            except ValueError as exc:  # MSAL: state mismatch, or an id_token it cannot even decode
                raise InvalidState(f"MSAL refused the callback: {str(exc)[:200]}") from exc
            except RuntimeError as exc:  # MSAL: the id_token's nonce is not the one this flow sent
                raise InvalidToken(f"MSAL refused the id_token: {str(exc)[:200]}") from exc
            except _AUTHORITY_FAILURES as exc:
                raise AuthorityUnavailable(f"token request failed: {type(exc).__name__}") from exc
            except _UNDECODABLE_TOKEN as exc:
                raise InvalidToken(f"the id_token is not a JWT ({type(exc).__name__})") from exc
            if "error" in result:
                raise _token_refusal(result)
            id_token = result.get("id_token")
            if not id_token:
                raise InvalidToken("the token response has no id_token")
            claims = self.validate(id_token, nonce=_nonce_sent(pending.flow))
            return SignedIn(identity=identity_from_claims(claims), claims=claims,
                            token_cache=cache.serialize(), next_path=pending.next_path,
                            previous_session=pending.previous_session)

    def validate(self, id_token: str, nonce: str | None = None) -> dict:
        """Every check of issue 2 on ``id_token`` (also used for ID tokens from a refresh, without nonce)."""
        return validate_id_token(
            id_token, jwks=self._jwks, issuer_template=self._issuer_template,
            client_id=self._config.client_id, allowed_tenants=self._config.allowed_tenants,
            leeway=self._config.clock_skew_seconds, nonce=nonce,
            required_acrs=self._config.required_auth_context,
            issuer_names_tenant=self._config.issuer_names_tenant,
        )

    def _claims_request(self) -> str | None:
        context = self._config.required_auth_context
        if not context:
            return None
        return json.dumps({"id_token": {"acrs": {"essential": True, "value": context}}})


def _with_ui_locales(auth_uri: str, ui_locales: str | None) -> str:
    """The authorize URL MSAL built, asking for pages in ``ui_locales``.

    MSAL Python's initiate_auth_code_flow takes no extra OpenID Connect parameters, so ui_locales joins the query
    MSAL wrote; the flow's state, nonce and PKCE, which MSAL checks at the callback, are untouched.
    """
    if not ui_locales:
        return auth_uri
    return f"{auth_uri}{'&' if '?' in auth_uri else '?'}{urlencode({'ui_locales': ui_locales})}"


def _token_refusal(result: dict) -> AuthorityError:
    """The authority refused the code redemption; ``invalid_client`` is the portal's own credential, not the user."""
    error = known_error_code(result.get("error"))
    detail = str(result.get("error_description", ""))[:300]
    if error == "invalid_client":
        return AuthorityError(
            f"the authority refused the portal's client credential: {detail}. Nobody can sign in until it is "
            f"mended: check the certificate (or secret) uploaded to the app registration against "
            f"PORTAL_CLIENT_CERT_PATH, its thumbprint and expiry (`flask --app wsgi portal doctor`, "
            f"docs/entra-setup.md)", error=error,
            description=N_("Microsoft refused the portal's own sign-in credentials. This is a problem on our side, "
                           "not with your account: please tell appointee support, quoting the reference below."))
    return AuthorityError(f"token request refused: {str(result.get('error'))[:100]!r}: {detail}", error=error)


def _nonce_sent(flow: dict) -> str:
    """The nonce as it went out: MSAL sends (and the authority echoes) the SHA-256 hex of flow["nonce"]."""
    return hashlib.sha256(str(flow.get("nonce", "")).encode("ascii")).hexdigest()


def _describe_authority_error(error: str) -> str:
    if error == "access_denied":
        return N_("Sign-in was cancelled or refused at Microsoft.")
    if error == "interaction_required":
        # Outside a silent attempt this means the tenant wants more than was done (e.g. an MFA method set up).
        return N_("Your account needs an extra verification step that it has not set up yet. Set up a "
                  "verification method in AMP, or contact appointee support.")
    if error in INTERACTION_ERRORS:
        return N_("Please sign in to continue.")
    return N_("Microsoft sign-in did not complete.")
