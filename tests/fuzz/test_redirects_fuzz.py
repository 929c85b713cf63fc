"""Fuzz ``auth.redirects.safe_next``: whatever arrives as ``next``, the result never leaves the site."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auth.redirects import DEFAULT_NEXT, safe_next

SITE = "https://portal.example/"
# Pieces attackers combine: schemes, slashes of every kind, encodings, whitespace and control characters.
PIECES = ["/", "//", "\\", "/\\", "%2f", "%2F", "%5c", "%252f", "https:", "http:", "javascript:", "evil.example",
          "@", ":", "?", "#", ".", "..", "%00", "\t", "\n", " ", "\x7f", "%09", "%0a", "\u3002", "ｅｖｉｌ", "services"]
NEXT_VALUES = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    st.lists(st.sampled_from(PIECES), max_size=8).map(lambda parts: quote("".join(parts), safe="/")),
)
FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(NEXT_VALUES)
def test_safe_next_never_leads_to_another_host(candidate):
    result = safe_next(candidate)

    assert result.startswith("/")
    assert urlsplit(urljoin(SITE, result)).netloc == "portal.example"
    # Browsers decode before navigating: the decoded form must stay on the site as well.
    assert urlsplit(urljoin(SITE, result.replace("\\", "/"))).netloc == "portal.example"


@FUZZ
@given(NEXT_VALUES)
def test_safe_next_returns_the_candidate_or_the_default(candidate):
    assert safe_next(candidate) in (candidate, DEFAULT_NEXT)
