"""axe-core for the browser suites: installed by ``npm ci --prefix tests/browser`` (scripts/setup does it)."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[1] / "browser" / "node_modules" / "axe-core" / "axe.min.js"


def axe_source() -> str:
    """The axe-core script to inject into a page; a clear failure (not a skip) when it was not installed."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/browser` (scripts/setup does it)", pytrace=False)
    return AXE.read_text(encoding="utf-8")
