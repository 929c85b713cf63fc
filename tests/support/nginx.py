"""nginx for tests: the shipped deploy/nginx/appointee-portal.conf.template, rendered with a test's values and
run as the current user on free loopback ports (Debian's nginx package; scripts/setup installs it).

    with running_nginx(folder, values) as proxy:
        requests.get(proxy.url + "/healthz", verify=ca_path)
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import REPO_ROOT

TEMPLATE = REPO_ROOT / "deploy" / "nginx" / "appointee-portal.conf.template"
# The names the template's envsubst line lists; a test fails if the template grows or loses one unnoticed.
VARIABLES = ("PORTAL_EXTERNAL_URL", "PORTAL_SERVER_NAME", "PORTAL_HTTPS_LISTEN", "PORTAL_HTTP_LISTEN",
             "PORTAL_TLS_CERTIFICATE", "PORTAL_TLS_KEY", "PORTAL_APP_SERVER_1", "PORTAL_APP_SERVER_2",
             "PORTAL_STATIC_ROOT")


def nginx_binary() -> str:
    """Debian's nginx; missing means a broken setup (fail, never skip: CI must run this test)."""
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if path is None:
        pytest.fail("nginx is missing: the proxy test runs Debian's nginx package. Install it with "
                    "`sudo apt-get install nginx` (scripts/setup does this when run as root).", pytrace=False)
    return path


def render_site(values: dict[str, str]) -> str:
    """The template with each ``${NAME}`` replaced, as ``envsubst`` with the template's name list does."""
    text = TEMPLATE.read_text(encoding="utf-8")
    assert set(values) == set(VARIABLES), f"give exactly {VARIABLES}"
    for name in VARIABLES:
        assert "${" + name + "}" in text, f"the template no longer uses ${{{name}}}"
        text = text.replace("${" + name + "}", values[name])
    leftover = [line for line in text.splitlines() if "${" in line and not line.lstrip().startswith("#")]
    assert not leftover, f"unrendered placeholders: {leftover}"
    return text


def main_config(folder: Path, site: Path) -> str:
    """The http{} frame Debian's /etc/nginx/nginx.conf would give, with every file inside ``folder``."""
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""  # as root, workers would become nobody
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                             "uwsgi", "scgi"))
    return f"""{user}worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / 'access.log'};
{temp}
    include {site};
}}
"""


@dataclass
class NginxServer:
    folder: Path
    https_port: int
    http_port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def log_tail(self, lines: int = 30) -> str:
        parts = []
        for name in ("error.log", "access.log"):
            path = self.folder / name
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else ["(none)"]
            parts.append(f"--- nginx {name} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def start(self, values: dict[str, str], timeout: float = 15) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        site = self.folder / "appointee-portal.conf"
        site.write_text(render_site(values))
        conf = self.folder / "nginx.conf"
        conf.write_text(main_config(self.folder, site))
        command = [nginx_binary(), "-p", str(self.folder), "-e", str(self.folder / "error.log"), "-c", str(conf)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the rendered config:\n{checked.stderr}")
        self.process = subprocess.Popen([*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited while starting:\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not listen on {self.https_port}:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGQUIT)  # graceful shutdown
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@contextmanager
def running_nginx(folder: Path, https_port: int, http_port: int, values: dict[str, str]) -> Iterator[NginxServer]:
    server = NginxServer(folder=Path(folder), https_port=https_port, http_port=http_port)
    server.start(values)
    try:
        yield server
    finally:
        server.stop()


def site_values(*, https_port: int, http_port: int, certificate: Path, key: Path,
                app_servers: tuple[str, str]) -> dict[str, str]:
    """What an operator would fill in, for a proxy on loopback in front of ``app_servers``."""
    return {
        "PORTAL_EXTERNAL_URL": f"https://localhost:{https_port}",
        "PORTAL_SERVER_NAME": "localhost",
        "PORTAL_HTTPS_LISTEN": f"127.0.0.1:{https_port}",
        "PORTAL_HTTP_LISTEN": f"127.0.0.1:{http_port}",
        "PORTAL_TLS_CERTIFICATE": str(certificate),
        "PORTAL_TLS_KEY": str(key),
        "PORTAL_APP_SERVER_1": app_servers[0],
        "PORTAL_APP_SERVER_2": app_servers[1],
        "PORTAL_STATIC_ROOT": str(REPO_ROOT / "static"),
    }
