"""Loan payment reminders (L10): three days before an instalment falls due, and once a month while it is
overdue; email and inbox, never twice for the same instalment, kind and month. The SMS (issue 15, as the member's
channel choice says) goes with the first reminder of each kind for an instalment only: one "due in three days"
and one "overdue" text per instalment, not one a month."""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.contributions.messages import sms_render
from portal.notifications.models import MessageKind
from portal.notifications.services import notify
from portal.society.money import format_money

from .messages import instalment_reminder_text
from .models import LoanReminder
from .selectors import due_payments

DAYS_BEFORE = 3


def payment_reminders_send(*, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    period = f"{today.year:04d}-{today.month:02d}"
    sent = 0
    instalments = list(due_payments(today=today, days_ahead=DAYS_BEFORE))
    # Reminders of earlier months: an instalment already texted for this kind gets no second SMS.
    texted = set(
        LoanReminder.objects.filter(instalment__in=[i.pk for i in instalments])
        .exclude(period=period)
        .values_list("instalment_id", "kind")
    )
    for instalment in instalments:
        kind = "overdue" if instalment.due_date < today else "before"
        loan = instalment.loan
        user = loan.member.user
        when = (
            f"was due on {instalment.due_date:%d %B %Y}"
            if kind == "overdue"
            else f"falls due on {instalment.due_date:%d %B %Y}"
        )
        try:
            with transaction.atomic():
                LoanReminder.objects.create(instalment=instalment, kind=kind, period=period)
                notify(
                    user=user,
                    subject=f"Your {loan.product.name.lower()} instalment {when.split(' on ')[0]}",
                    template="generic",
                    context={
                        "body": (
                            f"Dear {user.first_name or 'member'},\n\nInstalment {instalment.number} of your "
                            f"{loan.product.name.lower()} ({format_money(instalment.outstanding)} left to pay) {when}. "
                            f"Pay through check-off or M-Pesa, quoting your membership number "
                            f"{loan.member.membership_number}.\n\n"
                            "If you have paid, thank you; it may not be posted yet."
                        )
                    },
                    link=reverse("member_area:loan_detail", args=[loan.pk]),
                    kind=MessageKind.INSTALMENT_OVERDUE if kind == "overdue" else MessageKind.INSTALMENT_DUE,
                    sms_text=None if (instalment.pk, kind) in texted else _sms(instalment, overdue=kind == "overdue"),
                )
        except IntegrityError:
            continue
        sent += 1
    return sent


def _sms(instalment, *, overdue: bool) -> str:
    """The reminder SMS in the member's language: the instalment's amount left to pay, its date, the account."""
    loan = instalment.loan
    return sms_render(
        loan.member.user,
        lambda: instalment_reminder_text(
            overdue=overdue,
            product=loan.product.name,
            amount=instalment.outstanding,
            due_date=instalment.due_date,
            membership_number=loan.member.membership_number,
        ),
    )
