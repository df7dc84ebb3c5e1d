"""Contribution periods: a calendar month written YYYY-MM, stored as the first day of the month.

Storing a date makes a month 13 impossible in the database; parsing here gives the clear message."""

import datetime
import re

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class InvalidPeriod(ValueError):
    """Text that is not a real YYYY-MM month."""


LAST_YEAR = 9000
"""Periods stop well before date's year 9999, so that a period's end and the months after it are still dates."""


def parse_period(text: str) -> datetime.date:
    """'2026-03' -> date(2026, 3, 1). Refuses 2026-13, 2026-3, 26-03 and anything else."""
    match = _PERIOD.match(str(text).strip())
    if not match:
        raise InvalidPeriod(f"{text!r} is not a period; write it as YYYY-MM, e.g. 2026-03.")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InvalidPeriod(f"{text!r} has month {month:02d}; months run from 01 to 12.")
    if year < 1990:
        raise InvalidPeriod(f"{text!r} is before 1990.")
    if year > LAST_YEAR:
        raise InvalidPeriod(f"{text!r} is after {LAST_YEAR}.")
    return datetime.date(year, month, 1)


def format_period(value: datetime.date) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def period_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(period: datetime.date, months: int) -> datetime.date:
    index = period.year * 12 + period.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_end(period: datetime.date) -> datetime.date:
    return add_months(period, 1) - datetime.timedelta(days=1)


def quarter_periods(year: int, quarter: int) -> list[datetime.date]:
    if not 1990 <= year <= LAST_YEAR:
        raise InvalidPeriod(f"{year} is not a year between 1990 and {LAST_YEAR}.")
    if not 1 <= quarter <= 4:
        raise InvalidPeriod(f"Quarter {quarter} does not exist; quarters are 1 to 4.")
    first = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    return [add_months(first, i) for i in range(3)]
