"""Fixtures: one emulator and one gunicorn portal (2 workers, shared Redis) for the whole e2e run."""

from __future__ import annotations

import pytest

from emulator.testing import running_emulator
from tests.support.servers import Browserless, PortalServer, free_port, portal_url_for, running_portal


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def portal_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def emu(e2e_dir, portal_port):
    with running_emulator(e2e_dir, test_mode=True, portal_url=portal_url_for(portal_port)) as running:
        yield running


@pytest.fixture(scope="session")
def portal(emu, e2e_dir, redis_url, portal_port):
    with running_portal(emu, e2e_dir, redis_url, port=portal_port, workers=2) as server:
        yield server


@pytest.fixture(autouse=True)
def _portal_log_on_failure(request):
    """When a test fails, print the tail of every portal log it used (shown in pytest's report)."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    for value in request.node.funcargs.values():
        if isinstance(value, PortalServer):
            print(f"--- tail of {value.log_path} ---\n{value.log_tail()}")


@pytest.fixture
def browser(portal, emu):
    """A fresh simulated browser (its own cookie jar) for the shared portal."""
    simulated = Browserless(portal, emu)
    yield simulated
    simulated.close()
