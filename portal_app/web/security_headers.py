"""Security headers on every response (issue 2: CSP, nosniff, Referrer-Policy, HSTS under https)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response

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


def init_app(app: Flask, settings: PortalSettings) -> None:
    csp = content_security_policy(settings)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = csp
            # Legacy browsers' framing guard; a view that sets its own CSP (front-channel logout, which the
            # authority frames) decides framing with frame-ancestors alone.
            response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if settings.uses_https:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if "Cache-Control" not in response.headers and response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"  # pages show personal data
        return response
