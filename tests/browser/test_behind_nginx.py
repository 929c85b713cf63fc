"""The production shape, run: nginx (deploy/nginx/, rendered as an operator would) terminating TLS with a
certificate from a test CA, two gunicorn app servers behind it sharing Redis and PostgreSQL, and the emulator.
Headless Chromium signs in through https on the proxy, saves marks, and carries on when one app server is
killed mid-session. A second proxy in front of an app server that trusts no proxy hops shows what the setting does.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from emulator.testing import DEMO_PASSWORD, running_emulator
from tests.data.conftest import pg_server_url  # noqa: F401 - the fixture, by name
from tests.support.flows import microsoft_pages, seed_demo_data
from tests.support.nginx import running_nginx, site_values
from tests.support.pki import TestCA
from tests.support.servers import build_portal, free_port, private_redis
from tests.support.sql import temporary_database

pytestmark = pytest.mark.browser
EXAMINER = "examiner@wjec-appointees.co.uk"


@dataclass
class Stack:
    """The proxy's address and what stands behind it."""

    url: str
    proxy: object
    apps: list
    emu: object
    database_url: str


@pytest.fixture(scope="module")
def shape_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("behind-nginx")


@pytest.fixture(scope="module")
def pki(shape_dir):
    ca = TestCA(shape_dir / "pki")
    cert, key = ca.server_certificate("localhost", "127.0.0.1")
    return ca, cert, key


@pytest.fixture(scope="module")
def proxy_ports():
    return free_port(), free_port()


@pytest.fixture(scope="module")
def redis_url(shape_dir):
    """The Redis both app servers share, this module's own (sessions elsewhere of the same demo users stay apart)."""
    with private_redis(shape_dir) as server:
        yield server.url


@pytest.fixture(scope="module")
def shape_emu(shape_dir, proxy_ports):
    with running_emulator(shape_dir, test_mode=True, portal_url=f"https://localhost:{proxy_ports[0]}") as emu:
        yield emu


@pytest.fixture(scope="module")
def shared_database(pg_server_url):  # noqa: F811 - the imported fixture
    with temporary_database(pg_server_url, "portal_nginx_test") as url:
        yield url


def app_servers(emu, folder, redis_url, database_url, external_url, *, hops: str, names: tuple[str, ...]):
    """gunicorn app servers over plain http on loopback, as behind a proxy, sharing one secret key."""
    secret = uuid.uuid4().hex * 2
    return [build_portal(emu, folder, redis_url, port=free_port(), workers=1, name=name, https=False,
                         PORTAL_EXTERNAL_URL=external_url, PORTAL_TRUSTED_PROXY_HOPS=hops, DATABASE_URL=database_url,
                         PORTAL_SECRET_KEY=secret, GUNICORN_ACCESSLOG=str(folder / name / "access.log"))
            for name in names]


@pytest.fixture(scope="module")
def stack(shape_emu, shape_dir, redis_url, shared_database, pki, proxy_ports):
    ca, cert, key = pki
    https_port, http_port = proxy_ports
    external = f"https://localhost:{https_port}"
    apps = app_servers(shape_emu, shape_dir, redis_url, shared_database, external, hops="1",
                       names=("app-1", "app-2"))
    values = site_values(https_port=https_port, http_port=http_port, certificate=cert, key=key,
                         app_servers=tuple(f"127.0.0.1:{app.port}" for app in apps))
    try:
        for app in apps:
            app.start(ca_path=shape_emu.ca_path)
        seed_demo_data(apps[0])
        with running_nginx(shape_dir / "nginx", https_port, http_port, values) as proxy:
            yield Stack(url=external, proxy=proxy, apps=apps, emu=shape_emu, database_url=shared_database)
    finally:
        for app in apps:
            app.stop()


@pytest.fixture(autouse=True)
def _logs_on_failure(request):
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and "stack" in request.node.funcargs:
        shape = request.node.funcargs["stack"]
        print(shape.proxy.log_tail())
        for app in shape.apps:
            print(f"--- {app.log_path} ---\n{app.log_tail()}")


def requests_served(app) -> int:
    """How many requests an app server answered (lines of its gunicorn access log)."""
    access_log = app.log_path.parent / "access.log"
    return len(access_log.read_text().splitlines()) if access_log.exists() else 0


def kill(app) -> None:
    """Kill an app server at once, gunicorn's arbiter and workers (no graceful shutdown: a crash)."""
    os.killpg(app.process.pid, signal.SIGKILL)
    app.process.wait(timeout=10)


def sign_in(page, stack, email: str) -> list[str]:
    """Sign in through the proxy in Chromium; the authorize URLs the browser was sent to."""
    authorize = []
    page.on("request", lambda req: authorize.append(req.url) if "/oauth2/v2.0/authorize" in req.url else None)
    page.goto(stack.url + "/")
    page.record.snap("proxy-sign-in-page")
    page.get_by_role("link", name="Sign in as an Appointee").click()
    page.wait_for_url(stack.emu.base_url + "/**")
    microsoft_pages(page, stack.emu, email, DEMO_PASSWORD)
    page.wait_for_url(stack.url + "/services")
    page.record.snap("proxy-services")
    return authorize


def enter_marks(page, stack, values: list[str], *, start: int) -> None:
    page.goto(stack.url + "/emi/")
    page.locator("tr[data-allocation]", has_text="9522/01").get_by_test_id("enter").click()
    fields = page.locator("input.mark")
    for offset, value in enumerate(values):
        fields.nth(start + offset).fill(value)
    page.get_by_role("button", name="Save draft").first.click()
    expect(page.get_by_test_id("notice")).to_contain_text("saved as a draft")


