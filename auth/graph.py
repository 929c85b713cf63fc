"""Group memberships from Microsoft Graph, for tokens in "groups overage" (too many groups to list).

Only the configured Graph host is ever called: the ``_claim_sources`` endpoint written inside the token is
ignored, and a ``@odata.nextLink`` pointing anywhere else is refused, so neither a token nor a response can
send the user's access token to another server. Every failure is ``GraphUnavailable``: fail closed.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import requests

from auth.errors import AuthError
from auth.http import get_json
from auth.problems import GUID
from auth.text import N_

log = logging.getLogger(__name__)

MEMBER_OF_PATH = "/v1.0/me/transitiveMemberOf?$select=id"
# Graph pages hold 100 objects by default: 50 pages is 5,000 memberships, far past any appointee's.
MAX_PAGES = 50
MAX_PAGE_BYTES = 1024 * 1024
_GROUP_TYPE = "#microsoft.graph.group"


class GraphUnavailable(AuthError):
    """Microsoft Graph did not give a usable list of the user's groups."""

    error = "temporarily_unavailable"
    status_code = 503
    description = N_("We could not check your group memberships with Microsoft. Please try again shortly.")


def fetch_member_group_ids(
    access_token: str,
    *,
    graph_base_url: str,
    http: requests.Session,
    timeout: float = 10,
    max_pages: int = MAX_PAGES,
) -> list[str]:
    """The object ids of every group the signed-in user belongs to, directly or through nested groups."""
    origin = _origin(graph_base_url)
    if origin is None or origin[0] != "https":
        raise GraphUnavailable(
            f"graph_base_url {graph_base_url!r} is not an https URL: fix the configuration"
        )
    url = graph_base_url.rstrip("/") + MEMBER_OF_PATH
    group_ids: list[str] = []
    for _page in range(max_pages):
        page = _get_page(url, access_token, http, timeout)
        group_ids.extend(_group_ids(page, url))
        next_url = _next_link(page, origin)
        if next_url is None:
            return list(dict.fromkeys(group_ids))
        url = next_url
    raise GraphUnavailable(f"group memberships run past {max_pages} pages; refusing an incomplete list")


def _origin(url: object) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of ``url``, lower-cased, or None if it is not an absolute http(s) URL."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    return (parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80))


def _get_page(url: str, access_token: str, http: requests.Session, timeout: float) -> dict[str, Any]:
    """GET one page of results as a JSON object."""
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    # No redirects: a 3xx elsewhere would carry the request (and the token) off the Graph host.
    page = get_json(http, url, what="Graph request", shown_url=_safe(url), max_bytes=MAX_PAGE_BYTES,
                    error=GraphUnavailable, headers=headers, timeout=timeout, allow_redirects=False)
    if not isinstance(page, dict) or not isinstance(page.get("value"), list):
        raise GraphUnavailable(f"Graph page at {_safe(url)} has no 'value' list")
    return page


def _group_ids(page: dict[str, Any], url: str) -> list[str]:
    """The group ids on one page; directory roles and administrative units are skipped."""
    ids = []
    for item in page["value"]:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not GUID.match(item["id"]):
            raise GraphUnavailable(f"Graph page at {_safe(url)} lists an object without a valid id")
        if item.get("@odata.type", _GROUP_TYPE) == _GROUP_TYPE:
            ids.append(item["id"].lower())
    return ids


def _next_link(page: dict[str, Any], origin: tuple[str, str, int | None]) -> str | None:
    """The next page's URL, only if it is on the configured Graph host."""
    link = page.get("@odata.nextLink")
    if link is None:
        return None
    if _origin(link) != origin:
        log.warning(
            "Graph returned a nextLink to %s, not the configured Graph host: refusing to send the user's "
            "token there. Check graph_base_url and any proxy in front of Graph.",
            _safe(link),
        )
        raise GraphUnavailable("Graph nextLink points away from the configured Graph host")
    return link


def _safe(url: object) -> str:
    """``url`` without its query string, for logs (skip tokens and filters can be long or sensitive)."""
    if not isinstance(url, str):
        return repr(url)
    return url.split("?", 1)[0][:200]
