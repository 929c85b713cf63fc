"""Cymraeg and English: every string translatable and translated, the language choice, and formats per language."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import format_date, format_decimal
from werkzeug.exceptions import BadRequest, Forbidden, ImATeapot, MethodNotAllowed, NotFound, RequestEntityTooLarge

from auth.errors import InvalidState
from portal_app.catalogue.model import Catalogue, CatalogueError, localized
from portal_app.web.errors import http_error_description
from portal_app.web.i18n import COOKIE
from tests.support.servers import REPO_ROOT
from tests.support.welsh import VisibleText

TRANSLATIONS = REPO_ROOT / "translations"
WELSH_PO = TRANSLATIONS / "cy" / "LC_MESSAGES" / "messages.po"
WELSH_MO = TRANSLATIONS / "cy" / "LC_MESSAGES" / "messages.mo"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}
METHODS = [("portal_app/**.py", "python"), ("auth/**.py", "python"), ("templates/**.html", "jinja2")]
TEMPLATES = sorted((REPO_ROOT / "templates").rglob("*.html"))


def extracted_messages() -> set[str | tuple[str, ...]]:
    """Every msgid marked in the Python code and the templates, as `pybabel extract` with babel.cfg finds them."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(REPO_ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {"trimmed": "true"}}):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def welsh_catalogue():
    with WELSH_PO.open("rb") as file:
        return read_po(file)


def test_every_marked_string_has_a_welsh_translation():
    catalogue = welsh_catalogue()
    missing = []
    for message in sorted(extracted_messages(), key=str):
        entry = catalogue.get(message[0] if isinstance(message, tuple) else message)
        strings = entry.string if entry is not None else None
        strings = list(strings) if isinstance(strings, (list, tuple)) else [strings]
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(message)
    assert not missing, (f"{len(missing)} message(s) without a Welsh translation in {WELSH_PO}; run the steps in "
                         f"translations/babel.cfg and translate them: {missing}")


def test_compiled_catalogue_matches_the_po_file():
    """A translation added to the .po but not compiled would never show."""
    def by_id(catalogue) -> dict:
        return {m.id if isinstance(m.id, str) else m.id[0]: m.string if isinstance(m.string, str) else tuple(m.string)
                for m in catalogue if m.id}

    with WELSH_MO.open("rb") as file:
        compiled = by_id(read_mo(file))
    source = by_id(welsh_catalogue())
    stale = {k for k in source if compiled.get(k) != source[k]}
    assert not stale, f"compile the catalogue (pybabel compile -d translations): {sorted(stale)[:5]}"


