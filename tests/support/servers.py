"""Real servers for end-to-end tests: the portal under gunicorn over HTTPS, and a private redis-server.

The emulator comes from ``emulator.testing.running_emulator``; this module adds the portal as a separate
process (so sessions, workers and restarts behave as in production) and a requests-driven browser.

    port = free_port()
    with running_emulator(tmp, portal_url=portal_url_for(port)) as emu, \
            running_portal(emu, tmp, redis_url, port=port) as portal:
        browser = Browserless(portal, emu)
        browser.sign_in("examiner@wjec-appointees.co.uk", DEMO_PASSWORD, mfa_codes(emu, "examiner@..."))
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import redis
import requests

from emulator.browser import AppResponse, SignInBrowser
from emulator.pki import issue_server_cert
from emulator.testing import APPOINTEE_TENANT_ID, PORTAL_CLIENT_ID, PORTAL_CLIENT_SECRET, RunningEmulator

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portal_url_for(port: int, *, https: bool = True) -> str:
    """The portal's external URL on ``port``: https on localhost (a different site from the emulator's IP)."""
    return f"{'https' if https else 'http'}://localhost:{port}"


@dataclass
class PortalServer:
    """A portal served by gunicorn in its own process group."""

    url: str
    port: int
    log_path: Path
    env: dict[str, str]
    args: list[str]
    process: subprocess.Popen | None = None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the portal's stderr (JSON logs and gunicorn's own)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log yet)"

    def start(self, *, ca_path: Path, wait_ready: bool = True, timeout: float = 30) -> None:
        """Start gunicorn and wait until /readyz answers 200 (or /healthz if ``wait_ready`` is False)."""
        if wait_ready:
            self.migrate()
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps writing to it
        self.process = subprocess.Popen(self.args, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=log,
                                        start_new_session=True)
        log.close()
        wait_for_http(f"{self.url}{'/readyz' if wait_ready else '/healthz'}", ca_path, timeout=timeout,
                      alive=lambda: self.process.poll() is None, describe=self.log_tail)

    def migrate(self) -> None:
        """Bring the portal's database to the latest schema (readiness requires it), as operations would."""
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "portal", "migrate"], cwd=REPO_ROOT,
                              env=self.env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"`flask --app wsgi portal migrate` failed:\n{done.stdout}\n{done.stderr}")

    def stop(self, timeout: float = 15) -> None:
        """Stop gunicorn gracefully (SIGTERM to its process group), then by force."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def worker_pids(self) -> list[int]:
        """Process ids of gunicorn's workers (children of the arbiter)."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def wait_for_http(url: str, ca_path: Path, *, timeout: float, alive: Callable[[], bool] = lambda: True,
                  describe: Callable[[], str] = lambda: "") -> None:
    """Poll ``url`` until it answers 200; fail with the server's log if it dies or never answers."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"server for {url} exited while starting:\n{describe()}")
        try:
            response = requests.get(url, verify=str(ca_path), timeout=2)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:200]}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout}s ({last}):\n{describe()}")


def portal_environment(emu: RunningEmulator, url: str, redis_url: str, database_url: str,
                       **extra: str) -> dict[str, str]:
    """The environment variables of the issue 2 contract for a portal at ``url`` trusting ``emu``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "GUNICORN_"))}
    env.update({
        "PORTAL_AUTHORITY": emu.authority,
        "PORTAL_CLIENT_ID": PORTAL_CLIENT_ID,
        "PORTAL_CLIENT_SECRET": PORTAL_CLIENT_SECRET,
        "PORTAL_CA_BUNDLE": str(emu.ca_path),
        "PORTAL_EXTERNAL_URL": url,
        "PORTAL_SECRET_KEY": secrets.token_urlsafe(36),  # 48 characters
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "PORTAL_ALLOWED_TENANTS": APPOINTEE_TENANT_ID,
        # The emulator also serves Graph (groups overage); config/portal.toml names the default port 8443.
        "PORTAL_GRAPH_URL": emu.base_url,
        # A production portal refuses a loopback authority; these tests run one against the emulator on purpose.
        "PORTAL_ALLOW_LOOPBACK_AUTHORITY": "1",
        "PORTAL_METRICS_TOKEN": secrets.token_urlsafe(32),
        # Every test browser comes from 127.0.0.1 and signs in far more often than a person does.
        "PORTAL_LOGIN_RATE_LIMIT": "100000 per minute",
        "PORTAL_ANONYMOUS_POST_RATE_LIMIT": "100000 per minute",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(extra)
    return env


def build_portal(emu: RunningEmulator, tmp_dir: Path, redis_url: str, *, port: int | None = None,
                 workers: int = 2, threads: int = 4, name: str = "portal", https: bool = True,
                 **extra_env: str) -> PortalServer:
    """A (not yet started) gunicorn portal on https://localhost:<port> with a cert from the emulator's CA.

    ``https=False`` serves plain http, as ./scripts/run does in development.
    """
    port = port or free_port()
    url = portal_url_for(port, https=https)
    folder = Path(tmp_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = issue_server_cert(emu.state_dir)
    env = portal_environment(emu, url, redis_url, f"sqlite:///{folder / 'portal.sqlite3'}", **extra_env)
    args = [sys.executable, "-m", "gunicorn", "-c", str(REPO_ROOT / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
            "--graceful-timeout", "3", "wsgi:app"]
    if https:
        args[-1:-1] = ["--certfile", str(cert), "--keyfile", str(key)]
    return PortalServer(url=url, port=port, log_path=folder / "portal.log", env=env, args=args)


@contextmanager
def running_portal(emu: RunningEmulator, tmp_dir: Path, redis_url: str, **kwargs) -> Iterator[PortalServer]:
    """Serve a portal under gunicorn until the block ends (see ``build_portal`` for the arguments)."""
    portal = build_portal(emu, tmp_dir, redis_url, **kwargs)
    portal.start(ca_path=emu.ca_path)
    try:
        yield portal
    finally:
        portal.stop()


@dataclass
class RedisServer:
    """A private redis-server that tests may stop and start again on the same port."""

    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server is not installed: apt-get install redis-server")
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@contextmanager
def private_redis(tmp_dir: Path) -> Iterator[RedisServer]:
    """A redis-server of our own on a free port (never the machine's shared one) for fault tests."""
    folder = Path(tmp_dir) / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    server = RedisServer(port=free_port(), folder=folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def mfa_codes(emu: RunningEmulator, email: str) -> Callable[[], str] | None:
    """What the user would read from their phone: TOTP, the last SMS, or None without MFA."""
    user = emu.state.directory.user(email)
    return {"totp": lambda: emu.totp(email), "sms": lambda: emu.sms_code(email)}.get(user.mfa)


@dataclass
class Browserless:
    """One simulated browser: a cookie jar, and the pages driven by requests (no JavaScript).

    ``trust_env`` is off because REQUESTS_CA_BUNDLE (set on this machine) would override ``verify``.
    """

    portal: PortalServer
    emu: RunningEmulator
    http: requests.Session = field(init=False)
    last_app_response: AppResponse | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = str(self.emu.ca_path)

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 15)
        return self.http.get(urljoin(self.portal.url, path), **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 15)
        return self.http.post(urljoin(self.portal.url, path), **kwargs)

    def start_sign_in(self, next: str | None = None) -> str:  # noqa: A002 - the portal's parameter name
        """GET /login (with ``next``): the authorize URL the portal redirects to."""
        response = self.get("/login" + (f"?{urlencode({'next': next})}" if next else ""), allow_redirects=False)
        if response.status_code != 302:
            raise AssertionError(f"/login answered {response.status_code}: {response.text[:300]}")
        return response.headers["Location"]

    def authenticate(self, auth_uri: str, email: str, password: str,
                     mfa_code_provider: Callable[[], str] | None, *, stay_signed_in: bool = True) -> AppResponse:
        """Go through the emulator's pages; the response meant for the portal (not yet delivered)."""
        pages = SignInBrowser(self.http, self.emu.base_url)
        self.last_app_response = pages.sign_in(auth_uri, email=email, password=password,
                                               mfa_code=mfa_code_provider, stay_signed_in=stay_signed_in)
        return self.last_app_response

    def deliver(self, reply: AppResponse, **kwargs) -> requests.Response:
        """What the auto-submit page does: POST the form_post fields to the portal's callback."""
        if urlsplit(reply.url).netloc != urlsplit(self.portal.url).netloc:
            raise AssertionError(f"the authority answered to {reply.url}, not to {self.portal.url}")
        kwargs.setdefault("timeout", 30)
        if reply.mode == "form_post":
            return self.http.post(reply.url, data=reply.params, **kwargs)
        return self.http.get(reply.url, **kwargs)

    def sign_in(self, email: str, password: str, mfa_code_provider: Callable[[], str] | None, *,
                stay_signed_in: bool = True, next: str | None = None) -> requests.Response:  # noqa: A002
        """The whole sign-in: portal -> emulator pages -> form_post back; the portal's final page."""
        auth_uri = self.start_sign_in(next)
        reply = self.authenticate(auth_uri, email, password, mfa_code_provider, stay_signed_in=stay_signed_in)
        return self.deliver(reply)

    def sharing_cookies_with(self, portal: PortalServer) -> Browserless:
        """The same browser (same cookie jar) talking to another portal, e.g. another port on localhost."""
        other = Browserless(portal, self.emu)
        other.http.cookies = self.http.cookies
        return other

    def sign_out(self) -> requests.Response:
        """Confirm sign-out on /logout with the form's CSRF token (stops at the portal's redirect)."""
        form = self.get("/logout").text
        marker = 'name="csrf_token" value="'
        if marker not in form:
            raise AssertionError(f"no sign-out form on /logout: {form[:300]}")
        token = form.split(marker, 1)[1].split('"', 1)[0]
        return self.post("/logout", data={"csrf_token": token}, allow_redirects=False)

    def session_cookie(self) -> str | None:
        """The value of the portal's session cookie in this browser, if any."""
        for cookie in self.http.cookies:
            if cookie.name.endswith("portal_session"):
                return cookie.value
        return None
