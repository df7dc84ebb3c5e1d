"""Money columns and money form fields.

`MoneyField` is every money column: one precision (`money.MONEY_MAX_DIGITS`, `money.MONEY_DECIMAL_PLACES`) instead
of a dict of digits repeated in each app. `MoneyFormField` reads amounts through the one parser
(`money.parse_amount`), so a form refuses exactly what the API and the file imports refuse, with the error under
the field."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from .money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, InvalidAmount, parse_amount


class MoneyField(models.DecimalField):
    """A column of shillings and cents, at the society's one money precision.

    It deconstructs as a plain DecimalField with the same digits, so adopting it changes no migration and no
    table (SQLite would rebuild a table for an AlterField, and the journal's guard triggers with it)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


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
