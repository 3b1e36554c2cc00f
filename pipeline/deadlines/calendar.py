"""Working days: weekends, public holidays and the weekend days worked in their place.

Customers are promised "within 5 working days", so every deadline, reminder and
escalation counts working days the way the company does, including China's make-up
working weekends (调休), which a plain weekday check would get wrong twice a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days."""

    weekend: frozenset[int] = frozenset({6, 7})
    holidays: frozenset[date] = frozenset()
    working_weekend_days: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        """A weekday that is no holiday, or a weekend day worked to make up for one."""
        if day in self.working_weekend_days:
            return True
        return day.isoweekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += timedelta(days=1)
            remaining -= self.is_working_day(current)
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``; negative if end is earlier."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            self.is_working_day(start + timedelta(days=offset))
            for offset in range(1, (end - start).days + 1)
        )


def deadline_at(
    start: datetime, working_days: int, calendar: WorkCalendar, *, time_zone: str,
    end_of_day_hour: int,
) -> datetime:
    """The moment a deadline of ``working_days`` from ``start`` ends, as an aware datetime.

    Counted on the local calendar (a case routed at 23:30 UTC is already tomorrow in
    Shanghai) and ending at the close of business, which is what "by 5 March" means to
    the customer.
    """
    zone = ZoneInfo(time_zone)
    local_start = start.astimezone(zone)
    due = calendar.add_working_days(local_start.date(), working_days)
    return datetime.combine(due, time(hour=end_of_day_hour), tzinfo=zone)
