"""Top-up / refinancing (issue 16): a new loan that first clears one of the member's active loans; the member
receives the difference, less the product's top-up fee.

Applying: the member names their own active loan (`LoanApplication.top_up_of`). Its outstanding principal does
not count against the deposits multiple or the free deposits behind the guarantees, since the new loan clears it
(eligibility.py, `clearing=`); the arrears rule still counts it: a loan in arrears is restructured, not topped up.
The new amount must leave the member something after the fees and the settlement quote.

Paying out (from `loan_disburse`, always from a bank account, never M-Pesa): the old loan is cleared at its early
settlement quote on the payout day (settlement.py: interest not yet due waived by the product rule), then one
balanced entry, key `disbursement:<application>`:

    Dr 1100 Loans to members [new loan]   the new principal (the amount, plus fees when capitalised)
    Cr 1100 Loans to members [old loan]   its outstanding principal
    Cr 1110 Interest receivable [old]     its interest due (recognised first: Dr 1110 / Cr 4000 per instalment)
    Cr 1120 Penalties receivable [old]    its penalties
    Cr 4100 / 4110 [new]                  processing and insurance fees, when deducted
    Cr 4120 Loan top-up fees [new]        the top-up fee: fixed + percent of the new amount
    Cr bank                               what the member receives (the rest)

The old loan closes (closed_on, `refinanced_by` the new loan) and its guarantees are released; the new loan's
guarantees hold.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.audit.services import POST, audit_log
from portal.finance.banking.models import BankAccount
from portal.finance.ledger.services import Line, ledger_post
from portal.members.models import Member
from portal.society.money import format_money

from .models import (
    ApplicationStatus,
    FeeTreatment,
    Loan,
    LoanApplication,
    LoanInstalment,
    LoanProduct,
    LoanStatus,
)
from .schedule import cents, schedule_build
from .services import (
    INSURANCE_FEES,
    INTEREST_RECEIVABLE,
    LOANS,
    PENALTIES_RECEIVABLE,
    PROCESSING_FEES,
    LoanStateError,
    _accrue_interest,
    _guarantees_release,
)
from .settlement import Quote, interest_waive, settlement_quote_of

TOP_UP_FEES = "4120"
ZERO = Decimal("0.00")
OPEN = [ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED]


@dataclass(frozen=True)
class TopUpFigures:
    """The money of a top-up on a day: the new loan's principal and fees, the old loan's quote, and what is left
    for the member (`net`)."""

    amount: Decimal  # what the member asked for
    principal: Decimal  # the new loan: the amount, plus the fees when the product capitalises them
    processing: Decimal
    insurance: Decimal
    fee: Decimal  # the top-up fee, always deducted from the payout
    quote: Quote
    capitalised: bool  # the product adds processing and insurance to the loan instead of deducting them

    @property
    def deducted(self) -> Decimal:
        """Every fee taken from the payout: the top-up fee, and the other fees unless capitalised."""
        return self.fee + (ZERO if self.capitalised else self.processing + self.insurance)

    @property
    def net(self) -> Decimal:
        """What the member receives: the amount less the deducted fees and what clears the old loan."""
        return self.amount - self.deducted - self.quote.amount


def top_up_fee_of(*, product: LoanProduct, amount: Decimal) -> Decimal:
    """The product's top-up fee on a new amount: the fixed part plus the percentage, to the cent (half up)."""
    return cents(product.top_up_fee_fixed + amount * product.top_up_fee_percent / 100)


def top_up_figures(
    *, loan: Loan, product: LoanProduct, amount: Decimal, as_of: datetime.date, instalments=None
) -> TopUpFigures:
    """The figures of topping up `loan` with a new `amount` of `product` on `as_of` (fees as `_disburse` computes
    them)."""
    processing = cents(amount * product.processing_fee_percent / 100)
    insurance = cents(amount * product.insurance_fee_percent / 100)
    capitalised = product.fee_treatment == FeeTreatment.CAPITALISED
    principal = amount + processing + insurance if capitalised else amount
    return TopUpFigures(
        amount=amount,
        principal=principal,
        processing=processing,
        insurance=insurance,
        fee=top_up_fee_of(product=product, amount=amount),
        quote=settlement_quote_of(loan=loan, as_of=as_of, instalments=instalments),
        capitalised=capitalised,
    )


def top_up_check(*, member: Member, loan: Loan) -> None:
    """The loan to top up is the member's own, active, and not already being topped up by another open
    application. Errors name `top_up_of`."""
    if loan.member_id != member.pk:
        raise ValidationError({"top_up_of": ["Choose one of your own active loans."]})
    if loan.status != LoanStatus.ACTIVE:
        raise ValidationError({"top_up_of": ["Only an active loan can be topped up."]})
    if LoanApplication.objects.filter(top_up_of=loan, status__in=OPEN).exists():
        raise ValidationError({"top_up_of": ["An application to top up this loan is already open."]})


