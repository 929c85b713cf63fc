"""Fixtures: a real emulator over HTTPS per test, and HTTP sessions that trust its CA."""

from __future__ import annotations

import pytest

from emulator.browser import SignInBrowser
from emulator.testing import DEMO_PASSWORD, running_emulator


@pytest.fixture
def emu(tmp_path):
    with running_emulator(tmp_path, test_mode=True) as running:
        yield running


@pytest.fixture
def http(emu):
    session = emu.http_session()
    yield session
    session.close()


@pytest.fixture
def browser(emu, http):
    return SignInBrowser(http, emu.base_url)


@pytest.fixture
def sign_in(emu, browser):
    """Sign in through the pages as ``email`` (TOTP, SMS or none), returning the app's response."""

    def _sign_in(auth_uri: str, email: str, *, stay_signed_in: bool = True, password: str = DEMO_PASSWORD):
        user = emu.state.directory.user(email)
        codes = {"totp": lambda: emu.totp(email), "sms": lambda: emu.sms_code(email), "none": None}
        return browser.sign_in(auth_uri, email=email, password=password, mfa_code=codes[user.mfa],
                               stay_signed_in=stay_signed_in)

    return _sign_in
