"""Validation of one typed mark: a whole number from 0 to the maximum, an allowed status code, or blank."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# ASCII digits only: str.isdigit() would accept "²" or Arabic-Indic digits that int() then mangles or rejects.
WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")
DECIMAL = re.compile(r"[0-9]*[.,][0-9]+")
LONGEST_INPUT = 16


@dataclass(frozen=True)
class ParsedMark:
    """A valid value: a mark, or a status code, or neither (the field was cleared)."""

    mark: int | None = None
    code: str | None = None

    @property
    def display(self) -> str:
        """The value as the sheet shows it: "42", "A" or ""."""
        if self.code is not None:
            return self.code
        return "" if self.mark is None else str(self.mark)


def allowed_values_hint(max_mark: int, status_codes: Mapping[str, str]) -> str:
    """The sentence telling the user what they may type, e.g. "a whole number from 0 to 60, or A (absent)"."""
    hint = f"a whole number from 0 to {max_mark}"
    if status_codes:
        codes = ", ".join(f"{code} ({meaning.lower()})" for code, meaning in sorted(status_codes.items()))
        hint += f", or {codes}"
    return hint


def parse_mark(raw: object, max_mark: int, status_codes: Mapping[str, str]) -> ParsedMark | str:
    """A ParsedMark when ``raw`` is valid, else the message to show beside the field."""
    if raw is None:
        return ParsedMark()
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return f"Enter {allowed_values_hint(max_mark, status_codes)}."
    text = str(raw).strip()
    if text == "":
        return ParsedMark()
    if len(text) > LONGEST_INPUT:
        return f"That is too long. Enter {allowed_values_hint(max_mark, status_codes)}."
    if text.upper() in status_codes:
        return ParsedMark(code=text.upper())
    if WHOLE_NUMBER.fullmatch(text):
        value = int(text)
        if value > max_mark:
            return f"{value} is more than the maximum mark of {max_mark}."
        return ParsedMark(mark=value)
    if DECIMAL.fullmatch(text):
        return f"Marks are whole numbers: {text} is not. Enter {allowed_values_hint(max_mark, status_codes)}."
    if text.startswith("-"):
        return f"Marks cannot be negative. Enter {allowed_values_hint(max_mark, status_codes)}."
    return f"Enter {allowed_values_hint(max_mark, status_codes)}."
