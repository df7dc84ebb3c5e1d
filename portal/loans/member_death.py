"""A member's death (issue 16): recorded by staff with the date and a document, then settled like an exit
(membership_exit.py: prepared by one person, approved by another) with two differences:

- a loan whose product carries insurance (insurance_fee_percent > 0) is cleared by the insurance claim: Dr 1130
  Insurance claims receivable [member] / Cr 1120, 1110, 1100 [loan], through the repayment allocation;
- what the deposits (and a refunded share capital) come to after the other loans are offset goes to the nominees on
  the member's profile by their percentages, to the cent, each a payable on 2400 until paid. A loan the deposits do
  not cover stays outstanding: recovery from the guarantors is a separate process (not done here).

No notice period: the settlement may be prepared from the day of death.
"""

import datetime
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit.services import ACTION, audit_log
from portal.members.models import Member, MemberExit, MemberExitKind, MemberStatus, Nominee, User
from portal.society.errors import StateConflict
from portal.society.money import CENT

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


class NomineesIncomplete(ValidationError):
    """The member's nominees do not add up to 100 %: the split cannot be made until the profile is corrected."""


def nominee_split(*, nominees: list[Nominee], amount: Decimal) -> list[tuple[Nominee, Decimal]]:
    """Split an amount by the nominees' percentages, each share rounded down to the cent; the cents left over go
    to the largest share (the first of the largest, by the profile's order), so the parts add up exactly."""
    total_percent = sum((n.share_percent for n in nominees), Decimal("0"))
    if not nominees or total_percent != HUNDRED:
        raise NomineesIncomplete(
            {
                "nominees": [
                    f"The member's nominees' shares add up to {total_percent}%, not 100%: correct them on the member's "
                    "profile before the settlement."
                ]
            }
        )
    parts = [(n, (amount * n.share_percent / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)) for n in nominees]
    remainder = amount - sum((p for _, p in parts), ZERO)
    largest = max(range(len(parts)), key=lambda i: (parts[i][0].share_percent, -i))
    nominee, part = parts[largest]
    parts[largest] = (nominee, part + remainder)
    return parts


@transaction.atomic
def member_death_record(
    *, member: Member, died_on: datetime.date, by: User, document=None, reason: str = ""
) -> MemberExit:
    """Record a death once. The member's account stays as it is until the settlement is approved (then: exited)."""
    if not isinstance(died_on, datetime.date):
        raise ValidationError({"died_on": ["Give the date of death."]})
    if died_on > timezone.localdate():
        raise ValidationError({"died_on": ["The date of death cannot be in the future."]})
    locked = Member.objects.select_for_update().get(pk=member.pk)
    if locked.status == MemberStatus.EXITED:
        raise StateConflict(f"{locked.membership_number} has already exited the SACCO.")
    existing = MemberExit.objects.filter(member=locked).first()
    if existing is not None:
        if existing.kind == MemberExitKind.EXIT and existing.status == "notice":
            # Notice was given and then the member died: the death takes over (no notice period).
            existing.kind = MemberExitKind.DEATH
            existing.died_on = died_on
            existing.settle_from = died_on
            existing.reason = (reason or "").strip()[:255] or existing.reason
            if document is not None:
                existing.death_document = document
            existing.save()
            audit_log(instance=existing, action=ACTION, by=by, summary=f"Death recorded: died on {died_on:%d %b %Y}")
            return existing
        raise StateConflict(f"{locked.membership_number}'s membership is already being settled.")
    record = MemberExit(
        member=locked,
        kind=MemberExitKind.DEATH,
        reason=(reason or "").strip()[:255],
        notice_given_on=timezone.localdate(),
        notice_given_by=by,
        settle_from=died_on,
        died_on=died_on,
    )
    if document is not None:
        record.death_document = document
    record.save()
    audit_log(instance=record, action=ACTION, by=by, summary=f"Death recorded: died on {died_on:%d %b %Y}")
    return record
