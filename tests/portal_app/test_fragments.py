"""Cached pieces of pages (portal_app/web/fragments.py): the header menu and the All Services list are kept per
process, and must never be stale nor carry one user's data to another.

"Two workers" are two apps built side by side on one services.toml, database and Redis: each has its own
caches, as each gunicorn worker does. Every change is made through one and checked at the next page load of
the other (and of itself). No test measures time.
"""

from __future__ import annotations

import re
import tomllib

import pytest

from portal_app.web.fragments import FragmentCache
from tests.portal_app.conftest import SignInActions
from tests.portal_app.conftest_data import OTHER_EXAMINER, sign_in_as, two_workers_of
from tests.portal_app.conftest_services import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_services import (
    csrf_token,
    header_menu,
    make_services_app,
    page_menu,
    section_ids,
    service_ids,
    signed_in,
)
from tests.portal_app.test_services_page import NEW_SERVICE


def page_favourites(html: str) -> list[str]:
    """The service ids under My Favourites in the /services list (none if it has no such section)."""
    menu = page_menu(html)
    if section_ids(menu)[:1] != ["favourites"]:
        return []
    return service_ids(menu[:menu.index('data-section="', menu.index('data-section="favourites"') + 1)])


def header_favourites(html: str) -> list[str]:
    """The service ids under My Favourites in the header menu of any page."""
    match = re.search(r"<h2>My Favourites</h2>(.*?)</section>", header_menu(html), re.S)
    return service_ids(match[1]) if match else []


@pytest.fixture
def two_workers(tmp_path, redis_url, entra, seeded_sqlite_url):
    """Two apps (two workers' caches) on the same services.toml, database and Redis."""
    yield from two_workers_of(make_services_app, tmp_path, redis_url, seeded_sqlite_url)


