"""The loan SMS of issue 15 (each with its email, as the member's channel choice says): repayments received,
instalments due in three days or overdue, guarantor requests, arrears alerts to guarantors, and the decisions on
an application (approved, rejected, paid out).

Every text is rendered in the member's own language, names money as "KES 7,061.02" and fits one SMS (160 GSM-7
characters) even with the longest amounts, product names and membership numbers: a shorter wording takes over
when the detailed one is too long. Everything goes through `notify(kind=…, sms_text=…)`, so it leaves after commit
only; work over many members (a check-off file, the daily job) reads what it needs in a few queries.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from portal.contributions.messages import checkoff_received_notify, short_name, sms_fit, sms_render
from portal.contributions.models import CheckoffRow
from portal.notifications.models import MessageKind
from portal.notifications.services import notify
from portal.society.money import format_money

from .models import (
    ApplicationStatus,
    Guarantee,
    GuaranteeStatus,
    Loan,
    LoanApplication,
    LoanInstalment,
    LoanRepayment,
    LoanStatus,
)

ZERO = Decimal("0.00")


def _day(value: datetime.date) -> str:
    """A date as the SMS writes it, the same in every language: 03/12/2026."""
    return f"{value:%d/%m/%Y}"


def loan_balances(*, loan_ids) -> dict:
    """{loan_id: outstanding principal} (the loan book, 1100, as the portal shows it), in one query."""
    rows = (
        LoanInstalment.objects.filter(loan_id__in=list(loan_ids))
        .values("loan_id")
        .annotate(left=Sum(F("principal") - F("principal_paid")))
    )
    return {row["loan_id"]: Decimal(str(row["left"] or 0)).quantize(Decimal("0.01")) for row in rows}


# ---------------------------------------------------------------------------------------------------------------
# Repayments: one message per member per committed transaction (a payment spread over two loans is one SMS)


def repayment_received_text(*, amount: Decimal, product: str | None, balance: Decimal) -> str:
    """`product` is the loan's name when one loan was paid, None when several were (balance: their total)."""
    values = {"amount": format_money(amount), "balance": format_money(balance)}
    if product is None:
        return gettext("Payment received: {amount} to your loans. Your loans balance is now {balance}.").format(
            **values
        )
    return sms_fit(
        gettext("Payment received: {amount} to your {product}. Its balance is now {balance}.").format(
            product=short_name(product, 40), **values
        ),
        gettext("Payment received: {amount} to your {product}. Its balance is now {balance}.").format(
            product=short_name(product), **values
        ),
    )


_PENDING = "_loan_repayment_sms"  # on the database connection: repayments of the transaction not yet told


def repayment_received_queue(*, repayment: LoanRepayment) -> None:
    """Called by `loan_repay` inside its transaction. Repayments of one transaction are told together once it
    commits (the M-Pesa router spreads one payment over several loans in one transaction: one SMS); a rolled-back
    repayment is not found by the task, so it is never told."""
    connection = transaction.get_connection()
    batch = getattr(connection, _PENDING, None)
    registered = batch is not None and any(func is batch["flush"] for _sids, func, _robust in connection.run_on_commit)
    if not registered:
        batch = {"ids": []}

        def flush(batch=batch):
            if getattr(connection, _PENDING, None) is batch:
                setattr(connection, _PENDING, None)
            from django_q.tasks import async_task

            async_task("portal.loans.messages.repayments_received_notify_task", batch["ids"])

        batch["flush"] = flush
        setattr(connection, _PENDING, batch)
        transaction.on_commit(flush, robust=True)
    batch["ids"].append(repayment.pk)


def repayments_received_notify_task(ids: list) -> int:
    return repayments_received_notify(ids=ids)


def repayments_received_notify(*, ids: list) -> int:
    """One message per member for these repayments: what came in, where it went, the balance now."""
    by_member: dict = {}
    for repayment in LoanRepayment.objects.filter(pk__in=ids).select_related("loan__product", "loan__member__user"):
        by_member.setdefault(repayment.loan.member_id, []).append(repayment)
    balances = loan_balances(loan_ids={r.loan_id for rs in by_member.values() for r in rs})
    for repayments in by_member.values():
        loans = {r.loan_id: r.loan for r in repayments}
        amount = sum((r.amount for r in repayments), ZERO)
        balance = sum((balances.get(loan_id, ZERO) for loan_id in loans), ZERO)
        loan = next(iter(loans.values()))
        product = loan.product.name if len(loans) == 1 else None
        user = loan.member.user
        text = sms_render(user, lambda: repayment_received_text(amount=amount, product=product, balance=balance))  # noqa: B023
        notify(
            user=user,
            subject=gettext_lazy("Payment received"),
            template="generic",
            context={"body": text},
            link=reverse("member_area:loan_detail", args=[loan.pk])
            if len(loans) == 1
            else reverse("member_area:loans"),
            kind=MessageKind.PAYMENT_RECEIVED,
            sms_text=text,
        )
    return len(by_member)


