"""Fixtures for auth tests: a fake authority served by ``responses``, a controllable clock, a JWKS cache."""

from __future__ import annotations

import pytest
import requests
import responses

from auth.jwks import JwksCache
from tests.support.signed_tokens import JWKS_URI, TokenFactory


class FakeClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def token_factory() -> TokenFactory:
    """Mints tokens signed with the authority's trusted key."""
    return TokenFactory()


@pytest.fixture
def authority(token_factory):
    """A ``responses`` mock serving the trusted JWKS; any unregistered URL (jku, x5u, ...) fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(JWKS_URI, json=token_factory.jwks())
        yield mock


@pytest.fixture
def jwks_cache(authority, clock) -> JwksCache:
    """A JWKS cache over the fake authority with an injected clock."""
    return JwksCache(JWKS_URI, requests.Session(), clock=clock)
