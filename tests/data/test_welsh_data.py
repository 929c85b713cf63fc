"""The board's Welsh: optional Welsh titles and status-code meanings in components.csv, English where absent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal_app.data.access import status_code_map
from portal_app.data.imports import import_components
from portal_app.data.messages import Bilingual
from portal_app.data.models import Component, Series

HEADER = "series_code,series_title,component_code,component_title,max_mark,status_codes"
WELSH_HEADER = HEADER + ",component_title_cy,status_codes_cy,series_title_cy"
WELSH_ROW = ("JUN17,GCSE JUNE 2017,3000N1,WELSH LANGUAGE UNED 1 - LLAFAR,80,A=Absent;CF=Carried forward,"
             "CYMRAEG UNED 1 - LLAFAR,A=Absennol;CF=Wedi'i gario ymlaen,TGAU MEHEFIN 2017")


def load(session, tmp_path, *lines: str, name: str = "components.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_components(session, path)
    session.flush()
    return report


def component(session) -> Component:
    return session.scalars(select(Component).where(Component.code == "3000N1")).one()


def test_welsh_titles_and_meanings_are_kept_beside_the_english(session, tmp_path):
    assert load(session, tmp_path, WELSH_HEADER, WELSH_ROW).ok
    found = component(session)
    assert (found.title, found.title_cy) == ("WELSH LANGUAGE UNED 1 - LLAFAR", "CYMRAEG UNED 1 - LLAFAR")
    assert session.scalars(select(Series.title_cy)).one() == "TGAU MEHEFIN 2017"
    assert found.label == "GCSE JUNE 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)"
    assert found.label.welsh == "TGAU MEHEFIN 2017 CYMRAEG UNED 1 - LLAFAR (3000N1)"
    codes = status_code_map(found)
    assert codes == {"A": "Absent", "CF": "Carried forward"}
    assert {code: meaning.welsh for code, meaning in codes.items()} == {"A": "Absennol", "CF": "Wedi'i gario ymlaen"}


def test_a_file_without_the_welsh_columns_imports_as_before(session, tmp_path):
    assert load(session, tmp_path, HEADER, "JUN17,GCSE JUNE 2017,3000N1,WELSH LANGUAGE UNED 1 - LLAFAR,80,A=Absent").ok
    found = component(session)
    assert found.title_cy is None and found.label.welsh is None
    assert status_code_map(found)["A"].welsh is None


def test_welsh_for_some_codes_and_one_title_leaves_the_rest_english(session, tmp_path):
    row = "JUN17,GCSE JUNE 2017,3000N1,WELSH LANGUAGE UNED 1 - LLAFAR,80,A=Absent;CF=Carried forward,,CF=Ymlaen,"
    assert load(session, tmp_path, WELSH_HEADER, row).ok
    found = component(session)
    assert found.label.welsh is None
    assert {c: m.welsh for c, m in status_code_map(found).items()} == {"A": None, "CF": "Ymlaen"}
    only_series = WELSH_ROW.replace("CYMRAEG UNED 1 - LLAFAR", "")
    assert load(session, tmp_path, WELSH_HEADER, only_series, name="again.csv").updated == 1
    assert component(session).label.welsh == "TGAU MEHEFIN 2017 WELSH LANGUAGE UNED 1 - LLAFAR (3000N1)"


def test_reimporting_is_unchanged_and_a_changed_welsh_title_is_an_update(session, tmp_path):
    load(session, tmp_path, WELSH_HEADER, WELSH_ROW)
    assert load(session, tmp_path, WELSH_HEADER, WELSH_ROW, name="same.csv").unchanged == 1
    changed = WELSH_ROW.replace("Absennol", "Yn absennol")
    assert load(session, tmp_path, WELSH_HEADER, changed, name="changed.csv").updated == 1
    assert status_code_map(component(session))["A"].welsh == "Yn absennol"
    assert load(session, tmp_path, HEADER, WELSH_ROW.rsplit(",", 3)[0], name="english.csv").updated == 1
    assert component(session).title_cy is None and session.scalars(select(Series.title_cy)).one() is None


@pytest.mark.parametrize("welsh_codes, message", [
    ("X=Rhywbeth", "status_codes_cy gives a Welsh meaning for X, which status_codes does not have"),
    ("A=Absennol;Z=Zed;Y=Ie", "for Y, Z, which status_codes does not have"),
    ("A", "status_codes_cy entry 'A' is not CODE=Meaning"),
    ("1=Un", "status_codes_cy entry '1=Un' is not CODE=Meaning"),
])
def test_welsh_meanings_for_codes_the_component_lacks_are_refused_and_nothing_written(session, tmp_path, welsh_codes,
                                                                                       message):
    row = WELSH_ROW.replace("A=Absennol;CF=Wedi'i gario ymlaen", welsh_codes)
    report = load(session, tmp_path, WELSH_HEADER, row)
    assert not report.ok and [e.line for e in report.errors] == [2]
    assert message in report.errors[0].message
    assert session.scalars(select(Component)).all() == []


def test_a_welsh_title_longer_than_200_characters_is_refused(session, tmp_path):
    report = load(session, tmp_path, WELSH_HEADER, WELSH_ROW.replace("CYMRAEG UNED 1 - LLAFAR", "C" * 201))
    assert [str(e) for e in report.errors] == ["line 2: component_title_cy is longer than 200 characters"]


def test_bilingual_text_reads_as_its_english():
    text = Bilingual("Absent", "Absennol")
    assert text == "Absent" and str(text) == "Absent" and f"{text}" == "Absent" and text.lower() == "absent"
    assert (text.in_language("cy"), text.in_language("en")) == ("Absennol", "Absent")
    assert Bilingual("Absent").in_language("cy") == "Absent" and Bilingual("Absent", "").welsh is None


def test_bilingual_text_is_escaped_when_a_page_shows_it():
    """Outside a page's request it is the English, escaped like any text."""
    assert Bilingual("<b>A & B</b>", "<i>C</i>").__html__() == "&lt;b&gt;A &amp; B&lt;/b&gt;"
