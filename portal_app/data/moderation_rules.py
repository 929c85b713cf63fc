"""The board's moderation rules (config/moderation.toml): sample sizes, who a sample must hold, the code for work
that never arrived, and what a moderator's report needs.

``ModerationRules.load`` checks every key and reports every problem at once (file, key, what is wrong, the fix),
as the role rules do; ``portal_app.database`` loads the file at start and ``portal import`` checks samples
against it. No rule here is WJEC policy: they are defaults operations staff set (docs/moderation.md).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auth.problems import ConfigProblem, ProblemCollector

DEFAULT_RULES_FILE = Path(__file__).resolve().parents[2] / "config" / "moderation.toml"
EXTREMES = ("added", "within")
REPORT_FIELDS = ("judgement", "rank_order", "language", "assessment_comment", "administration_comment",
                 "task_setting_comment")
_CODE = re.compile(r"[A-Z]{1,8}")
_KNOWN = {
    "sample": {"sizes", "include_highest", "include_lowest", "extremes", "not_sampled_codes"},
    "work_not_received": {"code", "meaning", "meaning_cy"},
    "report": {"required", "comment_max_characters"},
}


class ModerationRulesError(Exception):
    """config/moderation.toml cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("moderation rules are invalid:\n" + "\n".join(f"  - {p}" for p in self.problems))


@dataclass(frozen=True)
class SizeBand:
    """Cohorts up to ``cohort_up_to`` (None: any larger) sample ``size`` candidates (None: all of them)."""

    cohort_up_to: int | None
    size: int | None


@dataclass(frozen=True)
class ModerationRules:
    """The validated content of config/moderation.toml."""

    sizes: tuple[SizeBand, ...]
    include_highest: bool
    include_lowest: bool
    extremes: str
    not_sampled_codes: frozenset[str]
    not_received_code: str
    not_received_meaning: str
    not_received_meaning_cy: str
    required_report_fields: tuple[str, ...]
    comment_max_characters: int

    def sample_size(self, cohort: int) -> int:
        """How many candidates the board draws from a cohort of ``cohort`` (never more than the cohort)."""
        for band in self.sizes:
            if band.cohort_up_to is None or cohort <= band.cohort_up_to:
                return cohort if band.size is None else min(band.size, cohort)
        return cohort  # unreachable: validation makes the last band open-ended

    @classmethod
    def load(cls, path: str | os.PathLike[str] = DEFAULT_RULES_FILE) -> ModerationRules:
        """Read and validate ``path``; raises ``ModerationRulesError`` listing every problem."""
        problems = ProblemCollector(str(path))
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            problems.add("(file)", f"cannot be read ({exc.strerror})", "create it from config/moderation.toml")
            raise ModerationRulesError(problems.items) from None
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problems.add("(syntax)", f"is not valid UTF-8 TOML ({exc})", "correct the file at that line")
            raise ModerationRulesError(problems.items) from None
        return cls.from_data(data, file=str(path))

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, file: str = "<memory>") -> ModerationRules:
        problems = ProblemCollector(file)
        tables = {}
        for section in sorted(data.keys() - _KNOWN.keys()):
            problems.add(section, "is not a known section", f"use only {', '.join(f'[{s}]' for s in _KNOWN)}")
        for section, keys in _KNOWN.items():
            table = data.get(section)
            if not isinstance(table, Mapping):
                problems.add(section, "is missing or not a table", f"add the [{section}] table")
                table = {}
            for extra in sorted(table.keys() - keys):
                problems.add(f"{section}.{extra}", "is not a known key", f"use only {', '.join(sorted(keys))}")
            tables[section] = table
        sample, work, report = tables["sample"], tables["work_not_received"], tables["report"]
        rules = cls(
            sizes=_sizes(sample.get("sizes"), problems),
            include_highest=_flag(sample, "sample", "include_highest", problems),
            include_lowest=_flag(sample, "sample", "include_lowest", problems),
            extremes=_choice(sample, "sample.extremes", EXTREMES, problems),
            not_sampled_codes=frozenset(_codes(sample.get("not_sampled_codes"), problems)),
            not_received_code=_code(work.get("code"), "work_not_received.code", problems),
            not_received_meaning=_text(work, "work_not_received.meaning", problems),
            not_received_meaning_cy=_text(work, "work_not_received.meaning_cy", problems),
            required_report_fields=_required(report.get("required"), problems),
            comment_max_characters=_whole(report.get("comment_max_characters"),
                                          "report.comment_max_characters", 100, 20000, problems),
        )
        if rules.not_received_code in rules.not_sampled_codes:
            problems.add("work_not_received.code", "is also a not-sampled code",
                         "choose a code of its own, such as NR")
        if problems.items:
            raise ModerationRulesError(problems.items)
        return rules


