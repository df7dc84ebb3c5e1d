"""R6: a saved report's period is relative to the day it runs, so a monthly schedule reports the month just ended."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from portal.reports.catalogue import Period, period_dates

d = datetime.date


@pytest.mark.parametrize(
    ("period", "today", "expected"),
    [
        (Period.PREVIOUS_MONTH, d(2026, 11, 28), (d(2026, 10, 1), d(2026, 10, 31))),
        (Period.PREVIOUS_MONTH, d(2026, 1, 1), (d(2025, 12, 1), d(2025, 12, 31))),
        (Period.PREVIOUS_MONTH, d(2028, 3, 1), (d(2028, 2, 1), d(2028, 2, 29))),  # leap year
        (Period.MONTH_TO_DATE, d(2026, 11, 28), (d(2026, 11, 1), d(2026, 11, 28))),
        (Period.PREVIOUS_QUARTER, d(2026, 11, 28), (d(2026, 7, 1), d(2026, 9, 30))),
        (Period.PREVIOUS_QUARTER, d(2026, 2, 14), (d(2025, 10, 1), d(2025, 12, 31))),
        (Period.PREVIOUS_QUARTER, d(2026, 4, 1), (d(2026, 1, 1), d(2026, 3, 31))),
        (Period.YEAR_TO_DATE, d(2026, 11, 28), (d(2026, 1, 1), d(2026, 11, 28))),
        (Period.PREVIOUS_YEAR, d(2026, 1, 1), (d(2025, 1, 1), d(2025, 12, 31))),
    ],
)
def test_relative_periods(period, today, expected):
    assert period_dates(period=period, today=today) == expected


def test_fixed_dates_need_both_ends_in_order():
    today = d(2026, 11, 28)
    assert period_dates(period=Period.CUSTOM, start=d(2026, 1, 1), end=d(2026, 6, 30), today=today) == (
        d(2026, 1, 1),
        d(2026, 6, 30),
    )
    with pytest.raises(ValidationError) as missing:
        period_dates(period=Period.CUSTOM, start=d(2026, 1, 1), today=today)
    assert set(missing.value.message_dict) == {"end_date"}
    with pytest.raises(ValidationError) as backwards:
        period_dates(period=Period.CUSTOM, start=d(2026, 6, 1), end=d(2026, 1, 1), today=today)
    assert "before the first" in backwards.value.message_dict["end_date"][0]
    with pytest.raises(ValidationError) as unknown:
        period_dates(period="fortnight", today=today)
    assert "period" in unknown.value.message_dict