def untranslated_text(source: str) -> list[str]:
    """Visible text left after removing translated blocks and every Jinja expression, tag and comment."""
    source = re.sub(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", "", source, flags=re.S)
    # CSS class names passed to base.html's main_class block are not text.
    source = re.sub(r"{%\s*block main_class\s*%}.*?{%\s*endblock\s*%}", "", source, flags=re.S)
    source = re.sub(r"{#.*?#}|{{.*?}}|{%.*?%}", "", source, flags=re.S)
    parser = VisibleText()
    parser.feed(source)
    return parser.found


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(REPO_ROOT / "templates")))
def test_template_has_no_text_outside_translation_markers(template: Path):
    assert untranslated_text(template.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("source", [
    "<p>Sign in</p>",
    '<input placeholder="Your email">',
    '<nav aria-label="Main menu"></nav>',
    "<p>{{ name }} has signed in</p>",
])
def test_heuristic_scan_catches_untranslated_text(source: str):
    assert untranslated_text(source)


@pytest.mark.parametrize("accept_language, expected", [
    ("cy", "cy"),
    ("cy-GB,cy;q=0.9,en;q=0.5", "cy"),
    ("en;q=0.4, cy;q=0.9", "cy"),
    ("en-GB,en;q=0.9", "en"),
    ("fr-FR,fr;q=0.9", "en"),
    ("", "en"),
    ("not a header;;;q=x", "en"),
])
def test_first_visit_follows_accept_language(client, accept_language, expected):
    page = client.get("/", headers={"Accept-Language": accept_language})
    assert page.status_code == 200
    assert f'<html lang="{expected}">' in page.text


def test_welsh_page_reads_in_welsh_with_a_switch_to_english(client):
    page = client.get("/", headers={"Accept-Language": "cy"}).text
    assert "Mewngofnodi i&#39;ch cyfrif Porth" in page or "Mewngofnodi i'ch cyfrif Porth" in page
    assert re.search(r'<a href="/language/en\?next=/"\s+lang="en" hreflang="en"[^>]*>English</a>', page)
    assert "Cymraeg</a>" not in page


def test_remembered_choice_beats_accept_language(client):
    client.get("/language/cy?next=/")
    page = client.get("/", headers={"Accept-Language": "en-GB"})
    assert '<html lang="cy">' in page.text
    assert 'hreflang="en"' in page.text


def test_choice_is_remembered_for_a_year_on_a_lax_httponly_cookie(client):
    response = client.get("/language/cy", query_string={"next": "/"})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=cy;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("page", ["/", "/emi/allocations/7?done=saved", "/iamis/", "/logout", "/services?q=mark",
                                  "/login?login_hint=someone%40example.com"])
def test_switching_language_keeps_the_user_on_the_same_page(client, method, page):
    response = getattr(client, method)("/language/en", query_string={"next": page})
    assert response.status_code == 303
    assert response.location == page


@pytest.mark.parametrize("bad_next", [
    "//evil.example/", "https://evil.example/", "/\\evil.example", "/%2F%2Fevil.example", "javascript:alert(1)",
    "/auth/callback", "/auth/frontchannel-logout?sid=x",
])
def test_switching_never_leaves_the_site_or_returns_to_sign_in_routes(client, bad_next):
    response = client.get("/language/cy", query_string={"next": bad_next})
    assert response.status_code == 303
    assert response.location == "/services"


def test_switching_without_next_goes_home(client):
    assert client.get("/language/cy").location == "/"


@pytest.mark.parametrize("code", ["fr", "CY", "en-GB", "xx", "cy%00"])
def test_unknown_language_is_refused_and_nothing_remembered(client, code):
    response = client.get(f"/language/{code}")
    assert response.status_code == 404
    assert COOKIE not in response.headers.get("Set-Cookie", "")


def test_error_pages_speak_the_chosen_language(client):
    client.get("/language/cy")
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "Heb ddod o hyd i&#39;r dudalen" in page.text or "Heb ddod o hyd i'r dudalen" in page.text


def test_auth_error_descriptions_stay_english_outside_a_request():
    """Logs and CLI output read the description outside a request: English."""
    assert str(InvalidState("replayed").description).startswith("This sign-in link has expired")


def test_auth_error_descriptions_render_in_welsh(client):
    """auth/ has no Flask: its descriptions are English, and the error page shows them in the chosen language."""
    client.set_cookie(COOKIE, "cy")
    page = client.post("/auth/callback", data={"state": "replayed-state", "code": "c"})
    assert page.status_code == 400
    assert "Mae'r ddolen fewngofnodi hon" in html.unescape(page.text)


@pytest.mark.parametrize("language, long_date, number", [
    ("cy", "1 Mehefin 2026", "1,234.5"),
    ("en", "1 June 2026", "1,234.5"),
])
def test_dates_and_numbers_follow_the_chosen_language(app, language, long_date, number):
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}={language}"}):
        assert format_date(date(2026, 6, 1), "long") == long_date
        assert format_decimal(1234.5) == number


def test_pages_vary_by_language_for_caches(client):
    assert {"Accept-Language", "Cookie"} <= set(client.get("/").vary)


@pytest.mark.parametrize("raised", [BadRequest(), Forbidden(), NotFound(), MethodNotAllowed(["GET"]),
                                    RequestEntityTooLarge(), ImATeapot()], ids=lambda e: str(e.code))
def test_error_pages_never_show_werkzeugs_english_description(app, raised):
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}=en"}):
        english = http_error_description(raised)
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}=cy"}):
        welsh = http_error_description(raised)
    assert english != type(raised).description and welsh != english


def test_a_description_given_to_abort_is_kept(app):
    with app.test_request_context("/"):
        assert http_error_description(BadRequest(description="Reload the sheet.")) == "Reload the sheet."


