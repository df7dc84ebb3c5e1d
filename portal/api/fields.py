"""Serializer fields shared by the API views."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.finance.money import MONEY_MAX_DIGITS, InvalidAmount, parse_amount

_INTEGER_DIGITS = MONEY_MAX_DIGITS - 2
MONEY_PATTERN = rf"^[0-9]{{1,{_INTEGER_DIGITS}}}(\.[0-9]{{1,2}})?$"


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": MONEY_PATTERN,
        "example": "1500.00",
        "description": f"Shillings with at most two decimals, up to {Decimal(10) ** _INTEGER_DIGITS - 1:,}.99.",
    }
)
class MoneyField(serializers.Field):
    """An amount in, through the one money parser (`finance.money.parse_amount`): finite, at most two decimals,
    within the column's digits, positive unless `allow_zero`. A bad amount is a 400 under this field's name.
    `allow_blank`: "" is read as no amount (None), for optional amounts such as a transaction cost.

    JSON numbers are accepted as the client wrote them (a float's shortest repr); strings are the documented form.
    Output is the amount as a string with two decimals, like DRF's DecimalField."""

    default_error_messages = {"invalid": "{message}"}

    def __init__(
        self, *, allow_zero: bool = False, allow_blank: bool = False, max_digits: int = MONEY_MAX_DIGITS, **kwargs
    ):
        self.allow_zero = allow_zero
        self.allow_blank = allow_blank
        self.max_digits = max_digits
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal:
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
