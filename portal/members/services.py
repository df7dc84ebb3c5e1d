"""Writes for members: creating a member and issuing membership numbers."""

import datetime

from django.db import transaction
from django.db.models import F

from .models import Member, MembershipNumberCounter, User

MEMBERSHIP_NUMBER_PREFIX = "MB"


def membership_number_format(*, join_date: datetime.date, sequence: int) -> str:
    """MB-YYYYMM-NNNNN: the join year and month, then the sequence within the join year."""
    return f"{MEMBERSHIP_NUMBER_PREFIX}-{join_date:%Y%m}-{sequence:05d}"


def membership_number_next(*, join_date: datetime.date) -> str:
    """Issue the next membership number for a join date.

    Must run inside the transaction that creates the member: the counter row stays locked by the
    UPDATE until commit, so two registrations can never read the same value. A rolled-back
    registration gives its number back with the rollback.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("membership_number_next must be called inside transaction.atomic().")
    year = join_date.year
    MembershipNumberCounter.objects.bulk_create([MembershipNumberCounter(year=year)], ignore_conflicts=True)
    while True:
        MembershipNumberCounter.objects.filter(year=year).update(last_value=F("last_value") + 1)
        sequence = MembershipNumberCounter.objects.values_list("last_value", flat=True).get(year=year)
        # A sequence already used this year (numbers restored or imported from an older system) is skipped.
        taken = Member.objects.filter(
            membership_number__startswith=f"{MEMBERSHIP_NUMBER_PREFIX}-{year}",
            membership_number__endswith=f"-{sequence:05d}",
        ).exists()
        if not taken:
            return membership_number_format(join_date=join_date, sequence=sequence)


@transaction.atomic
def member_create(
    *,
    user: User,
    join_date: datetime.date | None = None,
    phone_number: str = "",
    national_id: str = "",
    employer: str = "",
    payroll_number: str = "",
) -> Member:
    """Create the Member record for a user, with a fresh membership number."""
    from django.utils import timezone

    join_date = join_date or timezone.localdate()
    member = Member(
        user=user,
        join_date=join_date,
        phone_number=phone_number,
        national_id=national_id,
        employer=employer,
        payroll_number=payroll_number,
        membership_number=membership_number_next(join_date=join_date),
    )
    member.full_clean(exclude=["user"])
    member.save()
    return member
