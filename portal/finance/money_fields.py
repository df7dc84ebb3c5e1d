"""A form field for money: the admin's and the portal's forms read amounts through the one parser
(`finance.money.parse_amount`), so a form refuses exactly what the API and the file imports refuse, with the
error under the field."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from .money import MONEY_MAX_DIGITS, InvalidAmount, parse_amount


class MoneyFormField(forms.Field):
    """Shillings, at most two decimals, within a money column's digits, more than zero unless `allow_zero`.

    A text input (not type=number) on purpose: people type "1,500.50", and a browser's number input would drop
    what it cannot read without telling the server. Cleans to a Decimal with two places (None when blank and not
    required)."""

    def __init__(self, *, allow_zero: bool = False, max_digits: int = MONEY_MAX_DIGITS, **kwargs):
        self.allow_zero = allow_zero
        self.money_max_digits = max_digits
        super().__init__(**kwargs)

    widget = forms.TextInput

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.setdefault("inputmode", "decimal")
        attrs.setdefault("autocomplete", "off")
        attrs.setdefault("maxlength", "40")
        return attrs

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        return value

    def to_python(self, value) -> Decimal | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not text:
            return None
        try:
            return parse_amount(text, allow_zero=self.allow_zero, max_digits=self.money_max_digits)
        except InvalidAmount as exc:
            raise ValidationError(str(exc), code="invalid") from exc
