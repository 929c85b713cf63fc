"""All Services: menu per demo role, the header menu, search (with and without JS), and live config edits."""

from __future__ import annotations

import re

import pytest

from tests.portal_app.conftest_services import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_services import header_menu, page_menu, section_ids, service_ids, signed_in

EVERYONE = ["entries-registrations", "appointee-resources"]
MODERATING = ["entries-registrations", "hsc-internal-assessment", "print-mfl-visits", "iamis-mark-input",
              "moderator-reports-invoices", "appointee-resources"]
EXPECTED = {
    "examiner": ["entries-registrations", "electronic-mark-input", "appointee-resources"],
    "moderator": MODERATING,
    "team_leader": MODERATING,
    "principal": MODERATING,
    # Administrators oversee examining (emi:view-all-teams), so EMI is in their menu too.
    "admin": ["entries-registrations", "electronic-mark-input", "appointee-resources", "link-check"],
    "no_role": [],
}
ALL_SERVICES = sorted({s for ids in EXPECTED.values() for s in ids})


@pytest.mark.parametrize("who", EXPECTED)
def test_menu_shows_exactly_the_services_each_demo_role_may_open(services_browser, who):
    html = signed_in(services_browser, who).client.get("/services").get_data(as_text=True)
    if not EXPECTED[who]:
        assert 'data-testid="no-services"' in html
        assert not service_ids(html)
        return
    assert service_ids(page_menu(html)) == EXPECTED[who]
    assert service_ids(header_menu(html)) == EXPECTED[who]


def test_categories_follow_the_seed_guides_grouping_and_order(services_browser):
    html = signed_in(services_browser, "moderator").client.get("/services").get_data(as_text=True)
    assert section_ids(page_menu(html)) == ["entries-registrations", "assessments", "mfl",
                                            "examinations-assessments", "resources"]
    menu = page_menu(html)
    assert menu.index("<h3>IAMIS</h3>") < menu.index('data-service="iamis-mark-input"')


def test_header_menu_is_a_details_element_on_every_page_with_a_search_form(services_browser):
    html = signed_in(services_browser, "examiner").client.get("/emi/").get_data(as_text=True)
    assert '<details class="all-services-menu"' in html and "<summary" in html
    assert 'action="/services"' in html and 'name="q"' in html
    assert 'src="/static/services-search.js"' in html
    assert "<script>" not in html  # CSP script-src 'self': no inline script


def test_external_links_open_without_an_opener(services_browser):
    html = signed_in(services_browser, "moderator").client.get("/services").get_data(as_text=True)
    external = re.findall(r'<a href="(https://[^"]+)" data-service="[^"]+"([^>]*)>', html)
    assert external
    for _url, attributes in external:
        assert 'target="_blank"' in attributes and 'rel="noopener noreferrer"' in attributes
    assert 'href="/iamis/" data-service="iamis-mark-input">' in html  # internal: same tab


@pytest.mark.parametrize("query, expected", [
    ("mark", ["iamis-mark-input", "appointee-resources"]),  # "mark schemes" in the description
    ("MARCIAU", ["iamis-mark-input"]),  # Welsh titles match too, whatever the case
    ("moderation reports", ["iamis-mark-input"]),  # every word, anywhere in title or description
    ("no such thing", []),
])
def test_search_without_javascript_narrows_the_menu(services_browser, query, expected):
    signed_in(services_browser, "principal")
    html = services_browser.client.get("/services", query_string={"q": query}).get_data(as_text=True)
    assert service_ids(page_menu(html)) == expected
    assert ('data-testid="no-match"' in html and "hidden data-testid" not in html) == (not expected)


@pytest.mark.parametrize("who", EXPECTED)
@pytest.mark.parametrize("query", ["", "mark", "link check", "electronic", "moderator", "e", "<script>"])
def test_search_never_shows_a_service_the_user_may_not_open(services_browser, who, query):
    signed_in(services_browser, who)
    html = services_browser.client.get("/services", query_string={"q": query}).get_data(as_text=True)
    assert set(service_ids(html)) <= set(EXPECTED[who])
    for forbidden in set(ALL_SERVICES) - set(EXPECTED[who]):
        assert forbidden not in html
    assert "<script>" not in html


def test_a_long_query_is_cut_not_refused(services_browser):
    signed_in(services_browser, "examiner")
    response = services_browser.client.get("/services", query_string={"q": "x" * 5000})
    assert response.status_code == 200
    assert 'value="' + "x" * 100 + '"' in response.get_data(as_text=True)


NEW_SERVICE = '''
[[services]]
id = "team-briefing"
title = "Team briefing"
title_cy = "Sesiwn friffio"
category = "resources"
description = "Briefing notes for team leaders."
description_cy = "Nodiadau briffio i arweinwyr timau."
url = "https://www.wjec.co.uk/team-briefing/"
permission = "iamis:view-team"
new = true
'''


def test_editing_services_toml_applies_at_the_next_page_load_for_the_right_roles(services_app, entra):
    from tests.portal_app.conftest import SignInActions

    leader = signed_in(SignInActions(services_app.test_client(), entra), "team_leader")
    moderator = signed_in(SignInActions(services_app.test_client(), entra), "moderator")
    assert "team-briefing" not in leader.client.get("/services").get_data(as_text=True)
    services_app.services_file.write_text(services_app.services_file.read_text() + NEW_SERVICE)
    html = leader.client.get("/services").get_data(as_text=True)
    assert "team-briefing" in service_ids(page_menu(html))
    assert 'class="badge-new">New</span>' in html
    assert "team-briefing" not in moderator.client.get("/services").get_data(as_text=True)


def test_an_invalid_edit_keeps_the_last_good_menu_and_logs_every_problem(services_app, services_browser, caplog):
    signed_in(services_browser, "examiner")
    broken = services_app.services_file.read_text().replace('permission = "emi:view"', 'permission = "emi:all"')
    services_app.services_file.write_text(broken + NEW_SERVICE.replace('"resources"', '"nowhere"'))
    html = services_browser.client.get("/services").get_data(as_text=True)
    assert service_ids(page_menu(html)) == EXPECTED["examiner"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "emi:all" in logged and "nowhere" in logged and "services.toml" in logged


def test_a_retired_service_disappears_from_its_retirement_date(services_app, services_browser):
    link = 'url = "https://www.wjec.co.uk/appointees/"'
    text = services_app.services_file.read_text().replace(link, link + "\nretires = 2000-01-01")
    services_app.services_file.write_text(text)
    html = signed_in(services_browser, "examiner").client.get("/services").get_data(as_text=True)
    assert "appointee-resources" not in html


def test_anonymous_visitors_get_no_menu_and_go_to_sign_in(services_app):
    client = services_app.test_client()
    assert client.get("/services").status_code == 302
    assert "all-services-menu" not in client.get("/").get_data(as_text=True)


def test_search_script_is_served_from_the_portal(services_app):
    with services_app.test_client().get("/static/services-search.js") as response:
        assert response.status_code == 200 and b"data-search-text" in response.data
