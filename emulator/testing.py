"""Run an emulator in a background thread for tests: ``with running_emulator(tmp_path) as emu: ...``."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import msal
import requests
from flask import Flask

from .amp import close_http
from .app import DEFAULT_PORTAL_URL
from .serving import build_server
from .signin import sms_code_for
from .state import Emulator
from .testctl import current_totp

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_DIRECTORY = REPO_ROOT / "config" / "dev-directory.toml"
APPOINTEE_TENANT_ID = "3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70"
CONTOSO_TENANT_ID = "b7c4e1f2-9a3d-4e8b-8c5f-1a2b3c4d5e6f"
PORTAL_CLIENT_ID = "0d5e3c1a-6b2f-4a8e-9c7d-5f4e3b2a1c0d"
PORTAL_CLIENT_SECRET = "portal-dev-secret-not-for-production"
DEMO_PASSWORD = "WjecDemo!2026"


@dataclass
class RunningEmulator:
    """Handle on an emulator serving in this process."""

    base_url: str
    ca_path: Path
    state_dir: Path
    app: Flask

    @property
    def authority(self) -> str:
        """Authority of the appointee tenant, as the portal configures MSAL."""
        return f"{self.base_url}/{APPOINTEE_TENANT_ID}"

    @property
    def organizations_authority(self) -> str:
        return f"{self.base_url}/organizations"

    @property
    def state(self) -> Emulator:
        return self.app.extensions["emulator"]

    def totp(self, email: str) -> str:
        """The authenticator code for ``email`` now (on the emulator's clock)."""
        with self.app.app_context():
            code = current_totp(email)
        if code is None:
            raise LookupError(f"{email} has no authenticator app in the directory")
        return code

    def sms_code(self, email: str) -> str:
        """The last SMS code sent to ``email``."""
        with self.app.app_context():
            code = sms_code_for(email)
        if code is None:
            raise LookupError(f"no SMS has been sent to {email}")
        return code

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward (cumulative)."""
        clock = self.state.clock
        clock.set_now(clock.now() + seconds)

    def rotate_keys(self) -> str:
        """Rotate the signing key; returns the new kid."""
        return self.state.keys.rotate().kid

    def http_session(self) -> requests.Session:
        """A requests session that trusts the emulator's CA (and ignores REQUESTS_CA_BUNDLE). Close it."""
        session = requests.Session()
        session.verify = str(self.ca_path)
        session.trust_env = False
        return session

    def msal_app(self, http_client: requests.Session, *, client_id: str = PORTAL_CLIENT_ID,
                 secret: str = PORTAL_CLIENT_SECRET, authority: str | None = None):
        """An MSAL confidential client for the portal's registration, talking through ``http_client``."""
        return msal.ConfidentialClientApplication(
            client_id, client_credential=secret, authority=authority or self.authority,
            instance_discovery=False, http_client=http_client)


@contextmanager
def running_emulator(tmp_path: str | Path, *, test_mode: bool = True, directory_path: str | Path = DEV_DIRECTORY,
                     portal_url: str = DEFAULT_PORTAL_URL, host: str = "127.0.0.1", port: int = 0):
    """Serve an emulator over HTTPS on a free port until the block ends; state (CA, keys) in ``tmp_path``."""
    state_dir = Path(tmp_path) / "emulator-state"
    server = build_server(host=host, port=port, directory_path=directory_path, state_dir=state_dir,
                          test_mode=test_mode, portal_url=portal_url)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                              name="entra-emulator")
    thread.start()
    app = server.app
    handle = RunningEmulator(base_url=app.extensions["emulator"].base_url, ca_path=state_dir / "ca.pem",
                             state_dir=state_dir, app=app)
    try:
        yield handle
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        close_http(app)
