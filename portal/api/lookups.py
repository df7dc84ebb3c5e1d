"""Serializer fields that look up a related object by its id, one per kind, so that every view answers a missing or
malformed id the same way (a 400 naming the field)."""

from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import empty

from portal.finance.banking.models import BankAccount

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
