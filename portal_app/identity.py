"""Per-process identity services: the authority's HTTP session, MSAL, discovery metadata and signing keys.

Built once per process at app creation without any network call; discovery and keys are fetched on first
use and then cached, so a steady-state sign-in makes exactly one call to the authority (the token request).
"""

from __future__ import annotations

import threading

from flask import Flask, current_app

from auth.discovery import DiscoveryCache
from auth.flow_state import SignInFlows
from auth.http import authority_session
from auth.msal_client import MsalClient
from auth.signin import SignIn, SignInConfig
from auth.tokens import JwksCache
from portal_app.settings import PortalSettings


class IdentityServices:
    def __init__(self, settings: PortalSettings, flow_store) -> None:
        self.settings = settings
        self.http = authority_session(settings.http_timeout_seconds, settings.ca_bundle or None)
        self.msal = MsalClient(authority=settings.authority, client_id=settings.client_id,
                               client_secret=settings.client_secret, http_client=self.http,
                               timeout=settings.http_timeout_seconds)
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
        )
        return SignIn(msal_client=self.msal, flows=self.flows, jwks=self.jwks(),
                      issuer_template=self.metadata()["issuer"], config=config)


def init_app(app: Flask, settings: PortalSettings) -> None:
    app.extensions["portal.identity"] = IdentityServices(settings, app.extensions["portal.flow_store"])


def identity_services() -> IdentityServices:
    return current_app.extensions["portal.identity"]
