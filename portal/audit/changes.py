"""Before/after values of a record, as the audit trail stores them: plain JSON text, sensitive numbers masked.

Only concrete, editable fields are compared; money and dates become text, a foreign key its primary key."""

import datetime
from decimal import Decimal

from django.db import models
from django.db.models.fields.files import FieldFile

# Shown masked in the trail (an auditor sees that it changed, and its last four characters).
SENSITIVE_FIELDS = {"bank_account_number", "national_id", "password", "token_hash"}


def _plain(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)  # as stored: "3500.00", "15.5000"
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, FieldFile):  # the stored name; private files have no URL
        return value.name or ""
    return str(value)


def mask(field: str, value):
    if field not in SENSITIVE_FIELDS or value in (None, ""):
        return value
    text = str(value)
    if field == "password":
        return "•••• (a new hash)"  # that it changed is all an auditor needs
    return "••••" + text[-4:] if len(text) > 4 else "••••"


def field_snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """{field: value} for the instance's editable concrete fields (or `fields`), ready to store."""
    snapshot = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if fields is None and (not field.editable or field.primary_key):
            continue
        value = getattr(instance, field.attname)
        snapshot[field.name] = mask(field.name, _plain(value))
    return snapshot


def changes_between(before: dict | None, after: dict) -> dict:
    """{field: {"before": …, "after": …}} for the fields whose value differs (everything, for a new record)."""
    before = before or {}
    return {
        field: {"before": before.get(field), "after": value}
        for field, value in after.items()
        if before.get(field) != value or field not in before
    }
