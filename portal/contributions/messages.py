"""The SMS (and matching email) a member gets when savings money comes in (issue 15): a counter, bulk, batch or
M-Pesa payment of deposits or share capital, and a check-off file's row. One message per member per posting
(a 2,000-row file sends at most 2,000, never one per column), rendered in the member's own language and fitted
into one SMS (160 GSM-7 characters): the longest amounts and names fall back to a shorter wording, never a cut.

Sent after commit only, in a django-q2 task that reads what it needs in a few queries for the whole posting: the
posting itself gains no query per row. Loans (a layer above) reuse `sms_fit`, `sms_render` and
`checkoff_received_notify` (the check-off file's loan part is allocated there, and its SMS says the loan balance).
"""

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from portal.notifications.models import MessageKind
from portal.notifications.services import notify
from portal.society.money import format_money

from .models import (
    CheckoffImport,
    CheckoffRow,
    MemberShareSummary,
    MonthlyContribution,
    PaymentSource,
    ShareCapitalPayment,
)

SMS_LENGTH = 160
ZERO = Decimal("0.00")
# Money that is not a member's own payment: no message.
SILENT_SOURCES = {PaymentSource.DEMO}


def sms_fit(*candidates: str) -> str:
    """The first wording that fits one SMS; the last one (the shortest) when none does (the SMS service cuts it)."""
    for text in candidates:
        if len(text) <= SMS_LENGTH:
            return text
    return candidates[-1]


def sms_render(user, build: Callable[[], str]) -> str:
    """`build()` in the member's language (the account's choice), whatever the language of the request or job."""
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        return str(build())


def short_name(name: str, limit: int = 24) -> str:
    """A product name short enough to leave room for the amounts (names may be 100 characters long)."""
    name = " ".join(str(name).split())
    return name if len(name) <= limit else name[: limit - 3].rstrip() + "..."


def period_label(period: datetime.date) -> str:
    """A month as the SMS writes it, the same in every language: 11/2026."""
    return f"{period.month:02d}/{period.year:04d}"


# ---------------------------------------------------------------------------------------------------------------
# Payments of deposits and share capital (payments_record)


def payment_received_text(*, kind: str, amount: Decimal, balance: Decimal) -> str:
    """The SMS for money to deposits (`monthly`) or share capital, in the active language."""
    if kind == "share_capital":
        return gettext("Payment received: {amount} to your share capital. Your share capital is now {balance}.").format(
            amount=format_money(amount), balance=format_money(balance)
        )
    return gettext("Payment received: {amount} to your deposits. Your deposits balance is now {balance}.").format(
        amount=format_money(amount), balance=format_money(balance)
    )


def payments_received_queue(*, kind: str, records: list, source: str) -> None:
    """Called by `payments_record` inside its transaction: once it commits, one task tells every member paid."""
    if source in SILENT_SOURCES or not records:
        return
    ids = [record.pk for record in records]

    def _queue():
        from django_q.tasks import async_task

        async_task("portal.contributions.messages.payments_received_notify_task", kind, ids)

    transaction.on_commit(_queue, robust=True)


def payments_received_notify_task(kind: str, ids: list) -> int:
    return payments_received_notify(kind=kind, ids=ids)


def payments_received_notify(*, kind: str, ids: list) -> int:
    """One message per member for the payments `ids` (of one posting): their total, and the balance now.
    Returns how many members were told."""
    model = ShareCapitalPayment if kind == "share_capital" else MonthlyContribution
    totals: dict = {}
    users: dict = {}
    for payment in model.objects.filter(pk__in=ids).select_related("member__user"):
        totals[payment.member_id] = totals.get(payment.member_id, ZERO) + payment.amount
        users[payment.member_id] = payment.member.user
    summaries = {s.member_id: s for s in MemberShareSummary.objects.filter(member_id__in=list(totals))}
    link = reverse("member_area:contributions")
    for member_id, amount in totals.items():
        summary = summaries.get(member_id)
        balance = (summary.share_capital if kind == "share_capital" else summary.deposits) if summary else amount
        user = users[member_id]
        text = sms_render(user, lambda: payment_received_text(kind=kind, amount=amount, balance=balance))  # noqa: B023
        notify(
            user=user,
            subject=gettext_lazy("Payment received"),
            template="generic",
            context={"body": text},
            link=link,
            kind=MessageKind.PAYMENT_RECEIVED,
            sms_text=text,
        )
    return len(totals)


# ---------------------------------------------------------------------------------------------------------------
# Check-off files: one message per member per file, naming every part of their deduction