def _sizes(value: object, problems: ProblemCollector) -> tuple[SizeBand, ...]:
    """Bands in rising order of cohort_up_to; the last one open-ended, so every cohort has a size."""
    fix = 'write sizes = [{ cohort_up_to = 15, size = "all" }, ..., { size = 25 }]'
    if not isinstance(value, list) or not value:
        problems.add("sample.sizes", "is missing or empty", fix)
        return (SizeBand(None, None),)
    bands, previous = [], 0
    for index, band in enumerate(value):
        key = f"sample.sizes[{index}]"
        if not isinstance(band, Mapping) or band.keys() - {"cohort_up_to", "size"} or "size" not in band:
            problems.add(key, "is not a table of cohort_up_to and size", fix)
            continue
        last = index == len(value) - 1
        up_to = band.get("cohort_up_to")
        if last and up_to is not None:
            problems.add(key, "the last band has a cohort_up_to, so larger cohorts would have no size",
                         "leave cohort_up_to out of the last band")
        elif not last and (isinstance(up_to, bool) or not isinstance(up_to, int) or up_to <= previous):
            problems.add(f"{key}.cohort_up_to", f"{up_to!r} is not a whole number above {previous}",
                         "give the bands rising cohort_up_to values")
        else:
            previous = up_to or previous
        size = band["size"]
        if size != "all" and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            problems.add(f"{key}.size", f"{size!r} is neither \"all\" nor a whole number from 1", 'use "all" or 15')
            continue
        bands.append(SizeBand(None if last else up_to, None if size == "all" else size))
    return tuple(bands) or (SizeBand(None, None),)


def _flag(table: Mapping, section: str, name: str, problems: ProblemCollector) -> bool:
    value = table.get(name)
    if not isinstance(value, bool):
        problems.add(f"{section}.{name}", f"{value!r} is not true or false", f"write {name} = true")
        return True
    return value


def _choice(table: Mapping, key: str, options: tuple[str, ...], problems: ProblemCollector) -> str:
    value = table.get(key.rpartition(".")[2])
    if value not in options:
        problems.add(key, f"{value!r} is not one of {', '.join(options)}", f'write {key.rpartition(".")[2]} = '
                                                                           f'"{options[0]}"')
        return options[0]
    return str(value)


def _code(value: object, key: str, problems: ProblemCollector) -> str:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        problems.add(key, f"{value!r} is not a code of 1 to 8 capital letters", 'write code = "NR"')
        return "NR"
    return value


def _codes(value: object, problems: ProblemCollector) -> list[str]:
    if not isinstance(value, list):
        problems.add("sample.not_sampled_codes", "is missing or not a list", 'write not_sampled_codes = ["CF"]')
        return []
    return [_code(item, f"sample.not_sampled_codes[{i}]", problems) for i, item in enumerate(value)]


def _text(table: Mapping, key: str, problems: ProblemCollector) -> str:
    value = table.get(key.rpartition(".")[2])
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        problems.add(key, "is missing, empty or longer than 100 characters", 'write it in quotes: "..."')
        return ""
    return value.strip()


def _required(value: object, problems: ProblemCollector) -> tuple[str, ...]:
    if not isinstance(value, list):
        problems.add("report.required", "is missing or not a list", 'write required = ["judgement", ...]')
        return ()
    known = [item for item in value if item in REPORT_FIELDS]
    for index, item in enumerate(value):
        if item not in REPORT_FIELDS:
            problems.add(f"report.required[{index}]", f"unknown report field {item!r}",
                         f"use some of: {', '.join(REPORT_FIELDS)}")
    return tuple(known)


def _whole(value: object, key: str, low: int, high: int, problems: ProblemCollector) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.add(key, f"{value!r} is not a whole number from {low} to {high}", f"choose a value from {low} to "
                                                                                  f"{high}")
        return high
    return value
