"""Fixtures for the All Services tests: a portal on a seeded database with its own copy of services.toml."""

from __future__ import annotations

import re
import shutil

import pytest

from portal_app import create_app
from portal_app.settings import PROJECT_ROOT
from tests.portal_app.conftest import SignInActions, portal_test_config
from tests.portal_app.conftest_data import *  # noqa: F403 - the seeded database fixtures
from tests.portal_app.conftest_data import EXAMINER, MODERATOR, PRINCIPAL, TEAM_LEADER, sign_in_as

ADMIN = {"roles": ["PortalAdmin"], "oid": "55555555-5555-4555-8555-555555555555",
         "preferred_username": "admin@wjec-appointees.co.uk", "name": "Ops Admin"}
NO_ROLE = {"roles": [], "oid": "88888888-8888-4888-8888-888888888888",
           "preferred_username": "norole@wjec-appointees.co.uk", "name": "Rhys Davies"}
DEMO_USERS = {"examiner": EXAMINER, "moderator": MODERATOR, "team_leader": TEAM_LEADER,
              "principal": PRINCIPAL, "admin": ADMIN, "no_role": NO_ROLE}


def make_services_app(tmp_path, redis_url, database_url: str, **sections):
    """A portal whose catalogue is a copy of config/services.toml in ``tmp_path`` (tests may edit it)."""
    services_file = tmp_path / "services.toml"
    if not services_file.exists():
        shutil.copy(PROJECT_ROOT / "config" / "services.toml", services_file)
    app = create_app(portal_test_config(tmp_path, redis_url, database={"url": database_url},
                                        services={"file": str(services_file)}, **sections))
    app.services_file = services_file
    yield app
    app.extensions["portal.database"].dispose()


@pytest.fixture
def services_app(tmp_path, redis_url, entra, seeded_sqlite_url):
    yield from make_services_app(tmp_path, redis_url, seeded_sqlite_url)


@pytest.fixture
def services_browser(services_app, entra) -> SignInActions:
    return SignInActions(services_app.test_client(), entra)


def signed_in(browser: SignInActions, who: str) -> SignInActions:
    sign_in_as(browser, DEMO_USERS[who])
    return browser


def page_menu(html: str) -> str:
    """The All Services list of the /services page (not the header menu)."""
    start = html.index('<nav id="service-menu"')
    return html[start:html.index("</nav>", start)]


def header_menu(html: str) -> str:
    start = html.index('<nav id="header-service-list"')
    return html[start:html.index("</nav>", start)]


def service_ids(fragment: str) -> list[str]:
    return re.findall(r'<a href="[^"]*" data-service="([^"]+)"', fragment)


def section_ids(fragment: str) -> list[str]:
    return re.findall(r'data-section="([^"]+)"', fragment)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
