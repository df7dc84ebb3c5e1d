"""M7 and the user model: email login, UUID keys, membership numbers issued by member_create."""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal.members.models import Member, MembershipNumberCounter, User
from portal.members.services import member_create, membership_number_next

pytestmark = pytest.mark.django_db


def test_user_has_uuid_key_and_logs_in_by_email(make_user):
    user = make_user("Mixed.Case@Example.COM")
    assert isinstance(user.pk, uuid.UUID)
    assert user.email == "mixed.case@example.com"
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username")


def test_email_is_unique(make_user):
    make_user("dup@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user("dup@example.com")


def test_members_get_increasing_numbers_within_a_join_year(make_member):
    first = make_member(join_date=datetime.date(2026, 1, 5))
    second = make_member(join_date=datetime.date(2026, 7, 1))
    third = make_member(join_date=datetime.date(2027, 2, 1))
    assert first.membership_number == "MB-202601-00001"
    assert second.membership_number == "MB-202607-00002"
    assert third.membership_number == "MB-202702-00001"  # a new year starts a new sequence


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_number_is_not_issued_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside transaction.atomic"):
        membership_number_next(join_date=datetime.date(2026, 1, 1))


def test_a_failed_registration_gives_its_number_back(make_user, make_member):
    user = make_user("late@example.com")
    with pytest.raises(ValueError), transaction.atomic():
        member_create(user=user, join_date=datetime.date(2026, 5, 1))
        raise ValueError("the rest of the registration failed")
    assert not Member.objects.filter(user=user).exists()
    assert make_member(join_date=datetime.date(2026, 5, 2)).membership_number == "MB-202605-00001"


def test_numbers_already_taken_by_imported_members_are_skipped(make_user, make_member):
    legacy = make_member(join_date=datetime.date(2026, 1, 1))
    MembershipNumberCounter.objects.filter(year=2026).update(last_value=0)  # e.g. a counter restored from a backup
    fresh = make_member(join_date=datetime.date(2026, 2, 1))
    assert fresh.membership_number != legacy.membership_number
    assert fresh.membership_number == "MB-202602-00002"


def test_membership_number_cannot_be_changed_through_a_model_form(member):
    from django.forms import modelform_factory

    assert "membership_number" not in modelform_factory(Member, exclude=[])().fields


def test_payroll_number_is_unique_per_employer(make_member):
    make_member(employer="Teachers Service Commission", payroll_number="TSC1")
    make_member(employer="Kenya Power", payroll_number="TSC1")  # another employer may reuse it
    with pytest.raises(ValidationError, match="payroll"):
        make_member(employer="Teachers Service Commission", payroll_number="TSC1")
