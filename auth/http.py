"""The HTTP session for every call to the authority: bounded timeouts, no retries, an extra trusted CA."""

from __future__ import annotations

import ssl
from typing import Any

import requests
from requests.adapters import HTTPAdapter


class _TrustingAdapter(HTTPAdapter):
    """An adapter whose TLS context trusts the system CAs plus one extra CA file."""

    def __init__(self, extra_ca_file: str, **kwargs: Any) -> None:
        self._context = ssl.create_default_context()
        self._context.load_verify_locations(cafile=extra_ca_file)
        super().__init__(max_retries=0, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)


class AuthoritySession(requests.Session):
    """A ``requests.Session`` with a default timeout on every call.

    requests has no session-wide timeout, and a call without one can hold a worker forever when the
    authority hangs (issue 2: the callback must answer within about 15 seconds).
    """

    def __init__(self, timeout: float, extra_ca_file: str | None = None) -> None:
        super().__init__()
        self.default_timeout = timeout
        # No automatic retries: a struggling authority should not get a retry storm from every worker.
        self.mount("http://", HTTPAdapter(max_retries=0))
        self.mount("https://", _TrustingAdapter(extra_ca_file) if extra_ca_file else HTTPAdapter(max_retries=0))
        self.extra_ca_file = extra_ca_file

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)

    # verify and cert as Any: requests spells their types only in its private requests._types.
    def merge_environment_settings(self, url: str, proxies: dict[str, str] | None, stream: bool | None,
                                   verify: Any, cert: Any) -> dict[str, Any]:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if self.extra_ca_file:
            # requests lets REQUESTS_CA_BUNDLE replace the trust store; with an explicit PORTAL_CA_BUNDLE the
            # adapter's context (system CAs + that file) must decide instead.
            settings["verify"] = True
        return settings


def authority_session(timeout: float, extra_ca_file: str | None = None) -> AuthoritySession:
    return AuthoritySession(timeout=timeout, extra_ca_file=extra_ca_file or None)


def get_json(http: requests.Session, url: str, *, what: str, shown_url: str, max_bytes: int,
             error: type[Exception], **request_kwargs: Any) -> Any:
    """GET ``url`` and decode JSON, raising ``error`` for a failed call, a non-200, an oversized body or bad JSON.

    ``what`` names the request in messages ("discovery request"), ``shown_url`` is the URL as it may be logged.
    """
    try:
        response = http.get(url, **request_kwargs)
    except requests.RequestException as exc:
        raise error(f"{what} to {shown_url} failed: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise error(f"{what} to {shown_url} answered HTTP {response.status_code}")
    if len(response.content) > max_bytes:
        raise error(f"{what} to {shown_url} returned an implausibly large body")
    try:
        return response.json()
    except ValueError as exc:
        raise error(f"{what} to {shown_url} did not return JSON") from exc
