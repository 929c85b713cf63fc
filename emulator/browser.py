"""A scripted browser for the emulator's sign-in pages, so tests (ours and the portal's) can sign in.

It follows redirects only while they stay on the emulator, fills each step's form, and stops at the
response meant for the app: a redirect to its redirect URI, or the auto-posting form_post page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests


@dataclass
class Form:
    """The first form of a page: its action, method and fields (hidden ones prefilled)."""

    action: str = ""
    method: str = "get"
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form: Form | None = None
        self.done = False
        self.text: list[str] = []
        self._skip = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._skip = tag in ("style", "script")
        if tag == "form" and self.form is None:
            self.form = Form(action=attrs.get("action", ""), method=(attrs.get("method") or "get").lower(),
                             name=attrs.get("name") or "")
        elif tag == "input" and self.form is not None and not self.done and attrs.get("type") == "hidden":
            self.form.fields[attrs.get("name", "")] = attrs.get("value", "")

    def handle_endtag(self, tag):
        self._skip = False
        if tag == "form":
            self.done = True

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def parse_form(html: str) -> tuple[Form | None, str]:
    """The first form of ``html`` and the page's visible text."""
    parser = _FormParser()
    parser.feed(html)
    return parser.form, " ".join(" ".join(parser.text).split())


@dataclass
class AppResponse:
    """What the emulator sent back to the app: where to, and the parameters (code/state or error)."""

    url: str
    params: dict[str, str]
    mode: str            # "query", "fragment" or "form_post"


class SignInError(AssertionError):
    """The pages did not lead back to the app (the page text says why)."""


class SignInBrowser:
    """Drives the emulator's pages through a ``requests.Session`` that keeps the emulator's cookies."""

    def __init__(self, http: requests.Session, emulator_base_url: str) -> None:
        self.http = http
        self.origin = emulator_base_url.rstrip("/")
        self.page_text = ""

    def open(self, url: str, *, method: str = "get", data: dict | None = None) -> AppResponse | str:
        """Request ``url``; follow emulator redirects; return the AppResponse, or the HTML of a page."""
        for _ in range(10):
            response = self.http.request(method, url, data=data, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                if not url.startswith(self.origin + "/"):
                    return _app_response(url)
                method, data = "get", None
                continue
            form, self.page_text = parse_form(response.text)
            # The emulator's form_post page (its form is named "hiddenform", as Entra's is).
            if form is not None and form.name == "hiddenform":
                return AppResponse(url=form.action, params=form.fields, mode="form_post")
            return response.text
        raise SignInError(f"too many redirects at {url}")

    def submit(self, html: str, **values: str) -> AppResponse | str:
        """Post the page's form with its hidden fields plus ``values``."""
        form, self.page_text = parse_form(html)
        if form is None:
            raise SignInError(f"no form on the page: {self.page_text[:300]}")
        return self.open(urljoin(self.origin + "/", form.action), method="post", data={**form.fields, **values})

    def sign_in(self, auth_uri: str, *, email: str, password: str, mfa_code: Callable[[], str] | None = None,
                stay_signed_in: bool = True) -> AppResponse:
        """Go through email, password, code and "Stay signed in?" as needed; return the app's response."""
        page = self.open(auth_uri)
        for _ in range(8):
            if isinstance(page, AppResponse):
                return page
            step = _step(page)
            if step == "email":
                page = self.submit(page, loginfmt=email)
            elif step == "password":
                page = self.submit(page, passwd=password)
            elif step == "mfa":
                if mfa_code is None:
                    raise SignInError("the account asks for an MFA code but no mfa_code was given")
                page = self.submit(page, otc=mfa_code())
            elif step == "kmsi":
                page = self.submit(page, kmsi="yes" if stay_signed_in else "no")
            else:
                raise SignInError(f"stuck on a page: {self.page_text[:300]}")
            if isinstance(page, str) and _step(page) == step:
                raise SignInError(f"the {step} step was refused: {self.page_text[:300]}")
        raise SignInError("the sign-in did not finish")


def _step(html: str) -> str:
    form, _ = parse_form(html)
    return form.fields.get("step", "") if form else ""


def _app_response(url: str) -> AppResponse:
    parts = urlsplit(url)
    if parts.fragment:
        return AppResponse(url=url, params=dict(parse_qsl(parts.fragment)), mode="fragment")
    return AppResponse(url=url, params=dict(parse_qsl(parts.query)), mode="query")
