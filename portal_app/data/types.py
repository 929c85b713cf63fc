"""Column types shared by the data layer's tables."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """A moment in time, always read back as an aware UTC datetime.

    PostgreSQL keeps the zone; SQLite returns naive datetimes, and comparing one with ``datetime.now(UTC)``
    raises. Values are stored in UTC and shown in Europe/London by whoever displays them.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: say which zone the time is in")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def aware_utc(value: datetime | None) -> datetime | None:
    """A database time as an aware UTC datetime (SQLite hands back naive UTC wall times)."""
    return UtcDateTime().process_result_value(value, None)
