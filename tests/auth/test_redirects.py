"""``next`` survives only as a same-site relative path."""

from __future__ import annotations

import pytest

from auth.redirects import safe_next


@pytest.mark.parametrize("candidate", [
    "/services", "/emi/", "/emi/sheet/12?tab=2", "/iamis/centre/5#top", "/a%20b",
])
def test_same_site_paths_are_kept(candidate):
    assert safe_next(candidate) == candidate


@pytest.mark.parametrize("candidate", [
    None, "", "services", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "https://evil.example/", "https:evil.example", "javascript:alert(1)", "/%2F%2Fevil.example",
    "%2F%2Fevil.example", "/%5Cevil.example", "/%252F%252Fevil.example", "/\tevil", "/\r\nSet-Cookie:x",
    " /services", "/" + "a" * 3000, "data:text/html,x",
])
def test_anything_else_becomes_the_default(candidate):
    assert safe_next(candidate) == "/services"
