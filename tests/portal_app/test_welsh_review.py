"""The 40 strings of the Welsh review (../shared/domain/welsh-review.md, section 2), each as the review's
"authoritative term / better rendering" gives it: the catalogue, the config and the emulator say exactly that."""

from __future__ import annotations

import tomllib

import pytest
from babel.messages.pofile import read_po

from emulator.i18n import WELSH as EMULATOR_WELSH
from portal_app.web.i18n import UI_LOCALES
from tests.support.servers import REPO_ROOT

WELSH_PO = REPO_ROOT / "translations" / "cy" / "LC_MESSAGES" / "messages.po"

# Review row -> (English msgid, the Welsh the review marks OK or recommends).
CATALOGUE_ROWS = {
    1: ("Sign in", "Mewngofnodi"),
    2: ("Sign in as an Appointee", "Mewngofnodi fel Penodai"),
    3: ("Sign in to your Portal account", "Mewngofnodi i'ch cyfrif Porth"),
    4: ("Please sign in to continue.", "Mewngofnodwch i barhau."),
    6: ("We could not sign you in", "Nid oedd modd eich mewngofnodi"),
    7: ("Sign out", "Allgofnodi"),
    8: ("Sign out?", "Allgofnodi?"),
    9: ("Sign out everywhere", "Allgofnodi ym mhobman"),
    10: ("You have been signed out of the WJEC Portal.", "Rydych wedi allgofnodi o Borth CBAC."),
    11: ("All Services", "Pob Gwasanaeth"),
    12: ("Back to All Services", "Yn ôl i Bob Gwasanaeth"),
    13: ("Search", "Chwilio"),
    14: ("Search all services", "Chwilio pob gwasanaeth"),
    15: ("No services match your search.", "Nid oes gwasanaethau'n cyfateb i'ch chwiliad."),
    17: ("Add %(service)s to My Favourites", "Ychwanegu %(service)s at Fy Ffefrynnau"),
    18: ("Remove %(service)s from My Favourites", 'Tynnu %(service)s o "Fy Ffefrynnau"'),
    19: ("Electronic Mark Input", "Mewnbynnu Marciau'n Electronig"),
    20: ("Moderator Mark Input", "Mewnbynnu Marciau Cymedrolwyr"),
    21: ("ENTER MARKS (%(left)s LEFT)", "MEWNBYNNU MARCIAU (%(left)s AR ÔL)"),
    22: ("SUBMIT MARKS (%(entered)s)", "CYFLWYNO MARCIAU (%(entered)s)"),
    23: ("Save draft", "Cadw drafft"),
    24: ("Submit", "Cyflwyno"),
    25: ("Submitted", "Cyflwynwyd"),
    26: ("Your marks were saved as a draft.", "Cadwyd eich marciau fel drafft."),
    27: ("Enter a mark or a status code before submitting.", "Rhowch farc neu god statws cyn cyflwyno."),
    28: ("Enter a whole number from 0 to %(max)s, or one of the status codes below. Leave a field empty if you "
         "have not marked that candidate yet.",
         "Rhowch rif cyfan o 0 i %(max)s, neu un o'r codau statws isod. Gadewch y maes yn wag os nad ydych wedi "
         "marcio'r ymgeisydd hwnnw eto."),
    29: ("%(value)s is more than the maximum mark of %(max)s.", "Mae %(value)s yn uwch na'r marc uchaf, sef %(max)s."),
    32: ("Moderated mark", "Marc wedi'i gymedroli"),
    33: ("Still to moderate", "I'w cymedroli o hyd"),
    34: ("Complete report", "Cwblhau'r adroddiad"),
    35: ("Work as:", "Gweithio fel:"),
    36: ("View Team", "Gweld y Tîm"),
    37: ("You do not have access to this page", "Nid oes gennych fynediad i'r dudalen hon"),
    38: ("Page not found", "Heb ddod o hyd i'r dudalen"),
    39: ("That language is not available. Choose Cymraeg or English.",
         'Nid yw\'r iaith honno ar gael. Dewiswch "Cymraeg" neu "English".'),
    40: ("Your account needs an extra verification step that it has not set up yet. Set up a verification method "
         "in AMP, or contact appointee support.",
         "Mae angen cam dilysu ychwanegol ar eich cyfrif nad yw wedi'i osod eto. Gosodwch ddull dilysu yn AMP, neu "
         "cysylltwch â thîm cymorth penodeion CBAC."),
}


def catalogue() -> dict[str, str]:
    with WELSH_PO.open("rb") as file:
        return {m.id: m.string for m in read_po(file) if isinstance(m.id, str) and m.id}


@pytest.mark.parametrize("row", sorted(CATALOGUE_ROWS))
def test_the_reviews_string_reads_as_it_recommends(row):
    english, welsh = CATALOGUE_ROWS[row]
    assert catalogue()[english] == welsh


def test_row_16_my_favourites():
    """The menu's own group, named in portal_app/catalogue/menu.py (or the catalogue, should it move there)."""
    from portal_app.catalogue import menu

    titles = getattr(menu, "FAVOURITES_TITLE", {})
    assert (catalogue().get("My Favourites") or titles.get("cy")) == "Fy Ffefrynnau"


def test_row_5_microsofts_stay_signed_in_page_is_asked_for_in_welsh():
    """Row 5: Microsoft's own page; the portal sends ui_locales, the emulator shows it in Welsh."""
    assert UI_LOCALES["cy"].split()[0] == "cy-GB" and EMULATOR_WELSH["Stay signed in?"] == "Aros wedi mewngofnodi?"


def test_rows_11_and_19_the_config_names_things_as_the_catalogue_does():
    services = tomllib.loads((REPO_ROOT / "config" / "services.toml").read_text(encoding="utf-8"))["services"]
    by_id = {service["id"]: service for service in services}
    assert by_id["electronic-mark-input"]["title_cy"] == catalogue()["Electronic Mark Input"]
    assert "newislen Pob Gwasanaeth" in by_id["link-check"]["description_cy"]


def test_rows_30_and_31_the_role_titles():
    roles = tomllib.loads((REPO_ROOT / "config" / "roles.toml").read_text(encoding="utf-8"))["roles"]
    assert roles["moderator"]["title_cy"] == "Cymedrolwr"
    assert roles["principal_moderator"]["title_cy"] == "Uwch Gymedrolwr"
