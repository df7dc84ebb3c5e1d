"""society.money: amounts are parsed strictly and rounded half up to cents."""

from decimal import Decimal

import pytest

from portal.society.money import InvalidAmount, format_money, parse_amount, to_cents


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
    from portal.society.money import sum_to_cents

    assert sum_to_cents(None) == Decimal("0.00")
    assert sum_to_cents(Decimal("0.30000000000000004")) == Decimal("0.30")  # SQLite's noise on decimal sums
    assert str(sum_to_cents(Decimal("1234.5"))) == "1234.50"
    assert sum_to_cents(0.1 + 0.2) == Decimal("0.30")  # a driver's float is read through its shortest text


# --- issue 12: one parser for every money input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1e20", "too large"),
        ("1e30", "too large"),
        ("99999999999999999999.99", "too large"),
        ("1000000000000", "too large"),  # 13 digits before the point: the 14-digit column holds 12
        ("1E+999999999", "too large"),
        ("-Infinity", "not a number"),
        ("sNaN", "not a number"),
        ("1_000", "not a number"),  # Decimal() would take it
        ("١٢٣", "not a number"),  # so would it these (Arabic-Indic digits)
        ("1.234", "more than two decimal places"),
        ("-0.001", "negative"),
        ("-0", "more than zero"),
        (True, "not a number"),
    ],
)
def test_parse_amount_refuses_what_no_money_column_holds(raw, message):
    with pytest.raises(InvalidAmount, match=message):
        parse_amount(raw)


def test_parse_amount_takes_the_largest_amount_the_column_holds():
    assert parse_amount("999999999999.99") == Decimal("999999999999.99")
    assert parse_amount("999,999,999,999.99") == Decimal("999999999999.99")


def test_parse_amount_max_digits_is_the_columns():
    assert parse_amount("9999.99", max_digits=6) == Decimal("9999.99")
    with pytest.raises(InvalidAmount, match="too large"):
        parse_amount("10000", max_digits=6)


def test_parse_amount_quotes_long_input_short():
    with pytest.raises(InvalidAmount) as caught:
        parse_amount("x" * 10_000)
    assert len(str(caught.value)) < 80


def test_parse_amount_keeps_accepting_decimals_and_ints_and_normalises_negative_zero():
    assert parse_amount(Decimal("12.5")) == Decimal("12.50")
    assert parse_amount(1500) == Decimal("1500.00")
    assert str(parse_amount("-0.00", allow_zero=True)) == "0.00"


def test_money_form_field_names_the_field_and_cleans_to_decimal():
    from django import forms

    from portal.society.money_fields import MoneyFormField

    class F(forms.Form):
        amount = MoneyFormField()
        fee = MoneyFormField(required=False, allow_zero=True)

    good = F({"amount": "1,500.50", "fee": ""})
    assert good.is_valid() and good.cleaned_data == {"amount": Decimal("1500.50"), "fee": None}
    for bad in ["1e30", "NaN", "-5", "1.234", "Infinity", "99999999999999999999.99"]:
        form = F({"amount": bad, "fee": "0"})
        assert not form.is_valid() and list(form.errors) == ["amount"], bad
    assert list(F({"amount": ""}).errors) == ["amount"]  # required


def test_money_serializer_field_names_the_field():
    from rest_framework import serializers

    from portal.society.serializer_fields import MoneyField

    class S(serializers.Serializer):
        amount = MoneyField()
        cost = MoneyField(allow_zero=True, required=False)

    assert S(data={"amount": "1500.5"}).is_valid()
    ok = S(data={"amount": 1500.5, "cost": 0})
    assert ok.is_valid() and ok.validated_data == {"amount": Decimal("1500.50"), "cost": Decimal("0.00")}
    for bad in ["1e30", "NaN", "-5", "1.234", "", 1e20, True, None, ["1"], {"a": 1}]:
        s = S(data={"amount": bad})
        assert not s.is_valid() and list(s.errors) == ["amount"], bad
    assert S(data={"amount": "2"}).fields["amount"].to_representation(Decimal("2")) == "2.00"


def test_money_serializer_field_may_take_blank_as_no_amount():
    from rest_framework import serializers

    from portal.society.serializer_fields import MoneyField

    class S(serializers.Serializer):
        cost = MoneyField(allow_zero=True, allow_blank=True)

    s = S(data={"cost": " "})
    assert s.is_valid() and s.validated_data == {"cost": None}
