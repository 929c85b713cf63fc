"""Samples follow the board's rules at import: size by cohort, the highest and lowest included, never a carried
forward or absent candidate, an entry in at most one sample; and the demo data follows the shipped rules."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import func, select

from portal_app.data.models import Allocation, Candidate, Entry, Mark, ModerationSample
from portal_app.data.moderation_rules import ModerationRules
from portal_app.data.sample_rules import centre_sample_problems
from portal_app.data.seed import seed_demo
from portal_app.data.validation import ParsedMark
from tests.data.import_files import (
    GOOD_SAMPLE,
    MORGAN,
    TOMOS,
    allocations_csv,
    basics,
    load,
    samples_csv,
    small_rules,
)


def sample_errors(session, tmp_path, *rows, rules=None, **files) -> list[str]:
    reports = load(session, tmp_path, rules=rules, **basics(samples=samples_csv(*rows), **files))
    return [str(e) for e in reports["samples.csv"].errors] if "samples.csv" in reports else ["not imported"]


def rows_in_samples(session) -> int:
    return session.scalar(select(func.count()).select_from(ModerationSample))


def test_a_sample_that_follows_the_rules_imports_with_its_reasons_and_twice_is_unchanged(session, tmp_path):
    assert sample_errors(session, tmp_path, *GOOD_SAMPLE, ("0002", "additional", "Marking of task 2 queried")) == []
    reasons = dict(session.execute(select(Candidate.number, ModerationSample.reason)
                                   .join(Entry, Entry.id == ModerationSample.entry_id)
                                   .join(Candidate, Candidate.id == Entry.candidate_id)).all())
    assert reasons == {"0001": "generated", "0004": "generated", "0006": "generated", "0008": "generated",
                       "0012": "lowest", "0002": "additional"}
    again = load(session, tmp_path / "again", samples=samples_csv(*GOOD_SAMPLE))
    assert (again["samples.csv"].created, again["samples.csv"].unchanged) == (0, 5)


@pytest.mark.parametrize(("rows", "message"), [
    (GOOD_SAMPLE[:3] + GOOD_SAMPLE[4:], "line 2: centre 68101: the sample has 3 generated rows where a cohort of 10 "
                                        "takes 4"),
    (GOOD_SAMPLE + (("0002", "generated"),), "line 2: centre 68101: the sample has 5 generated rows"),
    (GOOD_SAMPLE[:4], "line 2: centre 68101: the sample lacks a candidate with the centre's lowest mark, 15"),
    ((("0002", ""),) + GOOD_SAMPLE[1:], "line 2: centre 68101: the sample lacks a candidate with the centre's "
                                        "highest mark, 70"),
    (GOOD_SAMPLE[:4] + (("0009", "lowest"),), "line 6: centre 68101: this candidate is in the sample as lowest but "
                                              "the centre's lowest mark is 15"),
    (GOOD_SAMPLE + (("0001", "highest"),), "line 7: repeats line 2"),
    (GOOD_SAMPLE + (("0010", "additional", "x"),), "line 7: candidate 68101/0010 has the centre code CF, which is "
                                                   "never sampled"),
    (GOOD_SAMPLE + (("0002", "additional"),), "line 7: note is empty: an additional candidate needs the reason"),
    (GOOD_SAMPLE + (("0002", "replacement", "x"),), "line 7: reason 'replacement' is not one of: generated, highest, "
                                                    "lowest, additional"),
    (GOOD_SAMPLE + (("0099", "additional", "x"),), "line 7: no moderator allocation of " + MORGAN),
])
def test_a_sample_that_breaks_a_rule_is_refused_with_its_line_and_nothing_is_written(session, tmp_path, rows,
                                                                                      message):
    found = sample_errors(session, tmp_path, *rows)
    assert any(e.startswith(message) for e in found), found
    assert rows_in_samples(session) == 0


def test_the_highest_and_lowest_count_within_the_size_when_the_rules_say_so(session, tmp_path):
    within = small_rules(extremes="within")
    assert sample_errors(session, tmp_path, *GOOD_SAMPLE, rules=within)[0].endswith(
        "the sample has 5 rows drawn by the board where a cohort of 10 takes 4 (config/moderation.toml sample.sizes)")
    rows = (("0001", "highest"), ("0004", ""), ("0006", ""), ("0012", "lowest"))
    assert sample_errors(session, tmp_path / "b", *rows, rules=within) == []


def test_a_small_cohort_is_sampled_whole(session, tmp_path):
    files = {"entries": "series_code,component_code,centre_number,centre_name,candidate_number,candidate_name,"
                        "centre_mark\nJUN17,3000N1,68101,Ysgol Un,0001,A,10\nJUN17,3000N1,68101,Ysgol Un,0002,B,20\n"}
    assert sample_errors(session, tmp_path, ("0001", ""), **files)[0].endswith("has 1 generated rows where a cohort "
                                                                              "of 2 takes 2 (config/moderation.toml "
                                                                              "sample.sizes)")
    assert sample_errors(session, tmp_path / "b", ("0001", ""), ("0002", ""), **files) == []


def test_an_entry_is_in_at_most_one_sample(session, tmp_path):
    both = allocations_csv((MORGAN, "moderator", "68101"), (TOMOS, "moderator", "68101"))
    assert sample_errors(session, tmp_path, *GOOD_SAMPLE, allocations=both) == []
    rows = samples_csv(("0002", "additional", "x"), ("0001", "additional", "y"), oid=TOMOS)
    reports = load(session, tmp_path / "b", samples=rows)
    assert [str(e) for e in reports["samples.csv"].errors][-1] == (
        "line 3: candidate 68101/0001 is already in the sample of another moderator (allocation 1)")


def test_a_rows_reason_cannot_change_by_import(session, tmp_path):
    assert sample_errors(session, tmp_path, *GOOD_SAMPLE) == []
    reports = load(session, tmp_path / "b", samples=samples_csv(("0012", "generated")))
    assert [str(e) for e in reports["samples.csv"].errors] == [
        "line 2: candidate 68101/0012 is already in the sample as lowest; an import cannot change why"]


def test_the_rules_file_shipped_with_the_portal_is_valid_and_sizes_by_cohort():
    rules = ModerationRules.load()
    assert [rules.sample_size(n) for n in (3, 5, 6, 40, 41, 84, 100, 101, 250)] == [3, 5, 5, 5, 12, 12, 12, 15, 20]
    assert (rules.not_received_code, rules.extremes) == ("NR", "added")


def test_the_demo_samples_follow_the_shipped_rules(session):
    seed_demo(session)
    rules = ModerationRules.load()
    cohorts, samples = defaultdict(dict), defaultdict(dict)
    query = (select(Allocation.id, Candidate.centre_id, Entry.id, Mark.centre_mark, Mark.centre_code,
                    ModerationSample.reason)
             .join(Entry, Entry.component_id == Allocation.component_id)
             .join(Candidate, Candidate.id == Entry.candidate_id)
             .join(Mark, Mark.entry_id == Entry.id)
             .outerjoin(ModerationSample, (ModerationSample.entry_id == Entry.id)
                        & (ModerationSample.allocation_id == Allocation.id))
             .where(Allocation.role == "moderator"))
    for allocation, centre, entry, mark, code, reason in session.execute(query):
        cohorts[(allocation, centre)][entry] = ParsedMark(mark, code)
        if reason:
            samples[(allocation, centre)][entry] = reason
    owned = {(a, c) for a, c in session.execute(select(Allocation.id, Candidate.centre_id)
                                                .join(ModerationSample, ModerationSample.allocation_id == Allocation.id)
                                                .join(Entry, Entry.id == ModerationSample.entry_id)
                                                .join(Candidate, Candidate.id == Entry.candidate_id))}
    assert len(owned) == 11
    assert {key: centre_sample_problems(cohorts[key], samples[key], rules) for key in owned} == {
        key: [] for key in owned}