def checkoff_received_with_loans_notify(*, checkoff_id) -> int:
    """A check-off file whose loan parts were just allocated: one message per member naming every part, the loan
    part with the member's loan balance after it (the loans' allocation task calls this)."""
    # Members whose loan part reached their loans: their balance after it (0.00 when it closed them). A member
    # with no active loan keeps the money in 2300 for staff: their loan part is named without a balance.
    allocated = set(
        CheckoffRow.objects.filter(
            checkoff_id=checkoff_id, loan_repayment__gt=0, loan_allocated_at__isnull=False
        ).values_list("member_id", flat=True)
    )
    loans = dict(Loan.objects.filter(member_id__in=allocated, status=LoanStatus.ACTIVE).values_list("pk", "member_id"))
    balances = loan_balances(loan_ids=list(loans))
    per_member: dict = dict.fromkeys(allocated, ZERO)
    for loan_id, member_id in loans.items():
        per_member[member_id] += balances.get(loan_id, ZERO)
    return checkoff_received_notify(checkoff_id=checkoff_id, loan_balances=per_member)


# ---------------------------------------------------------------------------------------------------------------
# Instalment reminders (reminders.py)


def instalment_reminder_text(
    *, overdue: bool, product: str, amount: Decimal, due_date: datetime.date, membership_number: str
) -> str:
    """Due in three days, or overdue: what, how much, when, and the M-Pesa account to pay to."""
    for limit in (40, 24, 12):
        values = {
            "product": short_name(product, limit),
            "amount": format_money(amount),
            "date": _day(due_date),
            "account": f"{membership_number}-L",
        }
        if overdue:
            text = gettext(
                "Your {product} instalment of {amount} was due on {date} and is overdue. Please pay by M-Pesa, "
                "account {account}."
            ).format(**values)
        else:
            text = gettext(
                "Reminder: your {product} instalment of {amount} is due on {date}. Pay by M-Pesa, account {account}."
            ).format(**values)
        if len(text) <= 160:
            return text
    return text


# ---------------------------------------------------------------------------------------------------------------
# Guarantors


def guarantor_request_text(*, borrower: str, number: str, product: str, amount: Decimal, guaranteed: Decimal) -> str:
    values = {
        "name": short_name(borrower, 30),
        "number": number,
        "amount": format_money(amount),
        "guaranteed": format_money(guaranteed),
    }
    return sms_fit(
        gettext(
            "{name} ({number}) asks you to guarantee {guaranteed} of a {product} of {amount}. "
            "Accept or decline in your portal."
        ).format(product=short_name(product, 30), **values),
        gettext("{name} ({number}) asks you to guarantee {guaranteed} of a loan of {amount}. See your portal.").format(
            **values
        ),
        gettext("{name} asks you to guarantee {guaranteed} of a loan. See your portal.").format(**values),
    )


def guarantor_request_sms(*, guarantor, borrower, product, amount: Decimal, guaranteed: Decimal) -> str:
    """The SMS to a member asked to guarantee (application_submit adds it to its notify), in their language."""
    return sms_render(
        guarantor.user,
        lambda: guarantor_request_text(
            borrower=borrower.user.get_full_name(),
            number=borrower.membership_number,
            product=product.name,
            amount=amount,
            guaranteed=guaranteed,
        ),
    )


def guarantor_arrears_text(*, borrower: str, number: str, product: str, guaranteed: Decimal, days: int) -> str:
    values = {"name": short_name(borrower, 30), "number": number, "guaranteed": format_money(guaranteed), "days": days}
    return sms_fit(
        gettext(
            "The {product} of {name} ({number}) that you guarantee for {guaranteed} is {days} days in arrears. "
            "Please encourage them to pay."
        ).format(product=short_name(product, 30), **values),
        gettext("The loan of {name} ({number}) that you guarantee for {guaranteed} is {days} days in arrears.").format(
            **values
        ),
    )


