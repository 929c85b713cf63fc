"""The admins' link-check page: every external link of the catalogue with its status (HTTP faked)."""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

import pytest
import requests
import responses

from tests.portal_app.conftest_services import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_services import signed_in

BASE = "https://www.wjec.co.uk"
LINKS = {
    "entries-registrations": f"{BASE}/entries-and-registrations/",
    "hsc-internal-assessment": f"{BASE}/hsc-internal-assessment/",
    "print-mfl-visits": f"{BASE}/mfl-visits/",
    "moderator-reports-invoices": f"{BASE}/moderator-reports-invoices/",
    "appointee-resources": f"{BASE}/appointees/",
}


def statuses(html: str) -> dict[str, str]:
    rows = re.findall(r'<tr class="[^"]*" data-service="([^"]+)">.*?data-testid="status">([^<]*)</td>', html, re.S)
    return {service: " ".join(status.split()) for service, status in rows}


def test_each_external_link_is_listed_with_its_status(services_browser, entra):
    mock = entra.mock
    mock.add(responses.HEAD, LINKS["entries-registrations"], status=200)
    mock.add(responses.HEAD, LINKS["hsc-internal-assessment"], status=405)
    mock.add(responses.GET, LINKS["hsc-internal-assessment"], status=200)
    mock.add(responses.HEAD, LINKS["print-mfl-visits"], status=404)
    mock.add(responses.HEAD, LINKS["moderator-reports-invoices"], body=requests.ConnectionError("refused"))
    mock.add(responses.HEAD, LINKS["appointee-resources"], body=requests.ReadTimeout("slow"))
    html = signed_in(services_browser, "admin").client.get("/admin/link-check/").get_data(as_text=True)
    assert statuses(html) == {
        "entries-registrations": "200 OK",
        "hsc-internal-assessment": "200 OK",
        "print-mfl-visits": "404 BROKEN",
        "moderator-reports-invoices": "no answer BROKEN",
        "appointee-resources": "no answer BROKEN",
    }
    assert "3 not answering" in html
    assert "could not connect" in html and "no answer within 3 seconds" in html
    assert html.count('rel="noopener noreferrer"') >= len(LINKS)


def test_links_are_checked_in_parallel(services_browser, entra):
    # Every fake link answers only once all of them are in flight at the same time: checked one after another,
    # the barrier breaks and the links show as not answering. No timing is measured (shared, noisy machines).
    everyone_in_flight = threading.Barrier(len(LINKS), timeout=10)

    def answer_when_all_are_waiting(_request):
        everyone_in_flight.wait()
        return 200, {}, ""

    for url in LINKS.values():
        entra.mock.add_callback(responses.HEAD, url, callback=answer_when_all_are_waiting)
    browser = signed_in(services_browser, "admin")
    page = browser.client.get("/admin/link-check/")
    assert page.status_code == 200
    assert page.data.decode().count("200 OK") >= len(LINKS)


@pytest.mark.parametrize("who", ["examiner", "moderator", "principal", "no_role"])
def test_only_admins_may_run_the_link_check(services_browser, entra, who):
    response = signed_in(services_browser, who).client.get("/admin/link-check/")
    assert response.status_code == 403
    assert not [c for c in entra.mock.calls if c.request.url.startswith(BASE)]


def test_anonymous_visitors_go_to_sign_in(services_app):
    assert services_app.test_client().get("/admin/link-check/").status_code == 302


# --- redirects (issue 13: the check was a blind probe into internal addresses) -------------------------------

INTERNAL = ["http://127.0.0.1:6379/", "http://10.0.0.5/admin", "http://192.168.1.1/", "http://172.16.0.9/",
            "http://169.254.169.254/latest/meta-data/", "http://[::1]:8000/", "http://[fd00::1]/", "http://localhost/",
            "http://0.0.0.0/", "http://100.64.0.1/", "http://[::ffff:127.0.0.1]/", "file:///etc/passwd"]


def _answer_every_link(mock, status=200) -> None:
    for url in LINKS.values():
        mock.add(responses.HEAD, url, status=status)


@pytest.mark.parametrize("target", INTERNAL)
def test_a_redirect_to_an_internal_address_is_not_followed(services_browser, entra, target):
    mock = entra.mock
    _answer_every_link(mock)
    mock.replace(responses.HEAD, LINKS["appointee-resources"], status=302, headers={"Location": target})
    mock.add(responses.HEAD, target.replace("[::ffff:127.0.0.1]", "127.0.0.1"), status=200)  # would answer

    html = signed_in(services_browser, "admin").client.get("/admin/link-check/").get_data(as_text=True)

    asked = [call.request.url for call in mock.calls]
    public = (None, "www.wjec.co.uk", "login.microsoftonline.com")
    assert not [url for url in asked if urlsplit(url).hostname not in public]
    assert statuses(html)["appointee-resources"] == "no answer BROKEN"
    assert "not followed" in html


def test_a_redirect_relative_to_a_public_host_is_followed(services_browser, entra):
    mock = entra.mock
    _answer_every_link(mock)
    mock.replace(responses.HEAD, LINKS["appointee-resources"], status=301, headers={"Location": "/appointees/new/"})
    mock.add(responses.HEAD, f"{BASE}/appointees/new/", status=200)

    html = signed_in(services_browser, "admin").client.get("/admin/link-check/").get_data(as_text=True)

    assert statuses(html)["appointee-resources"] == "200 OK"
    assert f"after redirect to {BASE}/appointees/new/" in html


def test_redirects_are_followed_only_so_far(services_browser, entra):
    mock = entra.mock
    _answer_every_link(mock)
    mock.replace(responses.HEAD, LINKS["appointee-resources"], status=302, headers={"Location": f"{BASE}/loop/0"})
    for hop in range(20):
        mock.add(responses.HEAD, f"{BASE}/loop/{hop}", status=302, headers={"Location": f"{BASE}/loop/{hop + 1}"})

    html = signed_in(services_browser, "admin").client.get("/admin/link-check/").get_data(as_text=True)

    assert statuses(html)["appointee-resources"] == "no answer BROKEN"
    assert "more than 5 redirects" in html
    assert len([c for c in mock.calls if "/loop/" in c.request.url]) == 5
