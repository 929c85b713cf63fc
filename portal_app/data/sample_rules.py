"""Does a centre's sample follow the board's rules (config/moderation.toml)? One pure check, used at import.

The cohort is the centre's candidates for the component with a centre mark, less those whose centre code is not
sampled (carried forward, absent). The board's rows (reasons generated, highest, lowest) must number the size the
rules give for the cohort and hold the highest- and lowest-marked candidates; a moderator's additional rows come on
top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from portal_app.data.moderation_rules import ModerationRules
from portal_app.data.validation import ParsedMark

BOARD_REASONS = ("generated", "highest", "lowest")


@dataclass(frozen=True)
class SampleProblem:
    """What breaks a rule; ``entry_id`` names the row at fault when there is one."""

    message: str
    entry_id: int | None = None


def eligible(value: ParsedMark, rules: ModerationRules) -> bool:
    """A candidate who counts in the cohort and may be sampled: a centre mark, or a code that is sampled."""
    return value != ParsedMark() and value.code not in rules.not_sampled_codes


def centre_sample_problems(cohort: Mapping[int, ParsedMark], sample: Mapping[int, str],
                           rules: ModerationRules) -> list[SampleProblem]:
    """Problems of one centre's sample: ``cohort`` maps entry id -> centre value, ``sample`` entry id -> reason."""
    counted = {entry: value for entry, value in cohort.items() if eligible(value, rules)}
    board = {entry: reason for entry, reason in sample.items() if reason in BOARD_REASONS}
    size = rules.sample_size(len(counted))
    drawn = [entry for entry, reason in board.items() if reason == "generated" or rules.extremes == "within"]
    problems = []
    if len(drawn) != size:
        what = "generated rows" if rules.extremes == "added" else "rows drawn by the board"
        problems.append(SampleProblem(f"the sample has {len(drawn)} {what} where a cohort of {len(counted)} "
                                      f"takes {size} (config/moderation.toml sample.sizes)"))
    marks = {entry: value.mark for entry, value in counted.items() if value.mark is not None}
    if not marks:
        return problems
    for reason, extreme, wanted in (("highest", max(marks.values()), rules.include_highest),
                                    ("lowest", min(marks.values()), rules.include_lowest)):
        holders = {entry for entry, mark in marks.items() if mark == extreme}
        if wanted and not holders & board.keys():
            problems.append(SampleProblem(f"the sample lacks a candidate with the centre's {reason} mark, "
                                          f"{extreme}"))
        added = sorted(e for e, r in board.items() if r == reason)
        for index, entry in enumerate(added):
            if entry not in holders:
                problems.append(SampleProblem(f"this candidate is in the sample as {reason} but the centre's "
                                              f"{reason} mark is {extreme}", entry))
            elif rules.extremes == "added" and (holders & set(drawn) or index > 0):
                problems.append(SampleProblem(f"the sample already holds a candidate with the {reason} mark, "
                                              f"so this {reason} row is one too many", entry))
    return problems