def same_browser(client, other_app):
    """A client of ``other_app`` holding the same cookies: the same browser, served by the other worker."""
    twin = other_app.test_client()
    for name in (other_app.config["SESSION_COOKIE_NAME"], "portal_lang"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            twin.set_cookie(name, cookie.value)
    return twin


def star(client, service: str, action: str = "add"):
    token = csrf_token(client.get("/services").get_data(as_text=True))
    response = client.post("/services/favourites", data={"csrf_token": token, "service": service, "action": action})
    assert response.status_code == 303
    return response


def test_a_star_made_in_one_worker_shows_at_the_next_load_in_every_worker(two_workers, entra):
    first, second = two_workers
    here = signed_in(SignInActions(first.test_client(), entra), "examiner").client
    there = same_browser(here, second)
    for client in (here, there):  # both workers have rendered and kept the menu without favourites
        assert page_favourites(client.get("/services").get_data(as_text=True)) == []
        assert header_favourites(client.get("/emi/").get_data(as_text=True)) == []

    star(here, "appointee-resources")
    for client in (there, here):
        assert page_favourites(client.get("/services").get_data(as_text=True)) == ["appointee-resources"]
        assert header_favourites(client.get("/emi/").get_data(as_text=True)) == ["appointee-resources"]

    star(there, "electronic-mark-input")
    assert page_favourites(here.get("/services").get_data(as_text=True)) == ["appointee-resources",
                                                                              "electronic-mark-input"]
    star(there, "appointee-resources", "remove")
    for client in (here, there):
        assert page_favourites(client.get("/services").get_data(as_text=True)) == ["electronic-mark-input"]
        assert header_favourites(client.get("/emi/").get_data(as_text=True)) == ["electronic-mark-input"]


def test_an_edit_of_services_toml_shows_at_the_next_load_in_every_worker(two_workers, entra):
    first, second = two_workers
    leader = signed_in(SignInActions(first.test_client(), entra), "team_leader").client
    twin = same_browser(leader, second)
    for client in (leader, twin):
        html = client.get("/services").get_data(as_text=True)
        assert "team-briefing" not in service_ids(page_menu(html)) + service_ids(header_menu(html))

    first.services_file.write_text(first.services_file.read_text() + NEW_SERVICE)
    for client in (twin, leader):
        html = client.get("/services").get_data(as_text=True)
        assert "team-briefing" in service_ids(page_menu(html))
        assert "team-briefing" in service_ids(header_menu(client.get("/iamis/").get_data(as_text=True)))


def test_an_edited_role_title_shows_in_the_cached_work_as_form_at_the_next_load(tmp_path, redis_url, entra,
                                                                                  seeded_sqlite_url):
    import shutil

    from portal_app.settings import PROJECT_ROOT

    roles_file = tmp_path / "roles.toml"
    shutil.copy(PROJECT_ROOT / "config" / "roles.toml", roles_file)
    factory = make_services_app(tmp_path, redis_url, seeded_sqlite_url, roles={"rules_file": str(roles_file)})
    app = next(factory)
    principal = signed_in(SignInActions(app.test_client(), entra), "principal").client
    assert ">Team Leader</option>" in principal.get("/services").get_data(as_text=True)
    roles_file.write_text(roles_file.read_text().replace('title = "Team Leader"', 'title = "Team Lead (edited)"'))
    html = principal.get("/services").get_data(as_text=True)
    assert ">Team Lead (edited)</option>" in html and ">Team Leader</option>" not in html
    next(factory, None)


def test_two_users_with_the_same_menu_each_get_their_own_name_and_csrf_token(services_app, entra):
    eleri = signed_in(SignInActions(services_app.test_client(), entra), "examiner").client
    nia_browser = SignInActions(services_app.test_client(), entra)
    sign_in_as(nia_browser, OTHER_EXAMINER)
    nia = nia_browser.client
    pages = {who: client.get("/services").get_data(as_text=True) for who, client in (("eleri", eleri), ("nia", nia))}
    assert page_menu(pages["eleri"]) != "" and service_ids(page_menu(pages["eleri"])) == service_ids(
        page_menu(pages["nia"]))  # the same key: one cached list serves both
    assert "Eleri Evans" in pages["eleri"] and "Nia Jones" not in pages["eleri"]
    assert "Nia Jones" in pages["nia"] and "Eleri Evans" not in pages["nia"]
    tokens = {who: set(re.findall(r'name="csrf_token" value="([^"]+)"', html)) for who, html in pages.items()}
    assert len(tokens["eleri"]) == 1 and len(tokens["nia"]) == 1 and tokens["eleri"] != tokens["nia"]
    # Each token is its own session's: the other user's is refused.
    (nias_token,) = tokens["nia"]
    refused = eleri.post("/services/favourites",
                         data={"csrf_token": nias_token, "service": "appointee-resources", "action": "add"})
    assert refused.status_code == 400
    assert "fragment-" not in pages["eleri"]  # no placeholder is ever left in a page


def test_each_language_gets_its_own_menu_and_list(services_app, services_browser):
    from markupsafe import escape

    category = tomllib.loads(services_app.services_file.read_text())["categories"][0]
    english_title, welsh_title = str(escape(category["title"])), str(escape(category["title_cy"]))
    client = signed_in(services_browser, "examiner").client
    english = client.get("/services").get_data(as_text=True)
    client.get("/language/cy?next=/services")
    welsh = client.get("/services").get_data(as_text=True)
    client.get("/language/en?next=/services")
    again = client.get("/services").get_data(as_text=True)
    for html, title, other in ((english, english_title, welsh_title), (welsh, welsh_title, english_title),
                               (again, english_title, welsh_title)):
        assert f"<h2>{title}</h2>" in header_menu(html) and f"<h2>{title}</h2>" in page_menu(html)
        assert f"<h2>{other}</h2>" not in html


def test_the_fragment_cache_keeps_to_its_size_bound_dropping_the_least_recently_used():
    cache = FragmentCache(max_bytes=30)

    def get(key, text):
        return "".join(cache.get(key, lambda: text))

    assert get("a", "a" * 10) == "a" * 10
    get("b", "b" * 10)
    assert get("a", "never rendered again") == "a" * 10  # a is used: b is now the oldest
    get("c", "c" * 15)
    assert len(cache) == 2
    assert get("a", "rendered again") == "a" * 10
    assert get("b", "rendered again") == "rendered again"
    assert get("huge", "x" * 31) == "x" * 31
    assert get("huge", "too big to keep") == "too big to keep"


def test_users_with_different_permissions_served_by_one_worker_each_see_their_own_services(services_app, entra):
    from tests.portal_app.test_services_page import EXPECTED

    for who in ("examiner", "moderator", "admin", "examiner"):
        client = signed_in(SignInActions(services_app.test_client(), entra), who).client
        html = client.get("/services").get_data(as_text=True)
        assert service_ids(page_menu(html)) == EXPECTED[who]
        assert sorted(service_ids(header_menu(html))) == sorted(EXPECTED[who])


def test_a_search_after_the_full_list_shows_only_the_matches_and_then_the_full_list_again(services_browser):
    client = signed_in(services_browser, "principal").client
    everything = service_ids(page_menu(client.get("/services").get_data(as_text=True)))
    narrowed = client.get("/services", query_string={"q": "MARCIAU"}).get_data(as_text=True)
    assert service_ids(page_menu(narrowed)) == ["iamis-mark-input"] != everything
    assert 'value="MARCIAU"' in narrowed
    assert service_ids(page_menu(client.get("/services").get_data(as_text=True))) == everything


def test_a_change_of_work_as_shows_at_the_next_load(services_browser):
    client = signed_in(services_browser, "principal").client
    page = client.get("/services").get_data(as_text=True)
    assert 'value="principal_moderator" selected' in page
    changed = client.post("/work-as", data={"csrf_token": csrf_token(page), "role": "moderator", "next": "/services"})
    assert changed.status_code == 303
    page = client.get("/services").get_data(as_text=True)
    assert 'value="moderator" selected' in page and 'value="principal_moderator" selected' not in page


def test_the_work_as_form_is_each_users_own_even_when_their_permissions_are_the_same(services_app, entra):
    leader = signed_in(SignInActions(services_app.test_client(), entra), "team_leader").client
    token = csrf_token(leader.get("/services").get_data(as_text=True))
    assert leader.post("/work-as", data={"csrf_token": token, "role": "moderator"}).status_code == 303
    assert 'value="moderator" selected' in leader.get("/services").get_data(as_text=True)  # a moderator's rights now
    moderator = signed_in(SignInActions(services_app.test_client(), entra), "moderator").client
    assert 'id="work-as"' not in moderator.get("/services").get_data(as_text=True)  # one role: nothing to choose
