"""Reading import CSVs: header checks, per-field validation with line numbers, and the import report."""

from __future__ import annotations

import csv
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_app.data.models import Component, Series

CODE = re.compile(r"[A-Z0-9][A-Z0-9/_-]{0,31}")
NUMBER = re.compile(r"[0-9A-Z]{1,16}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,60}")


@dataclass(frozen=True)
class RowError:
    """A problem in an import file; ``line`` is the physical line in the file (the header is line 1)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    """What an import did (or, when ``errors`` is not empty, why it wrote nothing)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, outcome: str) -> None:
        """Tally one row as "created", "updated" or "unchanged"."""
        setattr(self, outcome, getattr(self, outcome) + 1)


class Row:
    """One CSV row being validated; each accessor records a message when its field is bad."""

    def __init__(self, line: int, data: dict[str, str], errors: list[RowError]) -> None:
        self.line = line
        self.data = data
        self.errors = errors

    def fail(self, message: str) -> None:
        self.errors.append(RowError(self.line, message))

    def text(self, name: str, *, max_len: int = 200, required: bool = True) -> str | None:
        value = (self.data.get(name) or "").strip()
        if not value:
            if required:
                self.fail(f"{name} is empty")
            return None
        if len(value) > max_len:
            self.fail(f"{name} is longer than {max_len} characters")
            return None
        return value

    def matching(self, name: str, pattern: re.Pattern[str], hint: str) -> str | None:
        value = self.text(name, max_len=254)
        if value is not None and not pattern.fullmatch(value):
            self.fail(f"{name} {value[:40]!r} is not {hint}")
            return None
        return value

    def code(self, name: str) -> str | None:
        return self.matching(name, CODE, "a code of capital letters, digits and / _ -")

    def number(self, name: str) -> str | None:
        return self.matching(name, NUMBER, "a number of up to 16 digits or capitals")

    def guid(self, name: str) -> str | None:
        value = self.text(name, max_len=36)
        if value is None:
            return None
        try:
            return str(uuid.UUID(value)) if len(value) == 36 else self._bad_guid(name, value)
        except ValueError:
            return self._bad_guid(name, value)

    def _bad_guid(self, name: str, value: str) -> None:
        self.fail(f"{name} {value[:40]!r} is not a GUID like 3d8f5a2e-7b1c-4c9e-9a6f-2e5b8c1d4f70")

    def integer(self, name: str, *, minimum: int = 0, maximum: int = 1000, required: bool = True) -> int | None:
        value = self.text(name, max_len=6, required=required)
        if value is None:
            return None
        if not (value.isascii() and value.isdigit()) or not minimum <= int(value) <= maximum:
            self.fail(f"{name} {value!r} is not a whole number from {minimum} to {maximum}")
            return None
        return int(value)

    def choice(self, name: str, options: tuple[str, ...]) -> str | None:
        value = self.text(name, max_len=32)
        if value is not None and value.lower() not in options:
            self.fail(f"{name} {value[:40]!r} is not one of: {', '.join(options)}")
            return None
        return None if value is None else value.lower()


def read_rows(path: str | Path, columns: tuple[str, ...], report: ImportReport) -> list[Row]:
    """The file's data rows, or [] with errors in ``report`` when the file or its header is unusable."""
    try:
        # utf-8-sig: spreadsheets exported on Windows start with a byte-order mark.
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return _rows(csv.DictReader(handle), columns, report)
    except FileNotFoundError:
        report.errors.append(RowError(0, f"file {path} does not exist"))
    except (UnicodeDecodeError, csv.Error) as error:
        report.errors.append(RowError(0, f"file {path} is not a readable UTF-8 CSV file ({error})"))
    return []


def _rows(reader: csv.DictReader, columns: tuple[str, ...], report: ImportReport) -> list[Row]:
    missing = [name for name in columns if name not in (reader.fieldnames or [])]
    if missing:
        report.errors.append(RowError(1, f"the header lacks column(s): {', '.join(missing)}"))
        return []
    rows = []
    for data in reader:
        row = Row(reader.line_num, data, report.errors)
        if None in data or any(value is None for value in data.values()):
            row.fail("the row does not have the same number of fields as the header")
            continue
        rows.append(row)
    return rows


def components_by_key(session: Session) -> dict[tuple[str, str], Component]:
    """Every component by (series code, component code), in one query."""
    query = select(Component, Series.code).join(Series, Series.id == Component.series_id)
    return {(series_code, component.code): component for component, series_code in session.execute(query)}


def component_of(row: Row, components: dict) -> Component | None:
    """The component named by the row's series_code and component_code, or None with an error."""
    key = (row.code("series_code"), row.code("component_code"))
    if None in key:
        return None
    if key not in components:
        row.fail(f"component {key[1]} of series {key[0]} is unknown; import components first")
    return components.get(key)


def first_seen(row: Row, key: tuple, seen: dict[tuple, int]) -> bool:
    """False (with an error) when the same natural key already appeared earlier in the file."""
    if key in seen:
        row.fail(f"repeats line {seen[key]}")
        return False
    seen[key] = row.line
    return True
