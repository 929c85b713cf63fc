"""Fixtures: headless Debian Chromium through Playwright, against a real emulator and gunicorn portal.

Chromium does not trust the emulator's CA, so browser contexts use ``ignore_https_errors=True``: acceptable
for tests (the portal's own calls to the authority still verify the CA; only the test browser skips it).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.support.axe import axe_source as read_axe
from tests.support.server_fixtures import (  # noqa: F401 - fixtures and the report hook, shared with tests/e2e
    emu,
    failed,
    portal,
    portal_port,
    print_portal_logs,
    pytest_runtest_makereport,
)
from tests.support.servers import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; missing means a broken setup (fail, never skip: CI must run this suite)."""
    path = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        pytest.fail("Chromium is missing: the browser tests drive Debian's chromium package. Install it with "
                    "`sudo apt-get install chromium` (scripts/setup does this when run as root).", pytrace=False)
    return path


@pytest.fixture(scope="session")
def playwright_browser(chromium_path):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def browser_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="session")
def servers_dir(browser_dir):
    return browser_dir


class Recorder:
    """Takes a numbered screenshot of each page a test visits: test-artifacts/screenshots/<test>/NN-name.png."""

    def __init__(self, page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def snap(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)


@pytest.fixture
def page(playwright_browser, request):
    """A fresh browser context (no cookies) and page, with a screenshot recorder as ``page.record``."""
    # The emulator's and the portal's certificates come from the emulator's own CA (see module docstring).
    context = playwright_browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.record = Recorder(tab, SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))
    yield tab
    if failed(request):
        tab.record.snap("failure")
        print_portal_logs(request)
    context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, for the suites that check pages with it."""
    return read_axe()
