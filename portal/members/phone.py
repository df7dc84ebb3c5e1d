"""Kenyan mobile numbers, one way: stored as +2547XXXXXXXX or +2541XXXXXXXX.

SMS reminders, M-Pesa matching and the office's searches need one form, and a phone field that takes anything
let a member store `=1+1` and have it open as a formula in the clerk's spreadsheet (issue 12). Every way a number
comes in — the profile page, the admin, the API, invitations (one by one or a CSV), nominees — goes through
`phone_normalise`; the model fields carry `phone_number_validator`, so nothing else reaches the database.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

MESSAGE = gettext_lazy("Enter a Kenyan mobile number, e.g. 0712 345 678 or +254 712 345 678.")
_SEPARATORS = re.compile(r"[\s\-().]")
_NORMAL = re.compile(r"^\+254[17]\d{8}$")
_FORMS = (
    re.compile(r"^\+254(?P<rest>[17]\d{8})$"),
    re.compile(r"^00254(?P<rest>[17]\d{8})$"),
    re.compile(r"^254(?P<rest>[17]\d{8})$"),
    re.compile(r"^0(?P<rest>[17]\d{8})$"),
    re.compile(r"^(?P<rest>[17]\d{8})$"),
)


class InvalidPhoneNumber(ValueError):
    """Not a Kenyan mobile number in any form we accept."""


def phone_normalise(raw) -> str:
    """`0712345678`, `712345678`, `254712345678`, `+254 712-345 678` → `+254712345678`; blank → "".

    Raises InvalidPhoneNumber for anything else (a landline, another country, letters, a formula)."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise InvalidPhoneNumber(MESSAGE)
    text = _SEPARATORS.sub("", raw.strip())
    if not text:
        return ""
    for pattern in _FORMS:
        match = pattern.match(text)
        if match:
            return "+254" + match.group("rest")
    raise InvalidPhoneNumber(MESSAGE)


def phone_clean(raw, *, field: str = "phone_number") -> str:
    """`phone_normalise` for services: a refusal is a ValidationError naming `field`."""
    try:
        return phone_normalise(raw)
    except InvalidPhoneNumber as exc:
        raise ValidationError({field: [str(exc)]}) from exc


def phone_number_validator(value: str) -> None:
    """The model fields' guard: blank, or already in the stored form."""
    if value and not _NORMAL.match(value):
        raise ValidationError(MESSAGE, code="invalid_phone")


class PhoneNumberField(forms.CharField):
    """A form field that accepts the usual Kenyan ways of writing a mobile number and cleans it to +254…."""

    default_error_messages = {"invalid_phone": MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", gettext_lazy("For example 0712 345 678 or +254712345678."))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return phone_normalise(value)
        except InvalidPhoneNumber as exc:
            raise ValidationError(self.error_messages["invalid_phone"], code="invalid_phone") from exc
