"""Early settlement (issue 16, L12): what closing a loan today costs, and closing it.

The product rule: interest of instalments not yet due is waived, except the next
`LoanProduct.settlement_interest_months` of them (0, the default, waives all interest not yet due). Penalties, the
interest already fallen due and every shilling of principal are always charged.

The quote holds (`valid_until`) up to the day before the next instalment falls due: that day its interest becomes
due (or the window of charged months moves), so the figure changes. A loan with anything overdue is quoted for the
day only, since the daily job may charge a penalty on it from tomorrow.

Settling posts, in one transaction:
- the waiver, when interest to waive was already recognised (a payment reached an instalment early): Dr 4000 Loan
  interest / Cr 1110 Interest receivable [loan], key `settlement-waiver:<loan>:<reference>` (a top-up:
  `top-up-waiver:<application>`); interest never recognised needs no
  posting, the instalment simply stops asking for it;
- the payment, through `loan_repay` (Dr bank / Cr 1120, 1110, 1100 [loan]; anything above the quote to deposits),
  once per reference; the loan closes and its guarantors are released there.

Top-ups (top_up.py) clear the old loan with the same quote and the same waiver.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit.services import POST, audit_log
from portal.finance.banking.models import BankAccount
from portal.finance.ledger.services import Line, ledger_post
from portal.society.money import format_money

from .models import Loan, LoanInstalment, LoanRepayment, LoanStatus
from .services import INTEREST_INCOME, INTEREST_RECEIVABLE, LoanStateError, RepaymentResult, _amount, loan_repay

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Quote:
    """What settles the loan on `as_of`: `amount` = principal + interest + penalty; `waived_interest` is what the
    member saves against paying the schedule to the end."""

    loan: Loan
    as_of: datetime.date
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    waived_interest: Decimal
    valid_until: datetime.date
    waived_rows: tuple  # the instalment numbers whose unpaid interest is waived

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest + self.penalty


def settlement_quote_of(*, loan: Loan, as_of: datetime.date | None = None, instalments=None) -> Quote:
    """The quote by the product rule (module docstring). `instalments`: the rows already read (locked), if any."""
    as_of = as_of or timezone.localdate()
    rows = list(instalments if instalments is not None else loan.instalments.order_by("number"))
    charged_months = loan.product.settlement_interest_months
    principal = interest = penalty = waived = ZERO
    waived_rows = []
    future = 0
    overdue = False
    next_due = None
    for row in rows:
        principal += row.principal - row.principal_paid
        penalty += row.penalty - row.penalty_paid
        unpaid_interest = row.interest - row.interest_paid
        if row.due_date <= as_of:
            interest += unpaid_interest
            if row.outstanding > 0 and row.due_date < as_of:
                overdue = True
            continue
        if next_due is None:
            next_due = row.due_date
        future += 1
        if future <= charged_months:
            interest += unpaid_interest
        elif unpaid_interest > 0:
            waived += unpaid_interest
            waived_rows.append(row.number)
    if overdue or next_due is None:
        valid_until = as_of
    else:
        valid_until = max(next_due - datetime.timedelta(days=1), as_of)
    return Quote(loan, as_of, principal, interest, penalty, waived, valid_until, tuple(waived_rows))


def interest_waive(*, loan: Loan, quote: Quote, by, key: str) -> Decimal:
    """Take the waived interest off the instalments (under the caller's lock). What was already recognised in
    1110 is reversed against 4000 in one entry, so the loan book and its control accounts still agree."""
    if not quote.waived_rows:
        return ZERO
    rows = list(LoanInstalment.objects.select_for_update().filter(loan=loan, number__in=quote.waived_rows))
    recognised = sum((r.interest - r.interest_paid for r in rows if r.interest_accrued), ZERO)
    if recognised > 0:
        memo = f"Interest waived on early settlement, {loan.member.membership_number}"
        ledger_post(
            memo=memo,
            lines=[
                Line(INTEREST_INCOME, debit=recognised, member_id=loan.member_id, loan_id=loan.pk, description=memo),
                Line(INTEREST_RECEIVABLE, credit=recognised, member_id=loan.member_id, loan_id=loan.pk),
            ],
            idempotency_key=key,
            posted_by=by,
            date=quote.as_of,
            source="loan settlement",
        )
    for row in rows:
        row.interest = row.interest_paid
    LoanInstalment.objects.bulk_update(rows, ["interest"])
    return quote.waived_interest


def loan_settle_early(
    *,
    loan: Loan,
    amount,
    reference: str,
    date: datetime.date | None = None,
    bank_account: BankAccount | None = None,
    recorded_by=None,
) -> RepaymentResult:
    """Settle the loan today for its quote (or more: the rest goes to deposits), once per reference.

    A reference already recorded on this loan answers that payment (created=False) whatever the loan's state now,
    so a retried request is safe; an amount below the quote is a ValidationError on `amount`."""
    amount = _amount(amount, "amount")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError(
            {"reference": ["A reference (receipt or slip number) is required: it stops a double posting."]}
        )
    if len(reference) > 100:
        raise ValidationError({"reference": ["The reference is longer than 100 characters."]})
    date = date or timezone.localdate()
    if date > timezone.localdate():
        raise ValidationError({"date": ["The payment date cannot be in the future."]})
    with transaction.atomic():
        locked = Loan.objects.select_for_update(of=("self",)).select_related("member", "product").get(pk=loan.pk)
        done = LoanRepayment.objects.filter(entry__idempotency_key=f"repayment:{reference}").first()
        if done is not None:
            # loan_repay answers the same payment, or names the reference as used for another one.
            return loan_repay(loan=locked, amount=amount, reference=reference, date=date, recorded_by=recorded_by)
        if locked.status != LoanStatus.ACTIVE:
            raise LoanStateError("This loan is not active; there is nothing to settle.")
        rows = list(LoanInstalment.objects.select_for_update().filter(loan=locked).order_by("number"))
        quote = settlement_quote_of(loan=locked, as_of=date, instalments=rows)
        if amount < quote.amount:
            raise ValidationError(
                {
                    "amount": [
                        f"Settling on {date:%d %b %Y} takes {format_money(quote.amount)}; "
                        f"{format_money(amount)} is not enough."
                    ]
                }
            )
        interest_waive(loan=locked, quote=quote, by=recorded_by, key=f"settlement-waiver:{locked.pk}:{reference}")
        result = loan_repay(
            loan=locked,
            amount=amount,
            reference=reference,
            date=date,
            bank_account=bank_account,
            recorded_by=recorded_by,
        )
        locked.refresh_from_db(fields=["status"])
        if locked.status != LoanStatus.CLOSED:  # cannot happen when the quote is right; never leave it half done
            raise LoanStateError("The payment did not close the loan; nothing was posted.")
        if recorded_by is not None:
            audit_log(
                instance=locked,
                action=POST,
                by=recorded_by,
                summary=f"Settled early with KES {amount:,.2f}, ref. {reference}; interest waived "
                f"KES {quote.waived_interest:,.2f}",
            )
    return result
