"""Where a user may be sent after sign-in: same-site relative paths only."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

DEFAULT_NEXT = "/services"
MAX_NEXT_LENGTH = 2048
# A path segment may hold these; anything else (backslash, control characters, spaces) is refused outright.
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?#]*$")


def safe_next(candidate: str | None, default: str = DEFAULT_NEXT) -> str:
    """``candidate`` if it is a relative path on this site, else ``default``.

    Refuses ``//evil``, ``/\\evil``, ``https:evil``, absolute URLs and their percent-encoded variants
    (browsers decode some of them before navigating).
    """
    if not candidate or len(candidate) > MAX_NEXT_LENGTH:
        return default
    decoded = candidate
    for _ in range(3):  # catch double and triple encoding too
        decoded = unquote(decoded)
    if not _SAFE_PATH.match(candidate):
        return default
    for form in (candidate, decoded):
        stripped = form.lstrip()
        if not stripped.startswith("/") or stripped.startswith("//") or "\\" in form:
            return default
        parts = urlsplit(stripped)
        if parts.scheme or parts.netloc:
            return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in decoded):
        return default
    return candidate


# Paths that must never be a post-sign-in destination (they would loop or sign out again).
NOT_A_DESTINATION = ("/login", "/auth/", "/logout")


def next_destination(candidate: str | None) -> str:
    """Where to land after sign-in: ``candidate`` if safe and not a sign-in route, else All Services."""
    path = safe_next(candidate)
    return DEFAULT_NEXT if path.startswith(NOT_A_DESTINATION) else path