def checkoff_received_text(
    *,
    period: datetime.date,
    share_capital: Decimal,
    deposits: Decimal,
    deposits_balance: Decimal,
    loan: Decimal,
    loan_balance: Decimal | None,
) -> str:
    """The check-off SMS in the active language: the whole amount, then each part with its balance, in the most
    detailed wording that fits one SMS."""
    total = share_capital + deposits + loan
    head = {"period": period_label(period), "total": format_money(total)}
    parts, balances = [], []
    if share_capital:
        parts.append(gettext("shares {amount}").format(amount=format_money(share_capital)))
    if deposits:
        parts.append(
            gettext("deposits {amount} (balance {balance})").format(
                amount=format_money(deposits), balance=format_money(deposits_balance)
            )
        )
        balances.append(gettext("deposits balance {balance}").format(balance=format_money(deposits_balance)))
    if loan:
        if loan_balance is None:
            parts.append(gettext("loan {amount}").format(amount=format_money(loan)))
        else:
            parts.append(
                gettext("loan {amount} (balance {balance})").format(
                    amount=format_money(loan), balance=format_money(loan_balance)
                )
            )
            balances.append(gettext("loan balance {balance}").format(balance=format_money(loan_balance)))
    detailed = gettext("Check-off {period}: {total} received: {parts}.").format(parts=", ".join(parts), **head)
    brief = gettext("Check-off {period}: {total} received: {parts}.").format(parts=", ".join(balances), **head)
    bare = gettext("Check-off {period}: {total} received.").format(**head)
    return sms_fit(detailed, brief, bare) if balances else sms_fit(detailed, bare)


def checkoff_received_queue(*, checkoff: CheckoffImport) -> None:
    """Called by `checkoff_post` for a file without loan repayments (a file with them is told by the loans'
    allocation task once its loan parts are on the loans): once the file commits, one task tells its members."""

    def _queue():
        from django_q.tasks import async_task

        async_task("portal.contributions.messages.checkoff_received_notify_task", checkoff.pk)

    transaction.on_commit(_queue, robust=True)


def checkoff_received_notify_task(checkoff_id) -> int:
    return checkoff_received_notify(checkoff_id=checkoff_id)


def checkoff_received_notify(*, checkoff_id, loan_balances: dict | None = None) -> int:
    """One message per member of the file (their rows added up). `loan_balances` ({member_id: balance}, from
    loans) names the loan balance after the allocation; without it the loan part is named without one. A few
    queries for the whole file. Returns how many members were told."""
    checkoff = CheckoffImport.objects.filter(pk=checkoff_id).first()
    if checkoff is None:
        return 0
    parts: dict = {}
    users: dict = {}
    rows = CheckoffRow.objects.filter(checkoff=checkoff, entry__isnull=False).select_related("member__user")
    for row in rows:
        share, deposits, loan = parts.get(row.member_id, (ZERO, ZERO, ZERO))
        parts[row.member_id] = (share + row.share_capital, deposits + row.deposits, loan + row.loan_repayment)
        users[row.member_id] = row.member.user
    summaries = dict(MemberShareSummary.objects.filter(member_id__in=list(parts)).values_list("member_id", "deposits"))
    loan_balances = loan_balances or {}
    link = reverse("member_area:contributions")
    for member_id, (share, deposits, loan) in parts.items():
        user = users[member_id]
        text = sms_render(
            user,
            lambda: checkoff_received_text(  # noqa: B023 - called at once
                period=checkoff.period,
                share_capital=share,  # noqa: B023
                deposits=deposits,  # noqa: B023
                deposits_balance=summaries.get(member_id, deposits),  # noqa: B023
                loan=loan,  # noqa: B023
                loan_balance=loan_balances.get(member_id),  # noqa: B023
            ),
        )
        notify(
            user=user,
            subject=gettext_lazy("Payment received"),
            template="generic",
            context={"body": text},
            link=link,
            kind=MessageKind.PAYMENT_RECEIVED,
            sms_text=text,
        )
    return len(parts)


# ---------------------------------------------------------------------------------------------------------------
# Contribution reminders (reminders.py)


def contribution_reminder_text(*, period: datetime.date, due: Decimal, paid: Decimal, membership_number: str) -> str:
    """The reminder SMS for a period's contribution not yet paid in full, in the active language."""
    values = {
        "period": period_label(period),
        "short": format_money(due - paid),
        "paid": format_money(paid),
        "due": format_money(due),
        "number": membership_number,
    }
    return sms_fit(
        gettext(
            "Your {period} contribution: {paid} of {due} received. Please pay {short} by M-Pesa or check-off, "
            "account {number}."
        ).format(**values),
        gettext("Your {period} contribution: please pay {short} by M-Pesa or check-off, account {number}.").format(
            **values
        ),
    )
