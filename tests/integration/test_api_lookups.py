"""Issue 13: the API's related-object lookups (portal/api/lookups.py) answer as the views answered before them."""

import uuid

import pytest
from rest_framework import serializers

from portal.api.lookups import BankAccountField, members_by_label
from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_primary

pytestmark = pytest.mark.django_db


class Body(serializers.Serializer):
    bank_account = BankAccountField(required=False, allow_null=True, default=None)


class LenientBody(serializers.Serializer):
    bank_account = BankAccountField(lenient=True, required=False, allow_null=True, default=None)


def _errors(serializer_class, value):
    body = serializer_class(data={"bank_account": value})
    assert not body.is_valid()
    return body.errors["bank_account"]


def test_a_bank_account_by_its_id():
    account = bank_account_primary()
    for serializer_class in (Body, LenientBody):
        body = serializer_class(data={"bank_account": str(account.pk)})
        assert body.is_valid() and body.validated_data["bank_account"] == account
        absent = serializer_class(data={})
        assert absent.is_valid() and absent.validated_data["bank_account"] is None


def test_an_inactive_account_is_found_and_left_to_the_service():
    account = bank_account_primary()
    BankAccount.objects.filter(pk=account.pk).update(active=False)
    body = Body(data={"bank_account": str(account.pk)})
    assert body.is_valid() and body.validated_data["bank_account"].pk == account.pk


def test_unknown_and_malformed_ids_are_400s_naming_the_field():
    unknown = str(uuid.uuid4())
    assert _errors(Body, unknown) == ["No such bank account."]
    assert _errors(LenientBody, unknown) == ["No such bank account."]
    assert _errors(Body, "nope") == ["Must be a valid UUID."]
    assert _errors(Body, "") == ["Must be a valid UUID."]  # not read as "no account"
    assert _errors(LenientBody, "nope") == ["'nope' is not a valid id."]


def test_the_lenient_field_reads_blank_as_no_account():
    for blank in ("", "  ", None):
        body = LenientBody(data={"bank_account": blank})
        assert body.is_valid() and body.validated_data["bank_account"] is None


def test_members_by_label(member, other_member):
    labels = [str(member.pk), f" {str(member.pk).upper()} ", other_member.membership_number.lower(), "MB-NOBODY"]
    found = members_by_label(labels)
    assert found == {labels[0]: member, labels[1]: member, labels[2]: other_member}
