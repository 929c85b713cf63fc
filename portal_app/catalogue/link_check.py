"""The link-check page for admins: every external link of the catalogue, and whether it answers.

Each link is tried with HEAD (GET when a server refuses HEAD), a short timeout, in parallel on a small thread
pool, so a page of dead links still answers in seconds. Redirects are followed, at most ``MAX_REDIRECTS`` of
them, and reported as where they end; but never to a loopback, private, link-local or otherwise internal
address (issue 13): a service link that redirects there would make the portal a blind probe into the network
it sits in. The links themselves are configuration, trusted as written; where they redirect is not. (A name is
checked by resolving it; one that does not resolve cannot be connected to either.)
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from flask import Blueprint, render_template

from auth.permissions import Permission
from portal_app.catalogue.model import Service
from portal_app.catalogue.source import current_catalogue
from portal_app.data.messages import N_, Message
from portal_app.signin.gate import require_permission

bp = Blueprint("link_check", __name__, url_prefix="/admin/link-check")
TIMEOUT_SECONDS = 3.0
WORKERS = 8
USER_AGENT = "WJEC-Portal-LinkCheck/1"
MAX_REDIRECTS = 5
# The standard reason phrases of the statuses a checked link ends on, marked for translation; a server's own
# wording is shown as it sent it. (Redirects are followed, so 3xx phrases never show.)
REASONS = {
    200: N_("OK"), 400: N_("Bad Request"), 401: N_("Unauthorized"), 403: N_("Forbidden"), 404: N_("Not Found"),
    405: N_("Method Not Allowed"), 410: N_("Gone"), 429: N_("Too Many Requests"), 500: N_("Internal Server Error"),
    502: N_("Bad Gateway"), 503: N_("Service Unavailable"), 504: N_("Gateway Timeout"),
}


@dataclass(frozen=True)
class LinkStatus:
    """What one external link answered: an HTTP status, or why there was none."""

    service: Service
    status: int | None
    detail: str  # often a Message: the page translates it (checks run on worker threads, outside the request)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


class _RedirectRefused(Exception):
    def __init__(self, detail: Message) -> None:
        super().__init__(str(detail))
        self.detail = detail


def check_link(http: requests.Session, url: str) -> tuple[int | None, str]:
    """(status, detail) for ``url``: HEAD first, GET if the server does not allow HEAD."""
    try:
        response, redirected = _follow(http, "HEAD", url)
        if response.status_code in (405, 501):
            response, redirected = _follow(http, "GET", url)
    except _RedirectRefused as refused:
        return None, refused.detail
    except requests.Timeout:
        return None, Message(N_("no answer within %(seconds)s seconds"), seconds=f"{TIMEOUT_SECONDS:g}")
    except requests.RequestException as exc:
        return None, Message(N_("could not connect (%(error)s)"), error=type(exc).__name__)
    return response.status_code, _detail(response, redirected)


def _follow(http: requests.Session, method: str, url: str) -> tuple[requests.Response, bool]:
    """The answer at the end of ``url``'s redirects (each checked before it is followed), and whether any were."""
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        # GET streams: the status is enough, the body is never downloaded.
        response = http.request(method, current, timeout=TIMEOUT_SECONDS, allow_redirects=False,
                                stream=method == "GET")
        response.close()
        location = response.headers.get("Location") if response.is_redirect else None
        if location is None:
            return response, hop > 0
        current = urljoin(current, location)
        refusal = _internal_target(current)
        if refusal is not None:
            raise _RedirectRefused(refusal)
    raise _RedirectRefused(Message(N_("more than %(count)s redirects"), count=str(MAX_REDIRECTS)))


def _internal_target(url: str) -> Message | None:
    """Why a redirect to ``url`` is not followed (not http(s), or an internal address), or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("http", "https") or not host:
        return Message(N_("redirect to %(url)s not followed"), url=url[:200])
    if host == "localhost" or host.endswith(".localhost"):
        return Message(N_("redirect to an internal address (%(host)s) not followed"), host=host)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(info[4][0].split("%")[0])
                         for info in socket.getaddrinfo(host, parts.port or None, proto=socket.IPPROTO_TCP)]
        except (OSError, UnicodeError, ValueError):
            return None  # does not resolve: the request itself will fail to connect
    for address in addresses:
        if _internal(address):
            return Message(N_("redirect to an internal address (%(host)s) not followed"), host=host)
    return None


def _internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return (address.is_loopback or address.is_private or address.is_link_local or address.is_reserved
            or address.is_multicast or address.is_unspecified or not address.is_global)


def _detail(response: requests.Response, redirected: bool) -> str:
    """The reason phrase (translatable when it is the standard one), and where redirects ended."""
    reason = response.reason or ""
    if reason and reason == REASONS.get(response.status_code):
        reason = Message(reason)
    if not redirected:
        return reason
    if not reason:
        return Message(N_("after redirect to %(url)s"), url=response.url)
    return Message(N_("%(reason)s after redirect to %(url)s"), reason=reason, url=response.url)


def check_links(services: list[Service]) -> list[LinkStatus]:
    """The status of each service's external URL, checked in parallel, in the services' order."""
    with requests.Session() as http, ThreadPoolExecutor(max_workers=WORKERS) as pool:
        http.headers["User-Agent"] = USER_AGENT
        results = list(pool.map(lambda s: check_link(http, s.url), services))
    return [LinkStatus(service, status, detail) for service, (status, detail) in zip(services, results, strict=True)]


@bp.get("/")
@require_permission(Permission.ADMIN_LINK_CHECK)
def index():
    """Every external link in config/services.toml (retired ones too: they may still be bookmarked)."""
    services = [s for s in current_catalogue().services if s.external]
    statuses = check_links(services)
    return render_template("link_check.html", statuses=statuses,
                           broken=sum(1 for status in statuses if not status.ok))
