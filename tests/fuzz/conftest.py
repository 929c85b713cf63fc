"""Fixtures for fuzzing the portal app in-process: one app per module against the fake Entra and real Redis.

Hypothesis runs many examples inside one test, so the app, the fake authority and the seeded database are
module-scoped; each example uses a fresh test client (its own cookies).
"""

from __future__ import annotations

import tempfile

import pytest
import responses
from hypothesis.configuration import set_hypothesis_home_dir

from portal_app import create_app
from tests.portal_app.conftest import UNLIMITED, SignInActions, portal_test_config
from tests.portal_app.conftest_data import seed
from tests.support.fake_entra import FakeEntra

# Hypothesis writes a constants cache into ./.hypothesis even with database=None, before any fixture runs:
# point it at a temporary folder so the tests leave nothing in the working directory.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="portal-hypothesis-"))


@pytest.fixture(scope="module")
def fuzz_entra():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeEntra(mock)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, redis_url, fuzz_entra):
    """The portal on a migrated database holding the demo data."""
    folder = tmp_path_factory.mktemp("fuzz-app")
    url = f"sqlite:///{folder / 'portal.sqlite3'}"
    seed(url)
    app = create_app(portal_test_config(folder, redis_url, database={"url": url}, limits=UNLIMITED))
    yield app
    app.extensions["portal.database"].dispose()


@pytest.fixture(scope="module")
def fuzz_actions(fuzz_app, fuzz_entra) -> SignInActions:
    return SignInActions(fuzz_app.test_client(), fuzz_entra)
