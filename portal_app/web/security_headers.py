"""Security headers on every response (issue 2: CSP, nosniff, Referrer-Policy, HSTS under https)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from flask import Flask

from portal_app.settings import PortalSettings


def content_security_policy(settings: PortalSettings) -> str:
    authority = urlsplit(settings.authority)
    authority_origin = f"{authority.scheme}://{authority.netloc}"
    # form-action covers redirects after a form post in Chromium, so the authority must be listed for the
    # sign-in (GET /login) and sign-out (POST /logout) forms that end there.
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        f"form-action 'self' {authority_origin}",
        "frame-ancestors 'none'",
    ])


class SecurityHeaders:
    """WSGI middleware: the security headers added to each response's header list as it is sent.

    Added here rather than in an after-request hook so that Werkzeug never sees them: it copies a response's
    headers (checking each value) and searches them several times while turning it into WSGI, and these are
    most of a small page's headers. Each is added unless the response set its own (one pass over its headers).
    """

    def __init__(self, wsgi_app: Callable, settings: PortalSettings) -> None:
        self._wsgi_app = wsgi_app
        always = [("X-Content-Type-Options", "nosniff")]
        if settings.uses_https:
            always.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        # Added unless the view chose its own.
        defaults = [("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin")]
        # Legacy browsers' framing guard goes with our CSP; a view that sets its own CSP (front-channel logout,
        # which the authority frames) decides framing with frame-ancestors alone.
        framing = [("Content-Security-Policy", content_security_policy(settings)), ("X-Frame-Options", "DENY")]
        self._always, self._defaults, self._framing = always, defaults, framing
        self._replaced = {name.lower() for name, _ in always}
        self._ours = self._replaced | {name.lower() for name, _ in (*defaults, *framing)} | {"cache-control"}
        # What nearly every response gets (it set none of these headers), worked out once.
        self._usual = [*always, *defaults, *framing]
        self._usual_html = [*self._usual, _NO_STORE]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start_with_security_headers(status: str, headers: list[tuple[str, str]], exc_info=None):
            return start_response(status, self.with_security_headers(headers), exc_info)

        return self._wsgi_app(environ, start_with_security_headers)

    def with_security_headers(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        present = {name.lower(): value for name, value in headers}
        html = _media_type(present.get("content-type", "")) == "text/html"
        if self._ours.isdisjoint(present):
            return headers + (self._usual_html if html else self._usual)
        if not self._replaced.isdisjoint(present):
            headers = [(name, value) for name, value in headers if name.lower() not in self._replaced]
        extra = list(self._always)
        extra += [header for header in self._defaults if header[0].lower() not in present]
        if "content-security-policy" not in present:
            extra += self._framing
        if "cache-control" not in present and html:
            extra.append(_NO_STORE)
        return headers + extra


_NO_STORE = ("Cache-Control", "no-store")  # pages show personal data


def _media_type(content_type: str) -> str:
    """``text/html`` of ``text/html; charset=utf-8``, as Werkzeug's ``Response.mimetype`` gives it."""
    return content_type.partition(";")[0].strip().lower()


def init_app(app: Flask, settings: PortalSettings) -> None:
    app.wsgi_app = SecurityHeaders(app.wsgi_app, settings)
