"""Step-up through the emulator: a portal that requires the auth context `c1` (met by MFA)."""

from __future__ import annotations

import pytest

from emulator.testing import DEMO_PASSWORD
from portal_app.settings import DEFAULT_CONFIG_FILE
from tests.support.servers import Browserless, mfa_codes, running_portal


@pytest.fixture(scope="module")
def step_up_portal(emu, e2e_dir, redis_url):
    config = e2e_dir / "step-up-portal.toml"
    config.write_text(DEFAULT_CONFIG_FILE.read_text().replace('required_auth_context = ""',
                                                              'required_auth_context = "c1"'))
    with running_portal(emu, e2e_dir, redis_url, workers=1, name="step-up", PORTAL_CONFIG=str(config)) as server:
        yield server


def test_an_appointee_who_completes_mfa_meets_the_auth_context(step_up_portal, emu):
    browser = Browserless(step_up_portal, emu)
    email = "examiner@wjec-appointees.co.uk"
    page = browser.sign_in(email, DEMO_PASSWORD, mfa_codes(emu, email))
    assert page.status_code == 200 and "Eleri Evans" in page.text


def test_an_account_without_mfa_cannot_meet_it_and_is_told_why(step_up_portal, emu):
    browser = Browserless(step_up_portal, emu)
    page = browser.sign_in("nomfa@wjec-appointees.co.uk", DEMO_PASSWORD, None)
    assert page.status_code == 401
    assert "extra verification" in page.text