def top_up_amount_check(*, loan: Loan, product: LoanProduct, amount: Decimal, today=None) -> TopUpFigures:
    """The new amount must pay the fees and clear the old loan with something left for the member."""
    figures = top_up_figures(loan=loan, product=product, amount=amount, as_of=today or timezone.localdate())
    if figures.net <= 0:
        raise ValidationError(
            {
                "amount": [
                    f"Clearing the loan takes {format_money(figures.quote.amount)} and the fees "
                    f"{format_money(figures.deducted)}; ask for more than that."
                ]
            }
        )
    return figures


def top_up_disburse(application: LoanApplication, *, by, date: datetime.date, account: BankAccount) -> Loan:
    """Pay out a top-up (called by `loan_disburse` under the application's lock): clear the old loan, book the new
    one, post the one entry of the module docstring."""
    old = (
        Loan.objects.select_for_update(of=("self",))
        .select_related("member", "product", "application")
        .get(pk=application.top_up_of_id)
    )
    if old.status != LoanStatus.ACTIVE:
        raise LoanStateError(
            f"The loan this application tops up is {old.get_status_display().lower()}; it cannot be cleared now."
        )
    product = application.product
    rows = list(LoanInstalment.objects.select_for_update().filter(loan=old).order_by("number"))
    figures = top_up_figures(loan=old, product=product, amount=application.amount, as_of=date, instalments=rows)
    quote = figures.quote
    if figures.net <= 0:
        raise ValidationError(
            {"amount": [f"Clearing the loan now takes {format_money(quote.amount)}: nothing is left to pay out."]}
        )
    interest_waive(loan=old, quote=quote, by=by, key=f"top-up-waiver:{application.pk}")
    rows = list(LoanInstalment.objects.select_for_update().filter(loan=old).order_by("number"))
    for row in rows:  # the interest charged is recognised before it is cleared (ledger_check: 1110 = the book)
        if row.interest - row.interest_paid > 0:
            _accrue_interest(old, row, by, date)
        row.principal_paid, row.interest_paid, row.penalty_paid = row.principal, row.interest, row.penalty
    LoanInstalment.objects.bulk_update(rows, ["principal_paid", "interest_paid", "penalty_paid", "interest_accrued"])

    schedule = schedule_build(
        principal=figures.principal,
        annual_rate=application.annual_rate,
        months=application.term_months,
        method=application.method,
        start=date,
        first_due_months=1 + product.grace_months,
    )
    net = figures.net
    loan = Loan.objects.create(
        application=application,
        member=application.member,
        product=product,
        principal=figures.principal,
        amount_paid_out=net,
        processing_fee=figures.processing,
        insurance_fee=figures.insurance,
        top_up_fee=figures.fee,
        annual_rate=application.annual_rate,
        method=application.method,
        term_months=application.term_months,
        disbursed_on=date,
        disbursed_by=by,
    )
    member_id = application.member_id
    number = application.member.membership_number
    memo = f"Top-up {product.name} to {number}, clearing {old.product.name} of {old.disbursed_on:%d %b %Y}"
    lines = [Line(LOANS, debit=figures.principal, member_id=member_id, loan_id=loan.pk, description=memo)]
    for code, value, what in (
        (LOANS, quote.principal, "Principal cleared by top-up"),
        (INTEREST_RECEIVABLE, quote.interest, "Interest cleared by top-up"),
        (PENALTIES_RECEIVABLE, quote.penalty, "Penalties cleared by top-up"),
    ):
        if value > 0:
            lines.append(Line(code, credit=value, member_id=member_id, loan_id=old.pk, description=what))
    for code, value, what in (  # capitalised or deducted, fees are income now (as in services._disburse)
        (PROCESSING_FEES, figures.processing, "Processing fee"),
        (INSURANCE_FEES, figures.insurance, "Insurance fee"),
        (TOP_UP_FEES, figures.fee, "Top-up fee"),
    ):
        if value > 0:
            lines.append(Line(code, credit=value, member_id=member_id, loan_id=loan.pk, description=what))
    lines.append(Line(account.ledger_account.code, credit=net, description=memo))
    result = ledger_post(
        memo=memo, lines=lines, idempotency_key=f"disbursement:{application.pk}", posted_by=by, date=date, source="loan"
    )
    loan.disbursement_entry = result.entry
    loan.save(update_fields=["disbursement_entry"])
    LoanInstalment.objects.bulk_create(
        [
            LoanInstalment(loan=loan, number=i.number, due_date=i.due_date, principal=i.principal, interest=i.interest)
            for i in schedule.instalments
        ]
    )
    application.status = ApplicationStatus.DISBURSED
    application.save(update_fields=["status"])

    old.status = LoanStatus.CLOSED
    old.closed_on = date
    old.refinanced_by = loan
    old.save(update_fields=["status", "closed_on", "refinanced_by"])
    _guarantees_release(old.application)
    audit_log(
        instance=old,
        action=POST,
        by=by,
        summary=f"Cleared by a top-up on {date:%d %b %Y}: KES {quote.amount:,.2f} (interest waived "
        f"KES {quote.waived_interest:,.2f}); top-up fee KES {figures.fee:,.2f}; member received KES {net:,.2f}",
    )
    return loan
