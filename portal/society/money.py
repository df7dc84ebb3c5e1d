"""Decimal helpers for money. Every amount the system stores or shows passes through here.

Amounts are Decimal with two places, rounded ROUND_HALF_UP at the point they are posted; floats are refused
because they cannot represent cents exactly.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


class InvalidAmount(ValueError):
    """An amount that is not a positive number of shillings with at most two decimals."""


def to_cents(value: Decimal | int | str) -> Decimal:
    """Round a Decimal (or int / numeric string) to cents, half up. Floats are refused."""
    if isinstance(value, float):
        raise TypeError("Money must not be a float; pass a Decimal or a string.")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise InvalidAmount(f"{value!r} is not a number.") from exc


MONEY_MAX_DIGITS = 14
"""Digits of every money column (`money_fields.MoneyField`): at most 999,999,999,999.99."""

MONEY_DECIMAL_PLACES = 2
"""Places after the point in every money column: shillings and cents."""

_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def parse_amount(raw, *, allow_zero: bool = False, max_digits: int = MONEY_MAX_DIGITS) -> Decimal:
    """Parse an amount typed by a person, sent to the API or read from a file, strictly.

    Accepts "1500", "1500.5", "1,500.50" (comma as thousands separator only in groups of three);
    refuses negatives, more than two decimals, NaN and infinities, and anything larger than a money column holds
    (`max_digits` digits, two of them after the point) — the database would refuse it later with a 500.
    The message never names the field: the caller does (a form or serializer field, or a file's row and column).
    """
    if isinstance(raw, bool):
        raise InvalidAmount(f"{raw!r} is not a number.")
    text = str(raw).strip().replace(" ", "")
    shown = _shown(raw)
    if not text:
        raise InvalidAmount("The amount is empty.")
    if "," in text:
        whole, _, fraction = text.partition(".")
        groups = whole.lstrip("+-").split(",")
        if not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
            raise InvalidAmount(f"{shown} has misplaced thousands separators.")
        sign = whole[0] if whole[0] in "+-" else ""
        text = sign + "".join(groups) + (f".{fraction}" if fraction or "." in text else "")
    if not _NUMBER.fullmatch(text):  # Decimal() would also take "1_000" and non-ASCII digits
        raise InvalidAmount(f"{shown} is not a number.")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidAmount(f"{shown} is not a number.") from exc
    if not amount.is_finite():
        raise InvalidAmount(f"{shown} is not a number.")
    if amount < 0:
        raise InvalidAmount(f"{shown} is negative.")
    largest = Decimal(10) ** (max_digits - 2) - CENT
    if amount > largest:
        raise InvalidAmount(f"{shown} is too large: the most an amount can be is {largest:,.2f}.")
    if amount.as_tuple().exponent < -2:
        raise InvalidAmount(f"{shown} has more than two decimal places.")
    if amount == 0 and not allow_zero:
        raise InvalidAmount("The amount must be more than zero.")
    return abs(amount.quantize(CENT))


def _shown(raw) -> str:
    """The input as the error message quotes it, cut short: a 10,000-character amount is not echoed back."""
    text = str(raw)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def format_money(amount: Decimal, currency: str = "KES") -> str:
    """1234567.5 -> 'KES 1,234,567.50'."""
    return f"{currency} {to_cents(amount):,.2f}"


def sum_to_cents(value) -> Decimal:
    """A database SUM as cents: None (no rows) is zero, and SQLite's sums of decimals (which may come back with
    binary noise) are read through their text, never as floats."""
    return to_cents(str(value)) if value is not None else Decimal("0.00")
