"""My Favourites: starred per tid+oid in the database (a copy kept in the session), shown first, surviving sign-out;
forms need CSRF."""

from __future__ import annotations

import pytest

from auth.user_session import LAST_SEEN_RESOLUTION_SECONDS
from tests.portal_app.conftest import SignInActions
from tests.portal_app.conftest_services import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_services import (
    csrf_token,
    make_services_app,
    page_menu,
    section_ids,
    service_ids,
    signed_in,
)
from tests.portal_app.test_database import database_gone


def star(browser: SignInActions, service: str, action: str = "add", **extra):
    token = csrf_token(browser.client.get("/services").get_data(as_text=True))
    return browser.client.post("/services/favourites",
                               data={"csrf_token": token, "service": service, "action": action, **extra})


def favourites_section(browser: SignInActions) -> list[str]:
    return favourites_in(browser.client.get("/services").get_data(as_text=True))


def favourites_in(page: str) -> list[str]:
    """The My Favourites section of an All Services page, in order."""
    html = page_menu(page)
    if section_ids(html)[:1] != ["favourites"]:
        return []
    return service_ids(html[:html.index('data-section="', html.index('data-section="favourites"') + 1)])


@pytest.fixture(params=["sqlite", "postgresql"])
def favourites_app(request, tmp_path, redis_url, entra):
    url = request.getfixturevalue("seeded_sqlite_url" if request.param == "sqlite" else "pg_seeded_url")
    yield from make_services_app(tmp_path, redis_url, url)


def test_starred_services_come_first_and_survive_sign_out(favourites_app, entra):
    browser = signed_in(SignInActions(favourites_app.test_client(), entra), "moderator")
    assert favourites_section(browser) == []
    assert star(browser, "moderator-reports-invoices").status_code == 303
    assert star(browser, "iamis-mark-input").status_code == 303
    assert star(browser, "iamis-mark-input").status_code == 303  # twice is harmless
    assert favourites_section(browser) == ["moderator-reports-invoices", "iamis-mark-input"]

    browser.client.post("/logout", data={"csrf_token": csrf_token(browser.client.get("/services").get_data(
        as_text=True))})
    again = signed_in(SignInActions(favourites_app.test_client(), entra), "moderator")
    assert favourites_section(again) == ["moderator-reports-invoices", "iamis-mark-input"]
    html = again.client.get("/services").get_data(as_text=True)
    assert 'data-testid="star-iamis-mark-input"' in html and 'aria-pressed="true"' in html


def test_unstarring_removes_the_favourite(services_browser):
    signed_in(services_browser, "examiner")
    star(services_browser, "electronic-mark-input")
    assert favourites_section(services_browser) == ["electronic-mark-input"]
    assert star(services_browser, "electronic-mark-input", "remove").status_code == 303
    assert favourites_section(services_browser) == []


def test_favourites_belong_to_one_user(services_app, entra):
    examiner = signed_in(SignInActions(services_app.test_client(), entra), "examiner")
    star(examiner, "appointee-resources")
    admin = signed_in(SignInActions(services_app.test_client(), entra), "admin")
    assert favourites_section(admin) == []


def test_favourites_appear_in_the_header_menu_first(services_browser):
    signed_in(services_browser, "examiner")
    star(services_browser, "appointee-resources")
    html = services_browser.client.get("/emi/").get_data(as_text=True)
    header = html[html.index('<nav id="header-service-list"'):]
    assert header.index("My Favourites") < header.index("Entries &amp; Registrations")


def test_a_favourite_the_user_may_no_longer_open_is_not_shown(services_app, services_browser):
    signed_in(services_browser, "examiner")
    star(services_browser, "electronic-mark-input")
    text = services_app.services_file.read_text().replace('permission = "emi:view"', 'permission = "admin:view"')
    services_app.services_file.write_text(text)
    assert "electronic-mark-input" not in services_browser.client.get("/services").get_data(as_text=True)


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_starring_without_this_sessions_csrf_token_is_refused(services_browser, token):
    signed_in(services_browser, "examiner")
    form = {"service": "appointee-resources", "action": "add"}
    if token is not None:
        form["csrf_token"] = token
    response = services_browser.client.post("/services/favourites", data=form)
    assert response.status_code == 400 and b"expired" in response.data
    assert favourites_section(services_browser) == []


@pytest.mark.parametrize("service, action, status", [
    ("link-check", "add", 404),  # exists, but not the examiner's: same answer as unknown
    ("no-such-service", "add", 404),
    ("../../etc", "add", 404),
    ("appointee-resources", "delete-all", 400),
    ("appointee-resources", "", 400),
])
def test_bad_favourite_requests_are_refused_clearly(services_browser, service, action, status):
    signed_in(services_browser, "examiner")
    response = star(services_browser, service, action)
    assert response.status_code == status
    assert b"Traceback" not in response.data


def test_anonymous_starring_goes_to_sign_in(services_app):
    response = services_app.test_client().post("/services/favourites", data={"service": "x", "action": "add"})
    assert response.status_code in (302, 303)


def later(app, seconds: float) -> None:
    """Move the portal's clock on by ``seconds`` (the idle clock, and so the session's next write, follow it)."""
    started = app.extensions["portal.clock"]()
    app.extensions["portal.clock"] = lambda: started + seconds


def test_a_star_made_in_another_browser_shows_within_a_minute(favourites_app, entra):
    """The session keeps a copy of the favourites and reads it again whenever it is written anyway: at once in
    the browser that starred, in the user's other browsers at their first view a minute after their last."""
    laptop = signed_in(SignInActions(favourites_app.test_client(), entra), "moderator")
    phone = signed_in(SignInActions(favourites_app.test_client(), entra), "moderator")
    assert favourites_section(phone) == []  # kept in the phone's session: none
    assert star(laptop, "iamis-mark-input").status_code == 303
    assert favourites_section(laptop) == ["iamis-mark-input"]
    later(favourites_app, LAST_SEEN_RESOLUTION_SECONDS)
    assert favourites_section(phone) == ["iamis-mark-input"]
    assert star(phone, "iamis-mark-input", "remove").status_code == 303
    assert favourites_section(phone) == []
    later(favourites_app, LAST_SEEN_RESOLUTION_SECONDS)
    assert favourites_section(laptop) == []


def test_the_menu_keeps_the_sessions_favourites_while_the_database_is_gone(pg_seeded_url, tmp_path, redis_url,
                                                                          entra):
    made = make_services_app(tmp_path, redis_url, pg_seeded_url)
    app = next(made)
    browser = signed_in(SignInActions(app.test_client(), entra), "moderator")
    star(browser, "iamis-mark-input")
    later(app, LAST_SEEN_RESOLUTION_SECONDS)  # the next view writes the session and would read them again
    with database_gone(pg_seeded_url):
        response = browser.client.get("/services")
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "cannot be shown right now" not in html
        assert favourites_in(html) == ["iamis-mark-input"]
    next(made, None)
