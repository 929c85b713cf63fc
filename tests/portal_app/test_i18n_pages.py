"""Every main page in Welsh, as each demo role sees it (refusals and field errors included): no English UI words."""

from __future__ import annotations

import re

import pytest
import requests
import responses

from portal_app.web.i18n import COOKIE
from tests.portal_app.conftest_services import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_services import DEMO_USERS, sign_in_as
from tests.portal_app.test_i18n import VisibleText

# English words of the portal's UI and messages. Data stays as stored (component titles such as "LATIN
# LANGUAGE CORE", names, e-mail addresses and URLs), and none of these words occurs in it.
ENGLISH_WORDS = {
    "the", "and", "your", "you", "of", "to", "is", "are", "not", "this", "that", "with", "from", "please",
    "enter", "mark", "marks", "save", "submit", "submitted", "draft", "sign", "page", "found", "could", "try",
    "again", "whole", "number", "absent", "carried", "forward", "connect", "answer", "seconds", "redirect",
    "request", "allowed", "candidate", "centre", "review", "report", "team", "services", "search", "status",
    "maximum", "negative", "long", "forbidden", "permission", "back", "nothing", "changed", "sheet",
}
WORD = re.compile(r"[A-Za-z']+")
URL_OR_EMAIL = re.compile(r"https?://\S+|\S+@\S+")
EMI_SHEET = "/emi/allocations/1"
IAMIS_CENTRE = "/iamis/allocations/5/centres/68101"
LINKS = {
    "https://www.wjec.co.uk/entries-and-registrations/": 200,
    "https://www.wjec.co.uk/hsc-internal-assessment/": 404,
    "https://www.wjec.co.uk/mfl-visits/": requests.ConnectionError("refused"),
    "https://www.wjec.co.uk/appointees/": requests.ReadTimeout("slow"),
}


def english_words(html: str) -> list[str]:
    """The visible text's words (attributes users read included) that are English UI words."""
    parser = VisibleText()
    parser.feed(html)
    text = URL_OR_EMAIL.sub(" ", " ".join(parser.found))
    return sorted({word for word in WORD.findall(text) if word.lower() in ENGLISH_WORDS})


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields and mark fields of a rendered sheet, as a browser would post them."""
    fields = dict(re.findall(r'name="(csrf_token|expected_version)" value="([^"]*)"', html))
    fields.update(re.findall(r'name="(mark-\d+)" id="mark-\d+"\s*value="([^"]*)"', html))
    return fields


def with_bad_marks(html: str, bad: list[str], **extra: str) -> dict[str, str]:
    """The sheet's form with its first mark fields set to ``bad`` values (and any ``extra`` fields)."""
    fields = form_fields(html)
    marks = [key for key in fields if key.startswith("mark-")]
    fields.update(zip(marks, bad, strict=False))
    return fields | extra


def welsh_pages(client, who: str | None) -> dict[str, str]:
    """What ``who`` is shown on each page they can reach or are refused, in Welsh: label -> HTML."""
    client.set_cookie(COOKIE, "cy")
    paths = {
        None: ["/", "/no-such-page", "/language/fr"],
        "examiner": ["/services", "/emi/", EMI_SHEET, "/emi/allocations/999", "/iamis/", "/admin/link-check/"],
        "moderator": ["/iamis/", "/iamis/allocations/5", IAMIS_CENTRE, "/iamis/allocations/6/centres/68107"],
        "team_leader": ["/iamis/", "/iamis/team"],
        "principal": ["/iamis/team", "/logout"],
        "admin": ["/services", "/admin/link-check/"],
        "no_role": ["/services", "/emi/"],
    }[who]
    pages = {path: client.get(path).get_data(as_text=True) for path in paths}
    pages["POST /emi/ (405)"] = client.post("/emi/").get_data(as_text=True)
    if who == "examiner":
        bad = with_bad_marks(pages[EMI_SHEET], ["999", "2.5", "-3", "zz", "12345678901234567"], **{"mark-999999": "1"})
        pages["save with bad marks"] = client.post(EMI_SHEET, data=bad).get_data(as_text=True)
        pages["submit incomplete"] = client.post(EMI_SHEET, data=form_fields(pages[EMI_SHEET]) | {
            "submit_centre": "68001"}).get_data(as_text=True)
        pages["no CSRF token"] = client.post(EMI_SHEET, data={"mark-1": "1"}).get_data(as_text=True)
    if who == "moderator":
        bad = with_bad_marks(pages[IAMIS_CENTRE], ["A", "81"], **{"mark-999999": "1", "action": "complete"})
        pages["moderate with bad marks"] = client.post(IAMIS_CENTRE, data=bad).get_data(as_text=True)
    return pages


@pytest.fixture
def faked_links(entra):
    """Answers for the catalogue's external links: fine, missing, refused, too slow."""
    for url, outcome in LINKS.items():
        if isinstance(outcome, int):
            entra.mock.add(responses.HEAD, url, status=outcome)
        else:
            entra.mock.add(responses.HEAD, url, body=outcome)
    entra.mock.add(responses.HEAD, "https://www.wjec.co.uk/moderator-reports-invoices/", status=301,
                   headers={"Location": "https://www.wjec.co.uk/moved/"})
    entra.mock.add(responses.HEAD, "https://www.wjec.co.uk/moved/", status=200)


@pytest.mark.parametrize("who", [None, *DEMO_USERS])
def test_every_page_reads_in_welsh(services_browser, faked_links, who):
    if who is not None:
        sign_in_as(services_browser, DEMO_USERS[who])
    pages = welsh_pages(services_browser.client, who)
    english = {label: words for label, html in pages.items() if (words := english_words(html))}
    assert not english, f"English words on Welsh pages: {english}"
    assert all('<html lang="cy">' in html for html in pages.values())


@pytest.mark.parametrize("who", ["examiner", "moderator", "admin"])
def test_the_same_walk_in_english_is_caught_by_the_scan(services_browser, faked_links, who):
    """The scan is not vacuous: the English pages (field errors and link details included) trip it."""
    sign_in_as(services_browser, DEMO_USERS[who])
    pages = welsh_pages(services_browser.client, who)
    services_browser.client.set_cookie(COOKIE, "en")
    refetched = {path: services_browser.client.get(path).get_data(as_text=True) for path in pages if
                 path.startswith("/")}
    assert all(english_words(html) for html in refetched.values())
