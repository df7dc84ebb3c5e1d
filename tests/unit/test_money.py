"""finance.money: amounts are parsed strictly and rounded half up to cents."""

from decimal import Decimal

import pytest

from portal.finance.money import InvalidAmount, format_money, parse_amount, to_cents


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1500", "1500.00"),
        ("1500.5", "1500.50"),
        ("1,500.50", "1500.50"),
        ("12,345,678", "12345678.00"),
        (" 20 ", "20.00"),
    ],
)
def test_parse_amount_accepts_plain_and_grouped_numbers(raw, expected):
    assert parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-5", "negative"),
        ("0", "more than zero"),
        ("10.005", "more than two decimal places"),
        ("abc", "not a number"),
        ("1,50", "thousands separators"),
        ("", "empty"),
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
    ],
)
def test_parse_amount_rejects_bad_input_with_a_reason(raw, message):
    with pytest.raises(InvalidAmount, match=message):
        parse_amount(raw)


def test_zero_is_allowed_when_asked():
    assert parse_amount("0", allow_zero=True) == Decimal("0.00")


def test_to_cents_rounds_half_up_and_refuses_floats():
    assert to_cents(Decimal("2.345")) == Decimal("2.35")
    assert to_cents(Decimal("2.344")) == Decimal("2.34")
    assert to_cents(Decimal("-2.345")) == Decimal("-2.35")
    with pytest.raises(TypeError):
        to_cents(2.345)


def test_format_money_groups_thousands():
    assert format_money(Decimal("1234567.5")) == "KES 1,234,567.50"


def test_sum_to_cents_reads_database_sums_without_floats():
    from portal.finance.money import sum_to_cents

    assert sum_to_cents(None) == Decimal("0.00")
    assert sum_to_cents(Decimal("0.30000000000000004")) == Decimal("0.30")  # SQLite's noise on decimal sums
    assert str(sum_to_cents(Decimal("1234.5"))) == "1234.50"
    assert sum_to_cents(0.1 + 0.2) == Decimal("0.30")  # a driver's float is read through its shortest text
