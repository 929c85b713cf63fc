"""The sign-in pages in the language the app asks for (ui_locales), else the browser's; the whole sign-in in it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from emulator.i18n import WELSH, language_from_ui_locales
from emulator.signin import MESSAGES
from emulator.testing import DEMO_PASSWORD
from tests.emulator.flows import REDIRECT_URI, authorize_url, pkce_pair
from tests.support.welsh import english_words

EMULATOR = Path(__file__).resolve().parents[2] / "emulator"
EXAMINER = "examiner@wjec-appointees.co.uk"
MODERATOR = "moderator@wjec-appointees.co.uk"


def page_language(html: str) -> str:
    return re.search(r'<html lang="([^"]+)">', html).group(1)


def welsh_sign_in_pages(emu, browser, email: str, **authorize: str) -> dict[str, str]:
    """Each page of a sign-in (a refusal on every step included), by name, as HTML."""
    _, challenge = pkce_pair()
    pages = {"email": browser.open(authorize_url(emu.authority, challenge, **authorize))}
    pages["email refused"] = browser.submit(pages["email"], loginfmt="nobody@example.com")
    pages["password"] = browser.submit(pages["email refused"], loginfmt=email)
    pages["password refused"] = browser.submit(pages["password"], passwd="not-the-password")
    pages["mfa"] = browser.submit(pages["password refused"], passwd=DEMO_PASSWORD)
    pages["mfa refused"] = browser.submit(pages["mfa"], otc="12345")
    code = emu.totp(email) if emu.state.directory.user(email).mfa == "totp" else emu.sms_code(email)
    pages["stay signed in"] = browser.submit(pages["mfa refused"], otc=code)
    return pages


@pytest.mark.parametrize("email", [EXAMINER, MODERATOR])
def test_ui_locales_cy_shows_every_sign_in_page_in_welsh(emu, browser, email):
    pages = welsh_sign_in_pages(emu, browser, email, ui_locales="cy-GB cy")
    assert {name: page_language(html) for name, html in pages.items()} == dict.fromkeys(pages, "cy")
    english = {name: words for name, html in pages.items() if (words := english_words(html))}
    assert english == {}
    assert "Aros wedi mewngofnodi?" in pages["stay signed in"]
    assert "Mae eich cyfrif neu eich cyfrinair yn anghywir." in pages["password refused"]
    reply = browser.submit(pages["stay signed in"], kmsi="yes")
    assert reply.params["state"] == "st-123" and reply.params["code"]


def test_the_same_pages_in_english_are_caught_by_the_scan(emu, browser):
    """The scan is not vacuous: each English page trips it."""
    pages = welsh_sign_in_pages(emu, browser, EXAMINER, ui_locales="en-GB en")
    assert all(page_language(html) == "en" and english_words(html) for html in pages.values())


@pytest.mark.parametrize("ui_locales, accept_language, expected", [
    ("cy", "en-GB,en;q=0.9", "cy"),
    ("cy-GB", "", "cy"),
    ("fr-FR cy-GB", "en", "cy"),
    ("en-GB en", "cy-GB,cy;q=0.9", "en"),
    (None, "cy-GB,cy;q=0.9,en;q=0.5", "cy"),
    (None, "en-GB", "en"),
    (None, "", "en"),
    ("fr-FR de", "fr", "en"),
    ("x" * 5000, "cy", "cy"),
])
def test_ui_locales_wins_over_the_browser_and_english_is_the_fallback(emu, http, browser, ui_locales,
                                                                       accept_language, expected):
    http.headers["Accept-Language"] = accept_language
    _, challenge = pkce_pair()
    assert page_language(browser.open(authorize_url(emu.authority, challenge, ui_locales=ui_locales))) == expected


def test_a_sign_in_keeps_its_language_whatever_the_browser_sends_later(emu, http, browser):
    _, challenge = pkce_pair()
    page = browser.open(authorize_url(emu.authority, challenge, ui_locales="cy"))
    http.headers["Accept-Language"] = "en-GB"
    assert page_language(browser.submit(page, loginfmt=EXAMINER)) == "cy"


def test_the_signed_out_page_honours_ui_locales(emu, http):
    page = http.get(f"{emu.authority}/oauth2/v2.0/logout", params={"ui_locales": "cy"}).text
    assert page_language(page) == "cy" and "Rydych wedi allgofnodi o&#39;ch cyfrif" in page
    assert english_words(page) == []


def test_an_expired_sign_in_page_speaks_the_browsers_language(emu, http):
    http.headers["Accept-Language"] = "cy"
    page = http.get(emu.base_url + "/signin/no-such-flow")
    assert page.status_code == 400 and page_language(page.text) == "cy"
    assert "Mae&#39;r dudalen fewngofnodi hon wedi dod i ben" in page.text


def test_the_form_post_back_to_the_app_is_in_the_sign_ins_language(emu, browser):
    """The auto-posting page shows only without JavaScript, but then it is read: Welsh too."""
    pages = welsh_sign_in_pages(emu, browser, EXAMINER, ui_locales="cy", response_mode="form_post")
    browser.submit(pages["stay signed in"], kmsi="no")
    assert browser.page_text.startswith("Wrthi'n gweithio")


def test_an_unknown_app_gets_a_welsh_title_over_microsofts_code(emu, http):
    page = http.get(f"{emu.authority}/oauth2/v2.0/authorize", params={
        "client_id": "00000000-0000-0000-0000-000000000000", "redirect_uri": REDIRECT_URI, "ui_locales": "cy"})
    assert page.status_code == 400 and page_language(page.text) == "cy"
    assert "Mae&#39;n ddrwg gennym" in page.text and "AADSTS700016" in page.text


@pytest.mark.parametrize("value, expected", [("cy", "cy"), ("CY-gb", "cy"), ("en-US", "en"), ("fr de", None),
                                             ("", None), ("de cy en", "cy")])
def test_the_first_supported_ui_locale_is_chosen(value, expected):
    assert language_from_ui_locales(value) == expected


def _marked_strings() -> set[str]:
    """Every literal the emulator's templates and views pass to ``_`` (adjacent literals joined)."""
    literal = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
    found = set()
    for path in [*EMULATOR.glob("*.py"), *EMULATOR.glob("templates/*.html")]:
        for call in re.finditer(rf"\b_\(\s*((?:(?:{literal})\s*)+)", path.read_text(encoding="utf-8")):
            found.add("".join(ast.literal_eval(part) for part in re.findall(literal, call.group(1))))
    return found


def test_every_marked_emulator_string_has_welsh_and_the_table_has_nothing_else():
    marked = _marked_strings() | set(MESSAGES.values())
    assert len(marked) > 40
    assert sorted(marked - set(WELSH)) == [] and sorted(set(WELSH) - marked) == []
