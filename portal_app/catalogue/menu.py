"""Which services a user sees, grouped for the All Services menu, with search and My Favourites.

Free of Flask: the caller passes the user's permissions, the portal's endpoints, today's date and the
favourites, so every filtering rule is testable without a request.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from auth.permissions import Permission
from portal_app.catalogue.model import Catalogue, Service, localized

FAVOURITES = "favourites"
MAX_QUERY_LENGTH = 100
FAVOURITES_TITLE = {"en": "My Favourites", "cy": "Fy Ffefrynnau"}


@dataclass(frozen=True)
class MenuSection:
    """One group of the menu: a category, or My Favourites."""

    id: str
    title: str
    services: tuple[Service, ...]


def visible_services(catalogue: Catalogue, permissions: Collection[Permission], endpoints: Collection[str],
                     today: date) -> list[Service]:
    """Services this user may open today: permission held, not retired, and (if internal) the page exists.

    The endpoint check repeats the start-up check on purpose: a menu must never offer a page that 404s.
    """
    return [s for s in catalogue.services
            if s.permission in permissions and not s.retired_on(today)
            and (s.external or s.endpoint in endpoints)]


def normalise_query(raw: str | None) -> str:
    """The search words as typed, trimmed and bounded (a query string is user input)."""
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def matches(service: Service, query: str) -> bool:
    """True when every word of ``query`` appears in the title or description, in English or Welsh."""
    haystack = " ".join((service.title, service.title_cy, service.description, service.description_cy,
                         service.heading or "")).casefold()
    return all(word in haystack for word in query.casefold().split())


def build_menu(catalogue: Catalogue, services: Iterable[Service], *, favourites: Sequence[str] = (),
               query: str = "", lang: str = "en") -> list[MenuSection]:
    """My Favourites first (when the user has any), then each category in order; empty groups are dropped.

    ``services`` must already be the user's visible services: search only ever narrows them.
    """
    shown = [s for s in services if matches(s, query)] if query else list(services)
    by_id = {s.id: s for s in shown}
    sections = []
    starred = tuple(by_id[i] for i in favourites if i in by_id)
    if starred:
        sections.append(MenuSection(FAVOURITES, FAVOURITES_TITLE.get(lang, FAVOURITES_TITLE["en"]), starred))
    for category in catalogue.categories:
        in_category = tuple(s for s in shown if s.category == category.id)
        if in_category:
            sections.append(MenuSection(category.id, localized(category, lang).title, in_category))
    return sections
