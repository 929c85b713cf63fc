"""Multi-step flows for the e2e and browser suites: AMP sign-in, following silent attempts, stored sessions.

Complements ``tests.support.servers`` (which starts the servers) with what issue 6's tests do across them:

    sign_in_to_amp(browser, EXAMINER, DEMO_PASSWORD, mfa_codes(emu, EXAMINER))
    trip = follow(browser, "/emi/")          # every hop, including the authority's form_post back
    assert trip.final.url.endswith("/emi/") and trip.authorize_requests == 1
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import msgspec
import redis
import requests

from emulator.browser import SignInBrowser, parse_form
from tests.support.servers import REPO_ROOT, Browserless, PortalServer

SESSION_KEY_PREFIX = "portal:session:"
HTML = {"Accept": "text/html,application/xhtml+xml"}


@dataclass
class Trip:
    """Where a browser went after opening one portal page: each URL in order, and the final response."""

    urls: list[str] = field(default_factory=list)
    final: requests.Response | None = None

    @property
    def authorize_requests(self) -> list[str]:
        return [url for url in self.urls if "/oauth2/v2.0/authorize" in url]

    def query_of(self, url: str) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def follow(browser: Browserless, path: str, *, headers: dict | None = None, max_hops: int = 12) -> Trip:
    """GET ``path`` as a browser with JavaScript would: follow redirects and auto-submitting form_post pages."""
    trip = Trip()
    method, url, data = "get", urljoin(browser.portal.url, path), None
    for _ in range(max_hops):
        trip.urls.append(url)
        response = browser.http.request(method, url, data=data, headers=headers or HTML, allow_redirects=False,
                                         timeout=15)
        if response.is_redirect:
            method, url, data = "get", urljoin(url, response.headers["Location"]), None
            continue
        form, _ = parse_form(response.text)
        if form is not None and form.name == "hiddenform":  # the authority's auto-posting form_post page
            method, url, data = "post", urljoin(url, form.action), form.fields
            continue
        trip.final = response
        return trip
    raise AssertionError(f"more than {max_hops} hops: {trip.urls}")


def sign_in_to_amp(browser: Browserless, email: str, password: str, mfa_code: Callable[[], str] | None, *,
                   stay_signed_in: bool = True) -> requests.Response:
    """Sign in at the emulator's AMP app in this browser (so the tenant has an SSO session for it)."""
    amp = browser.emu.base_url + "/amp/"
    start = browser.http.get(amp + "login", allow_redirects=False, timeout=15)
    if start.status_code != 302:
        raise AssertionError(f"AMP's /amp/login answered {start.status_code}")
    reply = SignInBrowser(browser.http, browser.emu.base_url).sign_in(
        start.headers["Location"], email=email, password=password, mfa_code=mfa_code, stay_signed_in=stay_signed_in)
    page = browser.http.post(reply.url, data=reply.params, timeout=15)
    if "Signed in to AMP as" not in page.text:
        raise AssertionError(f"AMP did not sign in: {page.text[:300]}")
    return page


def sign_out_of_amp(browser: Browserless) -> requests.Response:
    """Press AMP's Sign out: the emulator's signed-out page, listing the front-channel frames (not loaded)."""
    amp = browser.emu.base_url + "/amp/"
    csrf = browser.http.get(amp, timeout=15).text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    return browser.http.post(amp + "logout", data={"csrf": csrf}, timeout=15)


def frontchannel_urls(signed_out_page: str) -> list[str]:
    """The iframe addresses on the emulator's "You signed out" page."""
    urls = []
    for chunk in signed_out_page.split('<iframe src="')[1:]:
        urls.append(chunk.split('"', 1)[0].replace("&amp;", "&"))
    return urls


def sso_sessions(emu) -> list[dict]:
    """The emulator's live SSO sessions (test mode)."""
    with emu.http_session() as http:
        return http.get(emu.base_url + "/_test/sessions", timeout=10).json()["sessions"]


def end_sso_session(emu, sid: str) -> None:
    """End an SSO session at the emulator: its refresh tokens are revoked, as when an admin revokes sessions."""
    with emu.http_session() as http:
        http.post(f"{emu.base_url}/_test/sessions/{sid}/end", timeout=10).raise_for_status()


