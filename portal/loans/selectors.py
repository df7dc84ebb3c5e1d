"""Reads for loans: what falls due, what is overdue, what settling today would cost."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q

from .models import Loan, LoanInstalment, LoanStatus

ZERO = Decimal("0.00")


def due_payments(*, today: datetime.date, days_ahead: int = 7):
    """Instalments not fully paid that are overdue or fall due within `days_ahead` days (L10), oldest first."""
    return (
        LoanInstalment.objects.filter(
            loan__status=LoanStatus.ACTIVE, due_date__lte=today + datetime.timedelta(days=days_ahead)
        )
        .filter(
            Q(principal_paid__lt=F("principal")) | Q(interest_paid__lt=F("interest")) | Q(penalty_paid__lt=F("penalty"))
        )
        .select_related("loan__member__user", "loan__product")
        .order_by("due_date", "loan_id", "number")
    )


@dataclass(frozen=True)
class SettlementQuote:
    """What closes the loan today (L12): every penalty, the interest already fallen due, and all the principal left.
    Interest of instalments not yet due is not charged on early settlement."""

    loan: Loan
    as_of: datetime.date
    principal: Decimal
    interest: Decimal
    penalties: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.penalties


def settlement_quote(*, loan: Loan, as_of: datetime.date) -> SettlementQuote:
    principal = interest = penalties = ZERO
    for row in loan.instalments.all():
        principal += row.principal - row.principal_paid
        penalties += row.penalty - row.penalty_paid
        if row.due_date <= as_of:
            interest += row.interest - row.interest_paid
    return SettlementQuote(loan, as_of, principal, interest, penalties)
