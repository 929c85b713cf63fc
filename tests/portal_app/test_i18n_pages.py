"""Every main page in Welsh, as each demo role sees it (refusals and field errors included): no English UI words."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from portal_app.web.i18n import COOKIE
from tests.portal_app.conftest_services import *  # noqa: F403 - the fixtures
from tests.portal_app.conftest_services import DEMO_USERS, sign_in_as
from tests.support.welsh import english_words

EMI_SHEET = "/emi/allocations/1"
IAMIS_CENTRE = "/iamis/allocations/5/centres/68101"
LINKS = {
    "https://www.wjec.co.uk/entries-and-registrations/": 200,
    "https://www.wjec.co.uk/hsc-internal-assessment/": 404,
    "https://www.wjec.co.uk/mfl-visits/": requests.ConnectionError("refused"),
    "https://www.wjec.co.uk/appointees/": requests.ReadTimeout("slow"),
}


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
        None: ["/", "/no-such-page", "/language/fr", "/?next=/emi/", "/login?login_hint=someone%40example.com",
               "/login?login_hint=not-an-email", "/auth/frontchannel-logout"],
        "examiner": ["/services", "/services?q=zzzz", "/emi/", EMI_SHEET, f"{EMI_SHEET}?done=saved",
                     f"{EMI_SHEET}?done=submitted", f"{EMI_SHEET}?done=unchanged", "/emi/allocations/999", "/iamis/",
                     "/admin/link-check/"],
        "moderator": ["/iamis/", "/iamis/allocations/5", IAMIS_CENTRE, f"{IAMIS_CENTRE}?done=saved",
                      f"{IAMIS_CENTRE}?done=completed", f"{IAMIS_CENTRE}?done=unchanged",
                      "/iamis/allocations/6/centres/68107"],
        "team_leader": ["/iamis/", "/iamis/team"],
        "principal": ["/iamis/team", "/logout"],
        "admin": ["/services", "/admin/link-check/"],
        "no_role": ["/services", "/emi/"],
    }[who]
    pages = {path: client.get(path).get_data(as_text=True) for path in paths}
    pages["POST /emi/ (405)"] = client.post("/emi/").get_data(as_text=True)
    refusals = {}
    if who is None:
        refusals["replayed callback"] = client.post("/auth/callback", data={"state": "x", "code": "c"}), 400
        big = {"next": "/" + "y" * (3 * 1024 * 1024)}
        refusals["too large a form"] = client.post("/language/cy", data=big), 413
    if who == "principal":
        refusals["sign-out without its form"] = client.post("/logout"), 400
    for label, (response, status) in refusals.items():
        assert response.status_code == status, label
        pages[label] = response.get_data(as_text=True)
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


def _page_parts(html: str) -> tuple[str, str]:
    """The page's <title> and <h1>."""
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1), re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)


def test_component_titles_read_in_welsh_where_the_board_gave_them(services_browser):
    sign_in_as(services_browser, DEMO_USERS["examiner"])
    client = services_browser.client
    client.set_cookie(COOKIE, "cy")
    welsh = client.get("/emi/").text
    assert "TGAU IONAWR 2017 IAITH LADIN GRAIDD: LEFEL 2 (9521/01)" in welsh
    assert "TGAU IONAWR 2017 LATIN LITERATURE: LEVEL 2 (9522/01)" in welsh  # no Welsh title from the board
    title, heading = _page_parts(client.get(EMI_SHEET).text)
    assert heading.startswith("TGAU IONAWR 2017 ") and title.startswith(f"Taflen farciau – {heading} –")
    client.set_cookie(COOKIE, "en")
    english = client.get("/emi/").text
    assert "GCSE JANUARY 2017 LATIN LANGUAGE CORE: LEVEL 2 (9521/01)" in english and "TGAU" not in english
    title, heading = _page_parts(client.get(EMI_SHEET).text)
    assert heading.startswith("GCSE JANUARY 2017 ") and title.startswith(f"Mark sheet – {heading} –")


