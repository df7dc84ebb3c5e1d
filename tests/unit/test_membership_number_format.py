"""M7: the membership number encodes the join year and month, then a sequence."""

import datetime

from portal.members.services import membership_number_format


def test_format_uses_join_year_month_and_padded_sequence():
    assert membership_number_format(join_date=datetime.date(2026, 3, 9), sequence=42) == "MB-202603-00042"


def test_format_sorts_by_join_date_then_sequence():
    numbers = [
        membership_number_format(join_date=datetime.date(2025, 12, 31), sequence=900),
        membership_number_format(join_date=datetime.date(2026, 1, 1), sequence=1),
        membership_number_format(join_date=datetime.date(2026, 1, 2), sequence=2),
    ]
    assert numbers == sorted(numbers)