def guarantors_arrears_notify(*, loan_ids) -> int:
    """Tell every guarantor of these loans (just fallen into arrears) once: the daily job calls this for the loans
    whose days past due went from 0 to more, so one arrears episode is one message, however often the job runs.
    Returns how many guarantors were told."""
    if not loan_ids:
        return 0
    # The guarantees first, in one query: the nightly job passes every loan that fell into arrears today, and
    # only those with guarantors need their borrower, product and member read.
    guarantees = list(
        Guarantee.objects.filter(
            application_id__in=Loan.objects.filter(pk__in=list(loan_ids)).values("application_id"),
            status=GuaranteeStatus.ACCEPTED,
        ).select_related("guarantor__user")
    )
    if not guarantees:
        return 0
    loans = {
        loan.application_id: loan
        for loan in Loan.objects.filter(
            pk__in=list(loan_ids), application_id__in={g.application_id for g in guarantees}
        ).select_related("product", "member__user")
    }
    told = 0
    for guarantee in guarantees:
        loan = loans[guarantee.application_id]
        user = guarantee.guarantor.user
        borrower = loan.member.user.get_full_name()
        text = sms_render(
            user,
            lambda: guarantor_arrears_text(  # noqa: B023 - called at once
                borrower=borrower,  # noqa: B023
                number=loan.member.membership_number,  # noqa: B023
                product=loan.product.name,  # noqa: B023
                guaranteed=guarantee.amount,  # noqa: B023
                days=loan.days_past_due,  # noqa: B023
            ),
        )
        notify(
            user=user,
            subject=format_lazy(gettext_lazy("A loan you guarantee is in arrears: {name}"), name=borrower),
            template="generic",
            context={"body": text},
            link=reverse("member_area:guarantees"),
            kind=MessageKind.GUARANTOR_ARREARS,
            sms_text=text,
        )
        told += 1
    return told


# ---------------------------------------------------------------------------------------------------------------
# Decisions


def loan_decision_text(*, application: LoanApplication, approved: bool) -> str:
    values = {"amount": format_money(application.amount)}
    if approved:
        return sms_fit(
            gettext("Your {product} of {amount} is approved. The treasurer will pay it out.").format(
                product=short_name(application.product.name, 40), **values
            ),
            gettext("Your loan of {amount} is approved. The treasurer will pay it out.").format(**values),
        )
    reason = " ".join(application.decision_reason.split())
    detailed = gettext("Your {product} application of {amount} was not approved: {reason}").format(
        product=short_name(application.product.name, 30), reason=reason, **values
    )
    if len(detailed) > 160:
        # The reason is the member's to read in full: in the email and the portal.
        detailed = gettext("Your {product} application of {amount} was not approved: {reason}").format(
            product=short_name(application.product.name, 30), reason=reason[:40].rstrip() + "...", **values
        )
    return sms_fit(
        detailed, gettext("Your loan application of {amount} was not approved. See your portal.").format(**values)
    )


def loan_decision_sms(*, application: LoanApplication) -> str:
    """The decision SMS (approved or not) for `_decision_notify`, in the applicant's language."""
    return sms_render(
        application.member.user,
        lambda: loan_decision_text(application=application, approved=application.status == ApplicationStatus.APPROVED),
    )


def loan_disbursed_text(*, loan: Loan, first_due: LoanInstalment | None, on_its_way: bool = False) -> str:
    """`on_its_way`: a channel (M-Pesa B2C) sends the money after this; its result is told separately if it fails."""
    values = {"paid": format_money(loan.amount_paid_out), "principal": format_money(loan.principal)}
    if on_its_way:
        heads = [
            gettext("Your {product} of {principal} is paid out: {paid} is on its way to your M-Pesa.").format(
                product=short_name(loan.product.name, 24), **values
            ),
            gettext("Your loan of {principal} is paid out: {paid} is on its way to your M-Pesa.").format(**values),
        ]
    else:
        heads = [
            gettext("Your {product} of {principal} is paid out: {paid} sent to you.").format(
                product=short_name(loan.product.name, 24), **values
            ),
            gettext("Your loan of {principal} is paid out: {paid} sent to you.").format(**values),
        ]
    if first_due is None:
        return sms_fit(*heads)
    tail = gettext("First instalment {instalment} due on {date}.").format(
        instalment=format_money(first_due.amount), date=_day(first_due.due_date)
    )
    return sms_fit(*(f"{head} {tail}" for head in heads), *heads)


def loan_disbursed_notify(*, loan: Loan, on_its_way: bool = False) -> None:
    """The member's message when their loan is paid out (loan_disburse calls this once, for a new loan)."""
    user = loan.member.user
    first_due = loan.instalments.order_by("number").first()
    text = sms_render(user, lambda: loan_disbursed_text(loan=loan, first_due=first_due, on_its_way=on_its_way))
    notify(
        user=user,
        subject=gettext_lazy("Your loan is paid out"),
        template="generic",
        context={"body": text},
        link=reverse("member_area:loan_detail", args=[loan.pk]),
        kind=MessageKind.LOAN_DECISION,
        sms_text=text,
    )
