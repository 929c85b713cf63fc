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
    always = [("X-Content-Type-Options", "nosniff")]
    if settings.uses_https:
        always.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    # Added unless the view chose its own (one pass over the response's headers, not one per header: this runs
    # on every response, and werkzeug's lookups are linear and case-folding).
    defaults = [("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin")]
    # Legacy browsers' framing guard goes with our CSP; a view that sets its own CSP (front-channel logout,
    # which the authority frames) decides framing with frame-ancestors alone.
    framing = [("Content-Security-Policy", csp), ("X-Frame-Options", "DENY")]
    replaced = {name.lower() for name, _ in always}
    ours = replaced | {name.lower() for name, _ in (*defaults, *framing)} | {"cache-control"}
    # What nearly every response gets (the view set none of these headers), worked out once.
    usual = [*always, *defaults, *framing]
    usual_html = [*usual, ("Cache-Control", "no-store")]  # pages show personal data

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower(): value for name, value in headers}
        if ours.isdisjoint(present):
            # The Content-Type's media type, as response.mimetype gives it, without parsing its parameters.
            html = present.get("content-type", "").partition(";")[0].strip().lower() == "text/html"
            for name, value in usual_html if html else usual:
                headers.add(name, value)
            return response
        if not replaced.isdisjoint(present):
            for name, _ in always:
                headers.pop(name, None)
        extra = list(always)
        extra += [header for header in defaults if header[0].lower() not in present]
        if "content-security-policy" not in present:
            extra += framing
        if "cache-control" not in present and response.mimetype == "text/html":
            extra.append(("Cache-Control", "no-store"))  # pages show personal data
        for name, value in extra:
            headers.add(name, value)
        return response
