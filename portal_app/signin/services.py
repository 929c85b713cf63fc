"""Per-process identity services: the authority's HTTP session, MSAL, discovery metadata and signing keys.

Built once per process at app creation without any network call; discovery and keys are fetched on first
use and then cached, so a steady-state sign-in makes exactly one call to the authority (the token request).
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from auth.client_certificate import ClientCertificate, load_client_certificate
from auth.discovery import DiscoveryCache, entra_shaped
from auth.errors import AuthError
from auth.flow_state import SignInFlows
from auth.http import authority_session
from auth.msal_client import MsalClient
from auth.sealing import Sealer
from auth.signin import SignIn, SignInConfig
from auth.stores import ExpiringStore
from auth.tokens import JwksCache
from portal_app.settings import PortalSettings
from portal_app.web.health import add_readiness_check
from portal_app.web.metrics import instrument_http

EXTENSION = "portal.identity"
# A certificate this close to its end is logged at start, and `portal doctor` fails on it.
CERTIFICATE_WARNING_DAYS = 30
log = logging.getLogger(__name__)


class IdentityServices:
    def __init__(self, settings: PortalSettings, flow_store: ExpiringStore, secret_key: str | bytes) -> None:
        self.settings = settings
        # The MSAL token cache is sealed in the session under a key derived from the secret key (auth.sealing).
        self.sealer = Sealer(secret_key, purpose="token cache")
        self.http = authority_session(settings.http_timeout_seconds, settings.ca_bundle or None)
        instrument_http(self.http)
        self.certificate = client_certificate(settings)
        self.msal = MsalClient(authority=settings.authority, client_id=settings.client_id,
                               client_secret=settings.client_secret, http_client=self.http,
                               timeout=settings.http_timeout_seconds, client_certificate=self.certificate)
        self.flows = SignInFlows(flow_store, settings.flow_lifetime_seconds)
        self.discovery = DiscoveryCache(settings.authority, self.http, timeout=settings.http_timeout_seconds)
        self._jwks: JwksCache | None = None
        self._lock = threading.Lock()

    def metadata(self) -> dict:
        """The authority's discovery document, fetched once per process (AuthorityUnavailable if not)."""
        return self.discovery.document()

    def jwks(self) -> JwksCache:
        if self._jwks is None:
            jwks_uri = self.metadata()["jwks_uri"]
            with self._lock:
                if self._jwks is None:
                    self._jwks = JwksCache(jwks_uri, self.http, timeout=self.settings.http_timeout_seconds)
        return self._jwks

    def sign_in(self) -> SignIn:
        s = self.settings
        config = SignInConfig(
            client_id=s.client_id, redirect_uri=s.redirect_uri, allowed_tenants=s.allowed_tenants,
            scopes=s.scopes, domain_hint=s.appointee_domains[0] if s.appointee_domains else None,
            clock_skew_seconds=s.clock_skew_seconds,
            required_auth_context=s.required_auth_context or None,
            issuer_names_tenant=entra_shaped(s.authority),
        )
        return SignIn(msal_client=self.msal, flows=self.flows, jwks=self.jwks(),
                      issuer_template=self.metadata()["issuer"], config=config)

    def problem(self) -> str | None:
        """None when the authority's metadata is known, else why not (for /readyz)."""
        try:
            self.metadata()
        except AuthError as exc:
            return exc.reason
        return None


def client_certificate(settings: PortalSettings) -> ClientCertificate | None:
    """The certificate credential, when configured (the settings checks have already refused a bad one)."""
    if not settings.uses_certificate:
        return None
    certificate = load_client_certificate(settings.client_cert_path, settings.client_key_path,
                                          settings.client_key_passphrase)
    days = certificate.days_left()
    if days < CERTIFICATE_WARNING_DAYS:
        log.warning("The client certificate %s (thumbprint %s) expires in %.0f days, on %s: create a new one, upload "
                    "it to the app registration and point PORTAL_CLIENT_CERT_PATH at it (docs/entra-setup.md).",
                    certificate.subject(), certificate.thumbprint, days, f"{certificate.not_after:%Y-%m-%d}")
    return certificate


def init_app(app: Flask, settings: PortalSettings, flow_store: ExpiringStore) -> None:
    services = app.extensions[EXTENSION] = IdentityServices(settings, flow_store, app.config["SECRET_KEY"])
    add_readiness_check(app, "authority", services.problem)


def identity_services() -> IdentityServices:
    return current_app.extensions[EXTENSION]
