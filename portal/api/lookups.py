"""Looking up related objects named in a request, one way per kind: serializer fields for ids that must exist (every
view answers a missing or malformed id the same way, a 400 naming the field), and `members_by_label` for members
named in rows whose errors the service reports together (a payment row, a guarantor)."""

import uuid
from collections.abc import Iterable

from django.db.models import Q
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import empty

from portal.finance.banking.models import BankAccount
from portal.members.models import Member

from .params import query_uuid


class BankAccountField(serializers.PrimaryKeyRelatedField):
    """A bank account by its UUID: "No such bank account." when none has it, "Must be a valid UUID." when it is
    not one. Any account, active or not: whether an inactive one may be used is the service's rule, with its own
    message.

    `lenient`: read the id like a query parameter (`params.query_uuid`): blank is no account and a malformed id is
    "'…' is not a valid id." — how the single-payment post has always read it."""

    default_error_messages = {"does_not_exist": "No such bank account."}

    def __init__(self, *, lenient: bool = False, **kwargs):
        self.lenient = lenient
        kwargs.setdefault("queryset", BankAccount.objects.select_related("ledger_account"))
        kwargs.setdefault("pk_field", serializers.UUIDField())
        super().__init__(**kwargs)

    def run_validation(self, data=empty):
        if self.lenient and data is not empty:
            try:
                data = query_uuid({"id": data}, "id")
            except ValidationError as exc:
                raise ValidationError(exc.detail["id"]) from None
            return super().run_validation(data)
        # A related field reads "" as null; here "" is a malformed id, as for a UUIDField.
        return serializers.Field.run_validation(self, data)


def members_by_label(labels: Iterable) -> dict[str, Member]:
    """The members that request labels name, by each label as given: a label is a member id (a UUID) or a
    membership number (any case, spaces around ignored). A label that names nobody is left out, for the service to
    report with the row's other errors. One query."""
    wanted: dict[str, uuid.UUID | str] = {}
    for label in labels:
        text = str(label).strip()
        try:
            wanted[str(label)] = uuid.UUID(text)
        except ValueError:
            wanted[str(label)] = text.upper()
    ids = [value for value in wanted.values() if isinstance(value, uuid.UUID)]
    numbers = [value for value in wanted.values() if isinstance(value, str)]
    found: dict[uuid.UUID | str, Member] = {}
    for member in Member.objects.filter(Q(pk__in=ids) | Q(membership_number__in=numbers)):
        found[member.pk] = member
        found[member.membership_number] = member
    return {label: found[value] for label, value in wanted.items() if value in found}
