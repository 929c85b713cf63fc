"""The demo seed gives the demo users the allocations the seed guide shows, and is idempotent."""

from __future__ import annotations

import pytest

from portal_app.data.audit import Appointee
from portal_app.data.marks import list_examiner_components
from portal_app.data.seed import SeedError, seed_demo
from tests.data.builders import ELERI, TENANT


def test_seed_gives_eleri_the_latin_component_with_290_left(session):
    seed_demo(session)
    session.commit()
    lines = {line.component_code: line for line in list_examiner_components(session, ELERI)}
    latin = lines["9521/01"]
    assert latin.label == "GCSE JANUARY 2017 LATIN LANGUAGE CORE: LEVEL 2 (9521/01)"
    assert latin.enter_label == "ENTER MARKS (290 LEFT)"
    assert latin.submit_label == "NO MARKS TO SUBMIT (0 SUBMITTED)"
    assert latin.agenda_document == "9521-01-conference-agenda.pdf"
    assert len(lines) == 2


@pytest.mark.parametrize("oid", ["77777777-7777-4777-8777-777777777777", "66666666-6666-4666-8666-666666666666"])
def test_seed_gives_small_components_to_other_examiners(session, oid):
    seed_demo(session)
    (line,) = list_examiner_components(session, Appointee(TENANT, oid))
    assert 0 < line.total <= 20


def test_seeding_twice_changes_nothing(session):
    seed_demo(session)
    session.commit()
    reports = seed_demo(session)
    assert all(r.created == 0 and r.updated == 0 and r.unchanged > 0 for r in reports.values())


def test_seed_with_a_bad_file_names_file_and_line(session, tmp_path):
    (tmp_path / "components.csv").write_text("series_code,series_title\nX,Y\n", encoding="utf-8")
    with pytest.raises(SeedError, match="components.csv line 1: the header lacks"):
        seed_demo(session, tmp_path)
