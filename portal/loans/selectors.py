"""Reads for loans: what falls due, what is overdue, what settling today would cost."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q

from .models import Loan, LoanInstalment, LoanStatus
from .schedule import cents

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


@dataclass(frozen=True)
class BucketRow:
    classification: str
    label: str
    loans: int
    outstanding: Decimal
    rate: Decimal
    provision: Decimal


@dataclass(frozen=True)
class PortfolioReport:
    rows: list[BucketRow]
    outstanding: Decimal
    provision_required: Decimal
    provision_held: Decimal
    par30: Decimal  # % of outstanding principal more than 30 days past due
    par90: Decimal


def portfolio_report() -> PortfolioReport:
    """The loan book by SASRA class (L9): loans, outstanding principal, provision at each class's rate, PAR30/90."""
    from django.db.models import Count, Sum

    from portal.finance.ledger.selectors import account_balance
    from portal.finance.money import to_cents

    from .jobs import outstanding_by_class, provision_rates
    from .models import Classification

    rates = provision_rates()
    per_class = outstanding_by_class()
    counts = dict(
        Loan.objects.filter(status=LoanStatus.ACTIVE)
        .values("classification")
        .annotate(n=Count("pk"))
        .values_list("classification", "n")
    )
    over_30 = over_90 = ZERO
    # One grouped query for the loans more than 30 days past due, not one per loan.
    for row in (
        LoanInstalment.objects.filter(loan__status=LoanStatus.ACTIVE, loan__days_past_due__gt=30)
        .values("loan_id", "loan__days_past_due")
        .annotate(due=Sum("principal"), paid=Sum("principal_paid"))
    ):
        left = to_cents(str(row["due"] or 0)) - to_cents(str(row["paid"] or 0))
        over_30 += left
        if row["loan__days_past_due"] > 90:
            over_90 += left
    rows = []
    for value, label in Classification.choices:
        outstanding = per_class.get(value, ZERO)
        rate = rates[value]
        provision = cents(outstanding * rate / 100)  # half up, as the daily job posts it
        rows.append(BucketRow(value, label, counts.get(value, 0), outstanding, rate, provision))
    total = sum((r.outstanding for r in rows), ZERO)

    def percent(part):
        return (part / total * 100).quantize(Decimal("0.01")) if total else ZERO

    return PortfolioReport(
        rows,
        total,
        sum((r.provision for r in rows), ZERO),
        account_balance(code="1190"),
        percent(over_30),
        percent(over_90),
    )
