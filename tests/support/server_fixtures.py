"""Session fixtures shared by the e2e and browser suites: one emulator and one gunicorn portal per suite.

A suite's conftest imports them and defines ``servers_dir`` (where the suite's servers keep their files).
"""

from __future__ import annotations

import pytest

from emulator.testing import running_emulator
from tests.support.servers import PortalServer, free_port, portal_url_for, running_portal


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def portal_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def emu(servers_dir, portal_port):
    with running_emulator(servers_dir, test_mode=True, portal_url=portal_url_for(portal_port)) as running:
        yield running


@pytest.fixture(scope="session")
def portal(emu, servers_dir, redis_url, portal_port):
    with running_portal(emu, servers_dir, redis_url, port=portal_port, workers=2) as server:
        yield server


def failed(request) -> bool:
    report = getattr(request.node, "report_call", None)
    return report is not None and report.failed


def print_portal_logs(request) -> None:
    """The tail of every portal log a failed test used (shown in pytest's report)."""
    for value in request.node.funcargs.values():
        if isinstance(value, PortalServer):
            print(f"--- tail of {value.log_path} ---\n{value.log_tail()}")
