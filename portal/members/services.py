"""Writes for members: creating a member and issuing membership numbers."""

import datetime

from django.db import transaction
from django.db.models import F

from portal.audit.services import STATUS, audit_log

from .activity import activity_record
from .models import ActivityAction, Member, MembershipNumberCounter, MemberStatus, User
from .phone import phone_clean

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
        phone_number=phone_clean(phone_number),  # 0712… / +254 712… → +254712…; refusals name the field
        national_id=national_id,
        employer=employer,
        payroll_number=payroll_number,
        membership_number=membership_number_next(join_date=join_date),
    )
    member.full_clean(exclude=["user"])
    member.save()
    return member


class MemberStatusError(ValueError):
    """A status change that is not allowed (e.g. no reason for a hold)."""


@transaction.atomic
def member_status_set(*, member: Member, status: str, reason: str, by: User | None, request=None) -> Member:
    """Change a member's status (M8). Anything but active needs a reason; every change is logged.

    On hold blocks new loans; exited members keep their login to read statements.
    """
    if status not in MemberStatus.values:
        raise MemberStatusError(f"Unknown status {status!r}; use one of {', '.join(MemberStatus.values)}.")
    reason = (reason or "").strip()
    if status != MemberStatus.ACTIVE and not reason:
        raise MemberStatusError("A reason is required to put a member on hold, make them inactive or exit them.")
    member = Member.objects.select_for_update().get(pk=member.pk)
    previous = member.status
    member.status = status
    member.status_reason = reason
    member.save(update_fields=["status", "status_reason"])
    activity_record(
        action=ActivityAction.STATUS_CHANGED,
        request=request,
        user=member.user,
        actor=by,
        detail={"from": previous, "to": status, "reason": reason},
    )
    audit_log(
        instance=member,
        action=STATUS,
        by=by,
        summary=f"Reason: {reason}" if reason else "",
        changes={"status": {"before": previous, "after": status}} if previous != status else None,
    )
    return member


@transaction.atomic
def user_active_toggle(*, user: User, by: User | None, reason: str, request=None) -> User:
    """Enable or disable a login (staff or member). Disabling needs a reason and never applies to yourself."""
    if by is not None and by.pk == user.pk:
        raise MemberStatusError("You cannot disable your own account.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active and not (reason or "").strip():
        raise MemberStatusError("A reason is required to disable an account.")
    user.is_active = not user.is_active
    user.save(update_fields=["is_active"])
    activity_record(
        action=ActivityAction.STATUS_CHANGED,
        request=request,
        user=user,
        actor=by,
        detail={"login_enabled": user.is_active, "reason": (reason or "").strip()},
    )
    audit_log(
        instance=user,
        action=STATUS,
        by=by,
        summary=f"Reason: {reason.strip()}" if (reason or "").strip() else "",
        changes={"is_active": {"before": not user.is_active, "after": user.is_active}},
    )
    return user
