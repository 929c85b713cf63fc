"""The All Services catalogue: categories and services as operations staff define them in config/services.toml.

``Catalogue.load`` checks every key and reports all problems at once (file, key, fix), in the style of
``auth.roles``. Which services a user sees is decided in ``portal_app.catalogue.menu``; reloading on edit
and the start-up check of internal endpoints live in ``portal_app.catalogue.source``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from auth.permissions import Permission
from auth.problems import ConfigProblem, ConfigProblems, ProblemCollector

LANGUAGES = ("en", "cy")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ENDPOINT = re.compile(r"^[A-Za-z_][\w.]*$")
CATEGORY_KEYS = {"id", "title", "title_cy", "order"}
SERVICE_KEYS = {"id", "title", "title_cy", "category", "description", "description_cy", "heading", "heading_cy",
                "endpoint", "url", "permission", "new", "retires"}


class CatalogueError(ConfigProblems):
    """``config/services.toml`` cannot be used; ``problems`` lists every problem found, not just the first."""

    heading = "the services catalogue is invalid"


@dataclass(frozen=True)
class Category:
    """A group of the All Services menu, shown in ``order`` (lowest first)."""

    id: str
    title: str
    title_cy: str
    order: int


@dataclass(frozen=True)
class Service:
    """One entry of the menu: where it leads (an internal ``endpoint`` or an https ``url``) and who sees it."""

    id: str
    title: str
    title_cy: str
    category: str
    description: str
    description_cy: str
    permission: Permission
    endpoint: str | None = None
    url: str | None = None
    heading: str | None = None
    heading_cy: str | None = None
    new: bool = False
    retires: date | None = None

    @property
    def external(self) -> bool:
        return self.url is not None

    def retired_on(self, today: date) -> bool:
        """True from the retirement date on: the service then disappears from every menu."""
        return self.retires is not None and today >= self.retires


class Text(NamedTuple):
    """A title, description and sub-heading in one language."""

    title: str
    description: str
    heading: str = ""


def localized(item: Service | Category, lang: str = "en") -> Text:
    """The Welsh title (description, heading) when ``lang`` is ``cy``, else English; English if Welsh is blank."""
    welsh = lang == "cy"
    title = (item.title_cy if welsh else "") or item.title
    if isinstance(item, Category):
        return Text(title, "")
    return Text(title, (item.description_cy if welsh else "") or item.description,
                (item.heading_cy if welsh else "") or item.heading or "")


@dataclass(frozen=True)
class Catalogue:
    """The validated content of ``config/services.toml``: categories in order, services in file order."""

    categories: tuple[Category, ...]
    services: tuple[Service, ...]

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    @classmethod
    def load(cls, path: str | os.PathLike[str], endpoints: Collection[str] | None = None) -> Catalogue:
        """Read and validate ``path``; internal endpoints are checked against ``endpoints`` when given."""
        file = str(path)
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise CatalogueError([ConfigProblem(file, "(file)", f"cannot be read ({exc.strerror})",
                                                "create it from config/services.toml or set services.file")]) from None
        except UnicodeDecodeError:
            raise CatalogueError([ConfigProblem(file, "(encoding)", "is not UTF-8 text",
                                                "save the file as UTF-8 (Welsh titles need it)")]) from None
        except tomllib.TOMLDecodeError as exc:
            raise CatalogueError([ConfigProblem(file, "(syntax)", f"is not valid TOML ({exc})",
                                                "fix the syntax at the line named")]) from None
        return cls.from_data(data, file=file, endpoints=endpoints)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, file: str = "<memory>",
                  endpoints: Collection[str] | None = None) -> Catalogue:
        """Validate parsed TOML; raises ``CatalogueError`` naming ``file`` with every problem found."""
        problems = ProblemCollector(file)
        for key in sorted(data.keys() - {"categories", "services"}):
            problems.add(key, "is not a known section", "use only [[categories]] and [[services]]")
        categories = _parse_categories(data.get("categories"), problems)
        services = _parse_services(data.get("services"), {c.id for c in categories}, endpoints, problems)
        if problems.items:
            raise CatalogueError(problems.items)
        return cls(tuple(sorted(categories, key=lambda c: c.order)), tuple(services))


def _tables(section: object, name: str, problems: ProblemCollector) -> list[tuple[str, Mapping[str, Any]]]:
    """The ``[[name]]`` tables with their keys (``name[3]``); a missing or empty section is a problem."""
    if not isinstance(section, list) or not section:
        problems.add(name, "is missing or empty", f"add at least one [[{name}]] table")
        return []
    tables = []
    for index, table in enumerate(section):
        if isinstance(table, Mapping):
            tables.append((f"{name}[{index}]", table))
        else:
            problems.add(f"{name}[{index}]", "is not a table", f"write each entry as a [[{name}]] table")
    return tables


def _unknown_keys(table: Mapping[str, Any], key: str, known: set[str], problems: ProblemCollector) -> None:
    for extra in sorted(table.keys() - known):
        problems.add(f"{key}.{extra}", "is not a known key", f"use only {', '.join(sorted(known))}")


def _text(table: Mapping[str, Any], key: str, name: str, problems: ProblemCollector, *, required: bool = True) -> str:
    """A string value; required ones must not be blank."""
    value = table.get(name, "" if not required else None)
    if not isinstance(value, str) or (required and not value.strip()):
        problems.add(f"{key}.{name}", "is missing or not a non-empty string" if required else "is not a string",
                     f'set {name} = "..."')
        return ""
    return value.strip()


def _identifier(table: Mapping[str, Any], key: str, seen: set[str], problems: ProblemCollector) -> str:
    """A unique, URL-safe id (it appears in favourites and in the page)."""
    value = _text(table, key, "id", problems)
    if value and not _ID.match(value):
        problems.add(f"{key}.id", f"{value!r} is not a valid id",
                     "use lower-case letters, digits and hyphens, e.g. \"moderator-reports\"")
    elif value in seen:
        problems.add(f"{key}.id", f"duplicate id {value!r}", "give each entry its own id")
    seen.add(value)
    return value


def _parse_categories(section: object, problems: ProblemCollector) -> list[Category]:
    categories, seen = [], set()
    for key, table in _tables(section, "categories", problems):
        _unknown_keys(table, key, CATEGORY_KEYS, problems)
        category_id = _identifier(table, key, seen, problems)
        order = table.get("order")
        if not isinstance(order, int) or isinstance(order, bool):
            problems.add(f"{key}.order", "is missing or not a whole number", "set order = 10 (lowest is shown first)")
            order = 0
        categories.append(Category(category_id, _text(table, key, "title", problems),
                                   _text(table, key, "title_cy", problems), order))
    return categories


def _parse_services(section: object, category_ids: set[str], endpoints: Collection[str] | None,
                    problems: ProblemCollector) -> list[Service]:
    services, seen = [], set()
    for key, table in _tables(section, "services", problems):
        _unknown_keys(table, key, SERVICE_KEYS, problems)
        service_id = _identifier(table, key, seen, problems)
        category = _text(table, key, "category", problems)
        if category and category not in category_ids:
            problems.add(f"{key}.category", f"unknown category {category!r}",
                         f"use the id of a [[categories]] entry: {', '.join(sorted(category_ids)) or '(none)'}")
        endpoint, url = _destination(table, key, endpoints, problems)
        services.append(Service(
            id=service_id, title=_text(table, key, "title", problems),
            title_cy=_text(table, key, "title_cy", problems), category=category,
            description=_text(table, key, "description", problems),
            description_cy=_text(table, key, "description_cy", problems),
            permission=_permission(table.get("permission"), f"{key}.permission", problems),
            endpoint=endpoint, url=url, **_headings(table, key, problems),
            new=_flag(table, key, "new", problems), retires=_retirement(table, key, problems),
        ))
    return services


def _headings(table: Mapping[str, Any], key: str, problems: ProblemCollector) -> dict[str, str | None]:
    """The optional sub-heading: when there is one, its Welsh is required too, as for titles."""
    heading = _text(table, key, "heading", problems, required=False) or None
    if heading is None:
        if "heading_cy" in table:
            problems.add(f"{key}.heading_cy", "is set without heading", 'set heading = "..." too, or remove heading_cy')
        return {"heading": None, "heading_cy": None}
    return {"heading": heading, "heading_cy": _text(table, key, "heading_cy", problems)}


def _destination(table: Mapping[str, Any], key: str, endpoints: Collection[str] | None,
                 problems: ProblemCollector) -> tuple[str | None, str | None]:
    """Exactly one of ``endpoint`` (a page of the portal) or ``url`` (an external https address)."""
    if ("endpoint" in table) == ("url" in table):
        problems.add(key, "needs exactly one of endpoint or url",
                     'set endpoint = "iamis.index" for a portal page, or url = "https://..." for another site')
        return None, None
    if "endpoint" in table:
        endpoint = _text(table, key, "endpoint", problems)
        if endpoint and (not _ENDPOINT.match(endpoint) or (endpoints is not None and endpoint not in endpoints)):
            problems.add(f"{key}.endpoint", f"the portal has no page called {endpoint!r}",
                         "use the endpoint name of an existing page, e.g. \"iamis.index\" or \"emi.index\"")
        return endpoint or None, None
    url = _text(table, key, "url", problems)
    parts = urlsplit(url)
    if url and (parts.scheme != "https" or not parts.hostname or parts.username or parts.password):
        problems.add(f"{key}.url", f"{url!r} is not an https URL",
                     "link to other sites over https only, e.g. url = \"https://www.wjec.co.uk/...\"")
    return None, url or None


def _permission(value: object, key: str, problems: ProblemCollector) -> Permission:
    if isinstance(value, str) and value in set(Permission):
        return Permission(value)
    problems.add(key, f"unknown permission {value!r}", f"use one of: {', '.join(Permission)}")
    # Never reached by a user: a catalogue with problems is refused as a whole.
    return Permission.ADMIN_VIEW


def _flag(table: Mapping[str, Any], key: str, name: str, problems: ProblemCollector) -> bool:
    value = table.get(name, False)
    if not isinstance(value, bool):
        problems.add(f"{key}.{name}", f"{value!r} is not true or false", f"write {name} = true or leave it out")
        return False
    return value


def _retirement(table: Mapping[str, Any], key: str, problems: ProblemCollector) -> date | None:
    value = table.get("retires")
    if value is None:
        return None
    # tomllib gives a datetime for 2027-07-31T00:00, which is also a date: refuse it, a day is what is meant.
    if not isinstance(value, date) or hasattr(value, "hour"):
        problems.add(f"{key}.retires", f"{value!r} is not a date", "write an unquoted date: retires = 2027-07-31")
        return None
    return value
