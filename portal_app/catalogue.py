"""The All Services menu: which services exist, how they are grouped, and which permission shows each."""

from __future__ import annotations

from dataclasses import dataclass

from auth.permissions import Permission


@dataclass(frozen=True)
class Service:
    id: str
    title: str
    description: str
    endpoint: str
    permission: Permission


@dataclass(frozen=True)
class Category:
    title: str
    heading: str | None
    services: tuple[Service, ...]


CATEGORIES: tuple[Category, ...] = (
    Category("Examinations & Assessments", "IAMIS", (
        Service("iamis-mark-input", "Mark Input", "Moderator Mark Input: review centres' marks and complete "
                "moderation reports.", "iamis.index", Permission.IAMIS_VIEW),
    )),
    Category("Examinations & Assessments", "EMI", (
        Service("emi", "Electronic Mark Input", "Enter and submit candidates' marks for your allocated "
                "components.", "emi.index", Permission.EMI_VIEW),
    )),
    Category("Operations", None, (
        Service("admin", "Portal administration", "Role rules, sessions and service links.",
                "admin.index", Permission.ADMIN_VIEW),
    )),
)


def visible_categories(permissions: frozenset[Permission], endpoints: set[str]) -> list[Category]:
    """Categories with only the services these permissions open (and whose pages exist); empty ones dropped."""
    visible = []
    for category in CATEGORIES:
        services = tuple(s for s in category.services if s.permission in permissions and s.endpoint in endpoints)
        if services:
            visible.append(Category(category.title, category.heading, services))
    return visible
