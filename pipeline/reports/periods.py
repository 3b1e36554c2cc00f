"""Report periods as management names them: a month, a quarter or a year.

``2026-11``, ``2026-Q4`` and ``2026`` are read on the company's local calendar (a
complaint received at 23:30 UTC on 31 October is a November complaint in Shanghai)
and turned into UTC bounds for the queries. Each period knows the one before it, for
the "change against the previous period" figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    """A period that cannot be read; the message shows the accepted forms."""


@dataclass(frozen=True)
class Period:
    """A half-open local date range [first, after) with its label."""

    label: str
    first: date
    after: date
    time_zone: str

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC datetimes, for comparisons with stored times."""
        zone = ZoneInfo(self.time_zone)

        def utc(day: date) -> datetime:
            return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)

        return utc(self.first), utc(self.after)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        first = _next_month(self.first.year, self.first.month, -months)
        label = {"month": f"{first.year}-{first.month:02d}",
                 "quarter": f"{first.year}-Q{(first.month - 1) // 3 + 1}",
                 "year": str(first.year)}[self.kind]
        return Period(label, first, self.first, self.time_zone)

    @property
    def kind(self) -> str:
        months = (self.after.year - self.first.year) * 12 + self.after.month - self.first.month
        return {1: "month", 3: "quarter", 12: "year"}[months]


def _next_month(year: int, month: int, step: int) -> date:
    index = year * 12 + (month - 1) + step
    return date(index // 12, index % 12 + 1, 1)


def parse_period(text: str, time_zone: str) -> Period:
    """Read ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``."""
    value = text.strip()
    if match := _MONTH.match(value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"'{text}': the month must be 01 to 12. / 月份须为 01 到 12。")
        return Period(f"{year}-{month:02d}", date(year, month, 1), _next_month(year, month, 1),
                      time_zone)
    if match := _QUARTER.match(value):
        year, quarter = int(match[1]), int(match[2])
        first_month = 3 * (quarter - 1) + 1
        return Period(f"{year}-Q{quarter}", date(year, first_month, 1),
                      _next_month(year, first_month, 3), time_zone)
    if match := _YEAR.match(value):
        year = int(match[1])
        return Period(str(year), date(year, 1, 1), date(year + 1, 1, 1), time_zone)
    raise PeriodError(f"'{text}' is not a period: use 2026-11 (month), 2026-Q4 (quarter) "
                      "or 2026 (year). / 期间格式：2026-11（月）、2026-Q4（季度）或 2026（年）。")
