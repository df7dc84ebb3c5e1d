"""Contribution reminders (C6): members missing a period's contribution get one email and one inbox message per
period. Run on demand (admin, API) and monthly by a django-q2 schedule (created by migration 0002). The SMS (issue 15)
goes with it as the member's channel choice says, once per member and period too."""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.notifications.models import MessageKind
from portal.notifications.services import notify
from portal.society.money import format_money

from .messages import contribution_reminder_text, sms_render
from .models import ContributionReminder
from .periods import format_period, period_of
from .selectors import missing_contributions


def reminders_send(*, period: datetime.date) -> int:
    """Remind every member missing `period` who has not been reminded for it yet. Returns how many were sent."""
    already = set(ContributionReminder.objects.filter(period=period).values_list("member_id", flat=True))
    label = format_period(period)
    link = reverse("member_area:contributions")
    sent = 0
    for member in missing_contributions(period=period).exclude(pk__in=already):
        short = member.due - member.paid
        try:
            with transaction.atomic():
                ContributionReminder.objects.create(
                    member=member, period=period, amount_due=member.due, amount_paid=member.paid
                )
                notify(
                    user=member.user,
                    subject=f"Your {label} contribution",
                    template="generic",
                    context={
                        "body": (
                            f"Dear {member.user.first_name or 'member'},\n\n"
                            f"We have received {format_money(member.paid)} of your {format_money(member.due)} "
                            f"contribution for {label}. Please pay the remaining "
                            f"{format_money(short)} through check-off or M-Pesa, quoting your membership number "
                            f"{member.membership_number}.\n\nIf you have already paid, thank you; it may not have "
                            "been posted yet."
                        )
                    },
                    link=link,
                    kind=MessageKind.INSTALMENT_DUE,
                    sms_text=sms_render(
                        member.user,
                        lambda: contribution_reminder_text(
                            period=period,
                            due=member.due,  # noqa: B023 - called at once
                            paid=member.paid,  # noqa: B023
                            membership_number=member.membership_number,  # noqa: B023
                        ),
                    ),
                )
        except IntegrityError:  # reminded by a concurrent run
            continue
        sent += 1
    return sent


def reminders_send_for_current_month() -> int:
    """The scheduled job: remind for this month (it runs late in the month, after check-off is usually posted)."""
    return reminders_send(period=period_of(timezone.localdate()))