@pytest.mark.parametrize("who, path, welsh", [
    ("moderator", "/iamis/", "TGAU MEHEFIN 2017 CYMRAEG UNED 1 - LLAFAR (3000N1)"),
    ("moderator", "/iamis/allocations/5", "TGAU MEHEFIN 2017 CYMRAEG UNED 1 - LLAFAR (3000N1)"),
    ("team_leader", "/iamis/team", "TGAU MEHEFIN 2017 CYMRAEG UNED 1 - LLAFAR (3000N1)"),
])
def test_moderation_pages_show_the_welsh_component_titles(services_browser, who, path, welsh):
    sign_in_as(services_browser, DEMO_USERS[who])
    services_browser.client.set_cookie(COOKIE, "cy")
    page = services_browser.client.get(path)
    assert page.status_code == 200 and welsh in page.text and "WELSH LANGUAGE UNED 1" not in page.text


def test_status_code_meanings_read_in_the_boards_welsh(services_app, services_browser, tmp_path):
    """A meaning the portal has no translation for ("Medical") reads in Welsh when the board gives its Welsh."""
    from sqlalchemy.orm import Session

    from portal_app.data.imports import import_components
    from portal_app.settings import PROJECT_ROOT
    from tests.portal_app.conftest_data import engine_of

    rows = (PROJECT_ROOT / "config" / "demo-data" / "components.csv").read_text(encoding="utf-8")
    rows = rows.replace("LEVEL 2,60,A=Absent,", "LEVEL 2,60,A=Absent;M=Medical,", 1)
    rows = rows.replace("LEFEL 2,A=Absennol,", "LEFEL 2,A=Absennol;M=Meddygol,", 1)
    (tmp_path / "components.csv").write_text(rows, encoding="utf-8")
    with Session(engine_of(services_app)) as session:
        assert import_components(session, tmp_path / "components.csv").updated == 1
        session.commit()
    sign_in_as(services_browser, DEMO_USERS["examiner"])
    client = services_browser.client
    client.set_cookie(COOKIE, "cy")
    sheet = client.get(EMI_SHEET).text
    assert "<dt>M</dt><dd>Meddygol</dd>" in sheet and "<dt>A</dt><dd>Absennol</dd>" in sheet
    refused = client.post(EMI_SHEET, data=with_bad_marks(sheet, ["zz"])).text
    assert "neu A (absennol), M (meddygol)" in refused
    client.set_cookie(COOKIE, "en")
    assert "<dt>M</dt><dd>Medical</dd>" in client.get(EMI_SHEET).text


@pytest.mark.parametrize("error, welsh", [
    ("access_denied", "Cafodd y mewngofnodi ei ganslo neu ei wrthod gan Microsoft."),
    ("interaction_required", "Gosodwch ddull dilysu yn AMP, neu cysylltwch â thîm cymorth penodeion CBAC."),
    ("temporarily_unavailable", "Ni chwblhawyd y mewngofnodi gyda Microsoft."),
])
def test_microsofts_refusals_read_in_welsh(services_browser, error, welsh):
    """The callback pages a Welsh-choosing user meets when Microsoft refuses: Welsh, the OAuth code aside."""
    services_browser.client.set_cookie(COOKIE, "cy")
    authorize = services_browser.start("/emi/")
    page = services_browser.client.post("/auth/callback", data={
        "state": authorize["state"], "error": error, "error_description": "AADSTS50000: English from Microsoft"})
    text = html.unescape(page.get_data(as_text=True))
    assert welsh in text and f"<code>{error}</code>" in text and "English from Microsoft" not in text
    assert english_words(page.get_data(as_text=True)) == []


def test_marks_kept_across_a_new_sign_in_are_explained_in_welsh(services_browser):
    """A session that ended while marking: the sheet comes back after sign-in with the typed marks, in Welsh."""
    client = services_browser.client
    client.set_cookie(COOKIE, "cy")
    assert services_browser.sign_in(EMI_SHEET, **DEMO_USERS["examiner"]).status_code == 303
    sheet = client.get(EMI_SHEET).get_data(as_text=True)
    token = re.search(r'name="stash_token" value="([^"]*)"', sheet).group(1)
    client.delete_cookie("portal_session", domain="localhost")  # the session ends while they type
    kept = client.post(EMI_SHEET, data={"mark-1": "7", "stash_token": token}, headers={"Sec-Fetch-Site": "same-origin"})
    assert kept.status_code == 303
    next_path = parse_qs(urlsplit(kept.location).query)["next"][0]
    assert services_browser.sign_in(next_path, **DEMO_USERS["examiner"]).status_code == 303
    page = client.get(next_path).get_data(as_text=True)
    assert "Gwiriwch nhw a phwyswch &#34;Cadw drafft&#34;." in page or 'phwyswch "Cadw drafft".' in page
    assert english_words(page) == []
