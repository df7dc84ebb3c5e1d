"""Read ids, numbers and dates from a query string (or any mapping) strictly.

A malformed value is the client's mistake, so it is a 400 that names the parameter — never a 500 from the
database or from `int()`. A well-formed id that matches nothing is the view's business (usually a 404).
Each helper returns `None` when the parameter is absent (or blank, unless `required=True`).
"""

import datetime
import uuid
from collections.abc import Mapping

from rest_framework.exceptions import ValidationError

_MISSING = object()


def _raw(params: Mapping, name: str, *, required: bool):
    value = params.get(name, _MISSING)
    if value is _MISSING or value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError({name: ["This parameter is required."]})
        return None
    return value.strip() if isinstance(value, str) else value


def query_uuid(params: Mapping, name: str, *, required: bool = False) -> uuid.UUID | None:
    """A UUID id (members, loans, statements…); 400 naming `name` when it is not one."""
    value = _raw(params, name, required=required)
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise ValidationError({name: [f"{str(value)[:40]!r} is not a valid id."]}) from None


def query_int(
    params: Mapping,
    name: str,
    *,
    required: bool = False,
    min_value: int | None = None,
    max_value: int | None = None,
) -> int | None:
    """A whole number (integer ids, years, days); 400 naming `name` when it is not one or out of range."""
    value = _raw(params, name, required=required)
    if value is None:
        return None
    text = str(value)
    if not text.lstrip("-").isdigit() or len(text) > 18:
        raise ValidationError({name: [f"{text[:40]!r} is not a whole number."]})
    number = int(text)
    if min_value is not None and number < min_value:
        raise ValidationError({name: [f"Must be at least {min_value}."]})
    if max_value is not None and number > max_value:
        raise ValidationError({name: [f"Must be at most {max_value}."]})
    return number


def query_date(params: Mapping, name: str, *, required: bool = False) -> datetime.date | None:
    """An ISO date (YYYY-MM-DD); 400 naming `name` when it is not one."""
    value = _raw(params, name, required=required)
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({name: [f"{str(value)[:40]!r} is not a date (use YYYY-MM-DD)."]}) from None
