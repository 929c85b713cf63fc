"""Fixtures: one emulator and one gunicorn portal (2 workers, shared Redis) for the whole e2e run."""

from __future__ import annotations

import pytest

from tests.support.server_fixtures import (  # noqa: F401 - fixtures and the report hook, shared with tests/browser
    emu,
    failed,
    portal,
    portal_port,
    print_portal_logs,
    pytest_runtest_makereport,
)
from tests.support.servers import Browserless


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def servers_dir(e2e_dir):
    return e2e_dir


@pytest.fixture(autouse=True)
def _portal_log_on_failure(request):
    """When a test fails, print the tail of every portal log it used (shown in pytest's report)."""
    yield
    if failed(request):
        print_portal_logs(request)


@pytest.fixture
def browser(portal, emu):  # noqa: F811 - pytest fixtures by name, imported above
    """A fresh simulated browser (its own cookie jar) for the shared portal."""
    simulated = Browserless(portal, emu)
    yield simulated
    simulated.close()
