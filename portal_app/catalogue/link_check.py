"""The link-check page for admins: every external link of the catalogue, and whether it answers.

Each link is tried with HEAD (GET when a server refuses HEAD), a short timeout, in parallel on a small thread
pool, so a page of dead links still answers in seconds. Redirects are followed and reported as where they end.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

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


def check_link(http: requests.Session, url: str) -> tuple[int | None, str]:
    """(status, detail) for ``url``: HEAD first, GET if the server does not allow HEAD."""
    try:
        response = http.head(url, timeout=TIMEOUT_SECONDS, allow_redirects=True)
        if response.status_code in (405, 501):
            response = http.get(url, timeout=TIMEOUT_SECONDS, allow_redirects=True, stream=True)
            response.close()  # the status is enough; never download the body
    except requests.Timeout:
        return None, Message(N_("no answer within %(seconds)s seconds"), seconds=f"{TIMEOUT_SECONDS:g}")
    except requests.RequestException as exc:
        return None, Message(N_("could not connect (%(error)s)"), error=type(exc).__name__)
    return response.status_code, _detail(response)


def _detail(response: requests.Response) -> str:
    """The reason phrase (translatable when it is the standard one), and where redirects ended."""
    reason = response.reason or ""
    if reason and reason == REASONS.get(response.status_code):
        reason = Message(reason)
    if not response.history:
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
