"""Validation of one typed mark: a whole number from 0 to the maximum, an allowed status code, or blank."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from portal_app.data.messages import N_, Message, StatusCodeList

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


def allowed_values_hint(max_mark: int, status_codes: Mapping[str, str]) -> Message:
    """What the user may type, e.g. "a whole number from 0 to 60, or A (absent)" (it follows "Enter")."""
    if not status_codes:
        return Message(N_("a whole number from 0 to %(max)s"), max=max_mark)
    codes = StatusCodeList(sorted(status_codes.items()))
    return Message(N_("a whole number from 0 to %(max)s, or %(codes)s"), max=max_mark, codes=codes)


def parse_mark(raw: object, max_mark: int, status_codes: Mapping[str, str]) -> ParsedMark | Message:
    """A ParsedMark when ``raw`` is valid, else the message to show beside the field."""
    if raw is None:
        return ParsedMark()
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return _refusal(N_("Enter %(allowed)s."), max_mark, status_codes)
    text = str(raw).strip()
    if text == "":
        return ParsedMark()
    if len(text) > LONGEST_INPUT:
        return _refusal(N_("That is too long. Enter %(allowed)s."), max_mark, status_codes)
    if text.upper() in status_codes:
        return ParsedMark(code=text.upper())
    if WHOLE_NUMBER.fullmatch(text):
        value = int(text)
        if value > max_mark:
            return Message(N_("%(value)s is more than the maximum mark of %(max)s."), value=value, max=max_mark)
        return ParsedMark(mark=value)
    if DECIMAL.fullmatch(text):
        return _refusal(N_("Marks are whole numbers: %(text)s is not. Enter %(allowed)s."), max_mark, status_codes,
                        text=text)
    if text.startswith("-"):
        return _refusal(N_("Marks cannot be negative. Enter %(allowed)s."), max_mark, status_codes)
    return _refusal(N_("Enter %(allowed)s."), max_mark, status_codes)


def _refusal(template: str, max_mark: int, status_codes: Mapping[str, str], **params: object) -> Message:
    """A message ending in "Enter <what is allowed>." (built only when a value is refused: sheets are long)."""
    return Message(template, allowed=allowed_values_hint(max_mark, status_codes), **params)
