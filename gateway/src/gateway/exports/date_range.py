"""Which campaigns a summary for a date range covers: those that ran during it."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

# A summary spans at most this long: a practice owner's year, with room for a fiscal one.
MAX_RANGE_DAYS = 400


class BadRange(ValueError):
    """`field` ("from" or "to") and what is wrong with it, and its code."""

    def __init__(self, field: str, message: str, code: str) -> None:
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


@dataclass(frozen=True)
class DateRange:
    """Whole days in UTC, both ends included."""

    start: date
    end: date

    @property
    def opens(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def closes(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def parse_range(start: str | None, end: str | None) -> DateRange:
    """`from` and `to` as ISO dates (2026-11-01); BadRange names the field."""
    first, last = _day("from", start), _day("to", end)
    if last < first:
        raise BadRange("to", "must be on or after `from`", "OUT_OF_RANGE")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise BadRange("to", f"a summary spans at most {MAX_RANGE_DAYS} days", "OUT_OF_RANGE")
    return DateRange(first, last)


def _day(field: str, value: str | None) -> date:
    if value is None or value == "":
        raise BadRange(field, "is required (a date such as 2026-11-01)", "REQUIRED")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadRange(field, "must be a date such as 2026-11-01", "INVALID") from exc


def ran_during(campaign: Mapping[str, Any], span: DateRange) -> bool:
    """Launched before the range closed and not completed (or cancelled) before it opened.
    A draft never ran."""
    launched = _moment(campaign.get("launchedAt"))
    if launched is None or launched >= span.closes:
        return False
    ended = _moment(campaign.get("completedAt"))
    return ended is None or ended >= span.opens


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