def stored_session(redis_url: str, session_id: str) -> dict | None:
    """The portal's server-side session (msgpack in Redis), or None if it is gone."""
    client = redis.Redis.from_url(redis_url)
    try:
        raw = client.get(SESSION_KEY_PREFIX + session_id)
        return None if raw is None else msgspec.msgpack.decode(raw)
    finally:
        client.close()


def edit_stored_session(redis_url: str, session_id: str, **changes) -> None:
    """Change keys of a stored session in place (keeping its TTL): time travel the portal cannot see."""
    data = stored_session(redis_url, session_id)
    if data is None:
        raise AssertionError(f"no stored session {session_id}")
    data.update(changes)
    client = redis.Redis.from_url(redis_url)
    try:
        client.set(SESSION_KEY_PREFIX + session_id, msgspec.msgpack.encode(data), keepttl=True)
    finally:
        client.close()


def seed_demo_data(portal: PortalServer) -> None:
    """Load the demo components, candidates and samples into the portal's database (idempotent)."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "portal", "seed-demo"], cwd=REPO_ROOT,
                          env=portal.env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"`portal seed-demo` failed:\n{done.stdout}\n{done.stderr}")


# --- Chromium (Playwright) ------------------------------------------------------------------------------------


def microsoft_pages(page, emu, email: str, password: str, *, stay_signed_in: bool | None = True) -> None:
    """Fill the emulator's sign-in pages in Chromium, from the email page to "Stay signed in?".

    ``stay_signed_in=None`` stops before answering "Stay signed in?" (or before MFA for a refused user).
    """
    from tests.support.servers import mfa_codes

    page.fill("#loginfmt", email)
    page.click("#idSIButton9")
    page.wait_for_selector("#passwd")
    page.record.snap("microsoft-password")
    page.fill("#passwd", password)
    page.click("#idSIButton9")
    if stay_signed_in is None:
        return
    codes = mfa_codes(emu, email)
    if codes is not None:
        page.wait_for_selector("#idTxtBx_SAOTCC_OTC")
        page.record.snap("microsoft-mfa")
        page.fill("#idTxtBx_SAOTCC_OTC", codes())
        page.click("#idSubmit_SAOTCC_Continue")
    page.wait_for_selector("text=Stay signed in?")
    page.record.snap("microsoft-stay-signed-in")
    page.click("#idSIButton9" if stay_signed_in else "#idBtn_Back")


def sign_in_to_portal_with_chromium(page, portal: PortalServer, emu, email: str, password: str, *,
                                    stay_signed_in: bool = True) -> None:
    """From the portal's sign-in page through Microsoft's pages back to /services."""
    page.goto(portal.url + "/")
    page.record.snap("portal-sign-in")
    page.get_by_role("link", name="Sign in as an Appointee").click()
    page.wait_for_url(emu.base_url + "/**")
    page.record.snap("microsoft-email")
    microsoft_pages(page, emu, email, password, stay_signed_in=stay_signed_in)
    page.wait_for_url(portal.url + "/services")
    page.record.snap("portal-services")


def sign_in_to_amp_with_chromium(page, emu, email: str, password: str, *, stay_signed_in: bool = True) -> None:
    """Sign in at AMP (/amp/) in Chromium; needs no pages at all when the tenant session exists already."""
    page.goto(emu.base_url + "/amp/")
    page.record.snap("amp-signed-out")
    page.click("#sign-in")
    if not page.url.startswith(emu.base_url + "/amp/"):
        page.wait_for_selector("#loginfmt, #signed-in")
        if page.locator("#loginfmt").count():
            page.record.snap("microsoft-email")
            microsoft_pages(page, emu, email, password, stay_signed_in=stay_signed_in)
    page.wait_for_selector("#signed-in")
    page.record.snap("amp-signed-in")


def restarted_context(playwright_browser, context, *, forget: tuple[str, ...] = ()):
    """A new context holding only ``context``'s persistent cookies: what a browser keeps across a restart.

    Session cookies (no expiry) are dropped, and so are the cookies named in ``forget``.
    """
    kept = [c for c in context.cookies() if c["expires"] not in (-1, None) and c["name"] not in forget]
    fresh = playwright_browser.new_context(ignore_https_errors=True)
    fresh.set_default_timeout(15_000)
    for cookie in kept:
        cookie = dict(cookie)
        if cookie["name"].startswith("__Host-"):  # no Domain attribute allowed: set it through the URL
            cookie["url"] = f"https://{cookie.pop('domain')}/"
            cookie.pop("path")
        fresh.add_cookies([cookie])
    return fresh, kept