def _catalogue_with_heading(**keys) -> dict:
    service = {"id": "emi", "title": "EMI", "title_cy": "EMI", "category": "c", "description": "d",
               "description_cy": "d", "endpoint": "emi.index", "permission": "emi:view", **keys}
    return {"categories": [{"id": "c", "title": "C", "title_cy": "C", "order": 1}], "services": [service]}


@pytest.mark.parametrize("keys, problem_key", [
    ({"heading": "Marks"}, "services[0].heading_cy"),
    ({"heading": "Marks", "heading_cy": "  "}, "services[0].heading_cy"),
    ({"heading_cy": "Marciau"}, "services[0].heading_cy"),
    ({"heading": "Marks", "heading_cy": 3}, "services[0].heading_cy"),
])
def test_a_service_heading_needs_its_welsh_and_welsh_needs_the_heading(keys, problem_key):
    with pytest.raises(CatalogueError) as refused:
        Catalogue.from_data(_catalogue_with_heading(**keys))
    assert [p.key for p in refused.value.problems] == [problem_key]


def test_service_heading_is_shown_in_the_chosen_language():
    service = Catalogue.from_data(_catalogue_with_heading(heading="Marks", heading_cy="Marciau")).services[0]
    assert localized(service, "cy").heading == "Marciau" and localized(service, "en").heading == "Marks"


@pytest.mark.parametrize("language, shown, not_shown", [
    ("cy", "Cysylltwch â Swyddfa&#39;r Penodeion (unit@example.org).", "Appointees Unit"),
    ("en", "Contact the Appointees Unit (unit@example.org).", "Swyddfa"),
])
def test_the_support_contact_is_shown_in_the_pages_language(tmp_path, redis_url, entra, language, shown, not_shown):
    from portal_app import create_app
    from tests.portal_app.conftest import portal_test_config

    app = create_app(portal_test_config(tmp_path, redis_url, portal={
        "support_contact": "the Appointees Unit (unit@example.org)",
        "support_contact_cy": "Swyddfa'r Penodeion (unit@example.org)"}))
    client = app.test_client()
    client.set_cookie(COOKIE, language)
    page = client.get("/").text
    assert shown in page and not_shown not in page


@pytest.mark.parametrize("language, shown", [
    ("en", "Contact the WJEC appointee support team (appointees@wjec.co.uk)."),
    ("cy", "Cysylltwch â thîm cymorth penodeion CBAC (appointees@wjec.co.uk)."),
])
def test_the_default_support_contact_reads_in_each_language(client, language, shown):
    client.set_cookie(COOKIE, language)
    assert shown in client.get("/").text


@pytest.mark.parametrize("chosen, accept_language, ui_locales", [
    ("cy", "en-GB", "cy-GB cy"),
    ("en", "cy-GB,cy;q=0.9", "en-GB en"),
    (None, "cy", "cy-GB cy"),
    (None, "fr", "en-GB en"),
])
def test_microsofts_pages_are_asked_for_in_the_portals_language(client, chosen, accept_language, ui_locales):
    """The authorize request carries ui_locales, so the whole sign-in reads in the language chosen here."""
    if chosen:
        client.set_cookie(COOKIE, chosen)
    response = client.get("/login", headers={"Accept-Language": accept_language})
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.location).query)["ui_locales"] == [ui_locales]


def test_a_silent_attempt_asks_for_the_chosen_language_too(client):
    client.set_cookie(COOKIE, "cy")
    response = client.get("/services", headers={"Accept": "text/html"})
    query = parse_qs(urlsplit(response.location).query)
    assert query["prompt"] == ["none"] and query["ui_locales"] == ["cy-GB cy"]


def test_signing_out_asks_for_microsofts_signed_out_page_in_the_chosen_language(client, auth):
    auth.sign_in()
    client.set_cookie(COOKIE, "cy")
    page = client.get("/logout").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.location).query)["ui_locales"] == ["cy-GB cy"]


def test_configured_support_text_is_escaped_like_any_other_text(tmp_path, redis_url, entra):
    from portal_app import create_app
    from tests.portal_app.conftest import portal_test_config

    app = create_app(portal_test_config(tmp_path, redis_url, portal={
        "support_contact": "<b>the unit</b>", "support_contact_cy": "<b>yr uned</b>"}))
    page = app.test_client().get("/").text
    assert "&lt;b&gt;the unit&lt;/b&gt;" in page and "<b>the unit" not in page
