"""Decimal helpers for money. Every amount the system stores or shows passes through here.

Amounts are Decimal with two places, rounded ROUND_HALF_UP at the point they are posted; floats are refused
because they cannot represent cents exactly.
"""

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


def parse_amount(raw: str, *, allow_zero: bool = False) -> Decimal:
    """Parse an amount typed by a person or read from a file, strictly.

    Accepts "1500", "1500.5", "1,500.50" (comma as thousands separator only in groups of three);
    refuses negatives, more than two decimals, and anything that is not a number.
    """
    text = str(raw).strip().replace(" ", "")
    if not text:
        raise InvalidAmount("The amount is empty.")
    if "," in text:
        whole, _, fraction = text.partition(".")
        groups = whole.split(",")
        if not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
            raise InvalidAmount(f"{raw!r} has misplaced thousands separators.")
        text = "".join(groups) + (f".{fraction}" if fraction or "." in text else "")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidAmount(f"{raw!r} is not a number.") from exc
    if not amount.is_finite():
        raise InvalidAmount(f"{raw!r} is not a number.")
    if amount.as_tuple().exponent < -2:
        raise InvalidAmount(f"{raw!r} has more than two decimal places.")
    if amount < 0:
        raise InvalidAmount(f"{raw!r} is negative.")
    if amount == 0 and not allow_zero:
        raise InvalidAmount("The amount must be more than zero.")
    return amount.quantize(CENT)


def format_money(amount: Decimal, currency: str = "KES") -> str:
    """1234567.5 -> 'KES 1,234,567.50'."""
    return f"{currency} {to_cents(amount):,.2f}"


def sum_to_cents(value) -> Decimal:
    """A database SUM as cents: None (no rows) is zero, and SQLite's sums of decimals (which may come back with
    binary noise) are read through their text, never as floats."""
    return to_cents(str(value)) if value is not None else Decimal("0.00")
