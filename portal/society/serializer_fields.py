"""Serializer fields shared by the API views."""

from decimal import Decimal

from drf_spectacular.drainage import set_override
from rest_framework import serializers

from portal.society.money import MONEY_MAX_DIGITS, InvalidAmount, parse_amount

_LARGEST = Decimal(10) ** (MONEY_MAX_DIGITS - 2) - Decimal("0.01")
MONEY_IN_PATTERN = rf"^[0-9]{{1,{MONEY_MAX_DIGITS - 2}}}(\.[0-9]{{1,2}})?$"
MONEY_OUT_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"
MONEY_HELP = f'Shillings as a string with at most two decimals, e.g. "1500.00"; at most {_LARGEST:,.2f}.'


class MoneyField(serializers.Field):
    """An amount, read through the one money parser (`society.money.parse_amount`): finite, at most two decimals,
    within the column's digits, positive unless `allow_zero`. A bad amount is a 400 under this field's name.
    `allow_blank`: "" is read as no amount (None), for optional amounts such as a transaction cost.

    JSON numbers are accepted as the client wrote them (a float's shortest repr); strings are the documented form.
    Output is a string with two decimals. Unlike DRF's DecimalField it never fails on a large total: a read-only
    MoneyField shows whatever the books hold (sums can be longer than one column)."""

    default_error_messages = {"invalid": "{message}"}

    def __init__(
        self, *, allow_zero: bool = False, allow_blank: bool = False, max_digits: int = MONEY_MAX_DIGITS, **kwargs
    ):
        self.allow_zero = allow_zero
        self.allow_blank = allow_blank
        self.max_digits = max_digits
        super().__init__(**kwargs)
        if self.read_only:
            schema = {"type": "string", "format": "decimal", "pattern": MONEY_OUT_PATTERN, "example": "1500.00"}
        else:
            schema = {"type": "string", "format": "decimal", "pattern": MONEY_IN_PATTERN, "example": "1500.00"}
            if allow_blank:
                schema["pattern"] = f"{MONEY_IN_PATTERN}|^$"
        if self.allow_null:
            schema["nullable"] = True
        set_override(self, "field", schema)

    def to_internal_value(self, data) -> Decimal | None:
        if isinstance(data, bool) or not isinstance(data, str | int | float | Decimal):
            self.fail("invalid", message='Send the amount as a string such as "1500.00".')
        text = repr(data) if isinstance(data, float) else str(data)
        if self.allow_blank and not text.strip():
            return None
        try:
            return parse_amount(text, allow_zero=self.allow_zero, max_digits=self.max_digits)
        except InvalidAmount as exc:
            self.fail("invalid", message=str(exc))

    def to_representation(self, value) -> str:
        return f"{Decimal(value):.2f}"


def MoneyTextField(**kwargs) -> serializers.CharField:  # noqa: N802 - used like a field class
    """An amount in a request body that the service parses (with `parse_amount`), so that a bad amount comes back
    together with the other fields' errors of the same request (a payment row's member, period and reference; a
    loan application's purpose; an expense's category) instead of one at a time. Text, capped in length."""
    kwargs.setdefault("help_text", MONEY_HELP)
    kwargs.setdefault("max_length", 40)
    return serializers.CharField(**kwargs)