def test_signs_in_through_tls_on_the_proxy_saves_marks_and_survives_losing_an_app_server(page, stack):
    authorize = sign_in(page, stack, EXAMINER)

    # The authority was asked to answer to the https address on the proxy, and saw exactly that.
    callback = stack.url + "/auth/callback"
    assert [parse_qs(urlsplit(url).query)["redirect_uri"][0] for url in authorize] == [callback]
    assert {grant.redirect_uri for grant in stack.emu.state.store.codes.values()} == {callback}
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    session = cookies["__Host-portal_session"]
    assert session["secure"] and session["httpOnly"] and session["path"] == "/"
    assert session["domain"] == "localhost" and session["sameSite"] == "Lax"  # host-only: no Domain attribute
    assert cookies["__Host-portal_flow"]["secure"] and cookies["__Host-portal_flow"]["sameSite"] == "None"
    assert all(cookie["secure"] for name, cookie in cookies.items() if "portal" in name)

    enter_marks(page, stack, ["12", "A", "33"], start=0)
    page.record.snap("proxy-marks-saved")
    served_before = [requests_served(app) for app in stack.apps]
    assert all(count > 0 for count in served_before), f"nginx used only one app server: {served_before}"

    kill(stack.apps[0])
    enter_marks(page, stack, ["7", "8"], start=3)  # the same session, served by the app server left
    page.record.snap("proxy-marks-saved-after-kill")
    page.reload()
    fields = page.locator("input.mark")
    assert [fields.nth(i).input_value() for i in range(5)] == ["12", "A", "33", "7", "8"]
    assert page.goto(stack.url + "/services").status == 200
    assert requests_served(stack.apps[1]) > served_before[1]
    # nginx did try the dead one, and moved the request on (a failover, not luck of the round robin).
    refused = "Connection refused) while connecting to upstream"
    assert any(refused in line and f":{stack.apps[0].port}/" in line
               for line in (stack.proxy.folder / "error.log").read_text().splitlines())
    with create_engine(stack.database_url).connect() as conn:  # saved in the shared PostgreSQL
        assert conn.execute(text("SELECT count(*) FROM mark")).scalar() >= 5


def test_the_proxy_serves_tls_from_its_certificate_hsts_and_redirects_plain_http(stack, pki):
    ca, _, _ = pki
    with requests.Session() as http:
        http.trust_env = False
        answer = http.get(stack.url + "/", verify=str(ca.ca_path), timeout=15)
        plain = http.get(f"http://127.0.0.1:{stack.proxy.http_port}/emi/?x=1", allow_redirects=False, timeout=15)

    assert answer.status_code == 200
    assert answer.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert plain.status_code == 301 and plain.headers["Location"] == stack.url + "/emi/?x=1"


def test_an_unknown_host_name_gets_no_tls_handshake(stack):
    # No certificate checks on our side: only nginx's refusal can fail the handshake.
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE

    def handshake(name: str) -> None:
        with socket.create_connection(("127.0.0.1", stack.proxy.https_port), timeout=10) as raw:
            context.wrap_socket(raw, server_hostname=name).close()

    handshake("localhost")
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME|unrecognized name"):
        handshake("evil.example")


def test_static_files_come_from_nginx_even_with_every_app_server_down(stack, pki):
    ca, _, _ = pki
    for app in stack.apps:
        if app.process.poll() is None:
            kill(app)
    with requests.Session() as http:
        http.trust_env = False
        css = http.get(stack.url + "/static/portal.css", verify=str(ca.ca_path), timeout=15)
        page = http.get(stack.url + "/services", verify=str(ca.ca_path), timeout=15)

    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert "max-age=3600" in css.headers["Cache-Control"] and css.headers["X-Content-Type-Options"] == "nosniff"
    assert page.status_code == 502


@pytest.fixture(scope="module")
def untrusting_stack(shape_emu, shape_dir, redis_url, shared_database, pki):
    """The same proxy in front of an app server left at PORTAL_TRUSTED_PROXY_HOPS=0."""
    ca, cert, key = pki
    https_port, http_port = free_port(), free_port()
    external = f"https://localhost:{https_port}"
    (app,) = app_servers(shape_emu, shape_dir, redis_url, shared_database, external, hops="0", names=("app-0-hops",))
    values = site_values(https_port=https_port, http_port=http_port, certificate=cert, key=key,
                         app_servers=(f"127.0.0.1:{app.port}", f"127.0.0.1:{app.port}"))
    app.start(ca_path=shape_emu.ca_path)
    try:
        with running_nginx(shape_dir / "nginx-0-hops", https_port, http_port, values) as proxy:
            yield Stack(url=external, proxy=proxy, apps=[app], emu=shape_emu, database_url=shared_database)
    finally:
        app.stop()


def test_without_trusted_proxy_hops_the_same_stack_gets_it_wrong(page, untrusting_stack):
    stack = untrusting_stack
    codes_before = len(stack.emu.state.store.codes)
    authorize = []
    page.on("request", lambda req: authorize.append(req.url) if "/oauth2/v2.0/authorize" in req.url else None)

    response = page.goto(stack.url + "/login")
    page.record.snap("zero-hops-refused")

    # The app server saw plain http from nginx and, trusting no X-Forwarded-Proto, could not know better.
    assert response.status == 400
    expect(page.locator("main")).to_contain_text("only works over a secure (https) connection")
    assert authorize == [] and len(stack.emu.state.store.codes) == codes_before
    assert not [cookie["name"] for cookie in page.context.cookies() if "portal" in cookie["name"]]
    assert "portal.trusted_proxy_hops" in stack.apps[0].log_tail()
