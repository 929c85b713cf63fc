"""The All Services page and header menu for the signed-in user, search, and starring My Favourites."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from flask import Blueprint, abort, current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from auth import user_session
from auth.permissions import work_as_choices
from auth.text import N_
from portal_app.catalogue.menu import MenuSection, build_menu, normalise_query, visible_services
from portal_app.catalogue.model import Catalogue, Service, localized
from portal_app.catalogue.source import versioned_catalogue
from portal_app.data.favourites import add_favourite, favourite_ids, remove_favourite
from portal_app.database import db_session, reader
from portal_app.signin.gate import csrf_token, login_required, require_csrf
from portal_app.signin.roles import (
    current_decision,
    current_permissions,
    current_work_as,
    role_title,
    role_titles_version,
)
from portal_app.web import clock, i18n
from portal_app.web.fragments import render_fragment
from portal_app.web.layout import signed_in_page

log = logging.getLogger(__name__)
bp = Blueprint("services", __name__)


def current_language() -> str:
    """The UI language: ``cy`` or ``en`` (chosen by portal_app.web.i18n)."""
    return i18n.current_language()


def _today() -> date:
    return datetime.fromtimestamp(clock.now(), UTC).date()


def _catalogue() -> tuple[int, Catalogue]:
    """This request's catalogue with its version, read once: a page and its cache key see the same one."""
    if "catalogue" not in g:
        g.catalogue = versioned_catalogue()
    return g.catalogue


def my_services() -> list[Service]:
    """The services the signed-in user may open now (none for a visitor)."""
    if g.get("user") is None:
        return []
    if "my_services" not in g:
        g.my_services = visible_services(_catalogue()[1], current_permissions(), current_app.view_functions,
                                         _today())
    return g.my_services


def my_favourites() -> tuple[str, ...]:
    """The signed-in user's starred service ids: the session's copy, read again whenever the session is written.

    The database is the record (favourites survive sign-out and are the same in every browser); the session
    keeps a copy so that the menu on every page runs no query. The copy is read again from the database on
    every request that writes the session anyway: the idle clock moves at most a minute apart while the user
    is active (auth.user_session.touch), so a star made in another browser shows within a minute, and a star
    made in this one is kept here at once (``star``). Favourites are a convenience: a database outage must not
    take the menu, shown on every page, down too; the copy is shown while the database cannot be read.
    """
    if "favourite_ids" in g:  # the page and the header menu both ask
        return g.favourite_ids
    kept = user_session.kept_favourites(session)
    if kept is not None and not session.modified:
        g.favourite_ids = kept
        return kept
    user, g.favourite_ids = g.user, kept or ()
    # A connection of its own: the header renders inside other views, whose unit of work it must not touch.
    try:
        fresh = favourite_ids(reader(), user["tid"], user["oid"])
    except SQLAlchemyError as exc:
        log.warning("menu shown with the favourites kept in the session (%s): the database cannot be read (%s)",
                    "some" if kept is not None else "none", type(exc).__name__)
        g.favourites_unavailable = kept is None
        return g.favourite_ids
    g.favourite_ids = fresh
    user_session.keep_favourites(session, fresh)  # a write this request makes anyway, or the first one kept
    return fresh


def menu_for_user(query: str = "") -> list[MenuSection]:
    """The user's All Services menu, narrowed by ``query``; favourites first."""
    return build_menu(_catalogue()[1], my_services(), favourites=my_favourites(), query=query,
                      lang=current_language())


def _menu_key() -> tuple:
    """Everything the menu is rendered from; a cached menu under this key can never be out of date."""
    if "menu_key" not in g:
        g.menu_key = (_catalogue()[0], current_permissions(), my_favourites(), current_language(), _today(),
                      request.script_root)
    return g.menu_key


def header_menu_html() -> Markup:
    """The header's All Services menu (every page, error pages too), rendered once per key per process."""
    return render_fragment("_header_menu.html", _menu_key(), lambda: {
        "sections": menu_for_user(), "service_link": service_link, "localized": localized,
        "lang": current_language()})


def service_link(service: Service) -> str:
    """Where a menu entry leads: the portal page, or the external https URL."""
    return service.url if service.external else url_for(service.endpoint)


@bp.get("/services")
@login_required
def index():
    """All Services: only what the user's permissions open (``?q=`` narrows it); a clear page when nothing.

    Put together from cached fragments (the page around it, the header menu, this list), each keyed by all
    it is rendered from; what is the user's own (name, CSRF token) is filled in per response.
    """
    query = normalise_query(request.args.get("q"))
    choices, work_as = tuple(work_as_choices(current_decision())), current_work_as()
    favourites = my_favourites()
    unavailable = g.get("favourites_unavailable", False)
    user = g.user
    key = (_menu_key(), query, unavailable, choices, work_as, role_titles_version(), bool(user.get("username")))
    content = render_fragment("_services_page.html", key, lambda: {
        "sections": menu_for_user(query), "query": query, "has_services": bool(my_services()),
        "favourites": set(favourites), "favourites_unavailable": unavailable,
        "work_as_choices": choices, "work_as": work_as, "service_link": service_link, "localized": localized,
        "lang": current_language(), "role_title": role_title, "has_username": bool(user.get("username")),
        "support_contact": i18n.support_contact()},
        per_request={"csrf_token": csrf_token(), "user_name": user.get("name") or "",
                     "username": user.get("username") or ""})
    return signed_in_page(title=i18n.translated(N_("All Services")), content=content)


@bp.post("/services/favourites")
@login_required
def star():
    """Star (``action=add``) or unstar (``action=remove``) a service the user may open; back to the page."""
    require_csrf()
    action, service_id = request.form.get("action"), request.form.get("service", "")
    if action not in ("add", "remove"):
        abort(400, description=_("Choose whether to add or remove the favourite."))
    if service_id not in {s.id for s in my_services()}:
        # Unknown and not-yours look the same: favourites must not reveal which services exist.
        abort(404)
    user, database = g.user, db_session()
    if action == "add":
        add_favourite(database, user["tid"], user["oid"], service_id, datetime.now(UTC))
    else:
        remove_favourite(database, user["tid"], user["oid"], service_id)
    database.commit()
    user_session.keep_favourites(session, favourite_ids(database, user["tid"], user["oid"]))
    log.info("favourite changed", extra={"event": "favourite", "action": action, "service": service_id,
                                         "oid": user["oid"]})
    return redirect(url_for("services.index", q=request.form.get("q") or None), code=303)


@bp.app_context_processor
def services_context() -> dict:
    """Template helpers for base.html's header menu, on every page."""
    return {"header_menu_html": header_menu_html, "service_link": service_link, "localized": localized,
            "lang": current_language()}
