"""Reads for loans: what falls due, what is overdue, what settling today would cost."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from portal.finance.ledger.selectors import account_balance
from portal.society.money import to_cents

from .models import Classification, Guarantee, Loan, LoanApplication, LoanInstalment, LoanStatus
from .schedule import cents

ZERO = Decimal("0.00")


def applications_visible_to(*, user):
    """Every application for staff who may read them; the member's own otherwise; none when signed out."""
    if user is None or not user.is_authenticated:
        return LoanApplication.objects.none()
    if user.has_perm("loans.view_loanapplication"):
        return LoanApplication.objects.all()
    return LoanApplication.objects.filter(member__user=user)


def loans_visible_to(*, user):
    """Every loan for staff who may read loans; the member's own otherwise; none when signed out."""
    if user is None or not user.is_authenticated:
        return Loan.objects.none()
    if user.has_perm("loans.view_loan"):
        return Loan.objects.all()
    return Loan.objects.filter(member__user=user)


def guarantees_visible_to(*, user):
    """The guarantees this user is asked to give (as the guarantor), whatever their role: a guarantor answers
    their own requests, so staff see no one else's here either; none when signed out."""
    if user is None or not user.is_authenticated:
        return Guarantee.objects.none()
    return Guarantee.objects.filter(guarantor__user=user)


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
    from .jobs import outstanding_by_class, provision_rates  # kept here: jobs → allocation → services → selectors

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
        rows.append(BucketRow(value, str(label), counts.get(value, 0), outstanding, rate, provision))
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


@dataclass(frozen=True)
class ProductRow:
    """One product's share of the active loan book (R3)."""

    product: str
    loans: int
    disbursed: Decimal  # principal lent on the loans still active
    outstanding: Decimal  # principal not yet repaid
    overdue: Decimal  # principal, interest and penalties fallen due and unpaid
    at_risk_30: Decimal  # outstanding principal of loans more than 30 days past due
    provision: Decimal  # at each loan's class rate

    @property
    def par30(self) -> Decimal:
        return (self.at_risk_30 / self.outstanding * 100).quantize(Decimal("0.01")) if self.outstanding else ZERO


def unpaid_expression():
    """What is left to pay on an instalment row: principal, interest and penalty less what was paid of each."""
    return (
        F("principal") + F("interest") + F("penalty") - (F("principal_paid") + F("interest_paid") + F("penalty_paid"))
    )


def _money_sums(**sums) -> dict:
    return {name: Sum(expression, filter=condition, default=0) for name, (expression, condition) in sums.items()}


def portfolio_by_product(*, today: datetime.date) -> list[ProductRow]:
    """The active loan book per product (R3): one grouped query over instalments, by product and class."""
    from .jobs import provision_rates  # kept here: jobs → allocation → services → selectors

    rates = provision_rates()
    unpaid = unpaid_expression()
    left = F("principal") - F("principal_paid")
    grouped = (
        LoanInstalment.objects.filter(loan__status=LoanStatus.ACTIVE)
        .values("loan__product__name", "loan__classification")
        .annotate(
            loans=Count("loan", distinct=True),
            **_money_sums(
                sum_lent=(F("principal"), None),
                sum_left=(left, None),
                sum_overdue=(unpaid, Q(due_date__lte=today)),
                sum_at_risk=(left, Q(loan__days_past_due__gt=30)),
            ),
        )
        .order_by("loan__product__name")
    )
    products: dict[str, dict] = {}
    for row in grouped:
        into = products.setdefault(
            row["loan__product__name"],
            {"loans": 0, "disbursed": ZERO, "outstanding": ZERO, "overdue": ZERO, "at_risk": ZERO, "provision": ZERO},
        )
        outstanding = to_cents(str(row["sum_left"]))
        into["loans"] += row["loans"]
        into["disbursed"] += to_cents(str(row["sum_lent"]))
        into["outstanding"] += outstanding
        into["overdue"] += to_cents(str(row["sum_overdue"]))
        into["at_risk"] += to_cents(str(row["sum_at_risk"]))
        into["provision"] += cents(outstanding * rates[row["loan__classification"]] / 100)
    return [
        ProductRow(name, v["loans"], v["disbursed"], v["outstanding"], v["overdue"], v["at_risk"], v["provision"])
        for name, v in products.items()
    ]


# Days past due, as arrears are usually aged: (label, first day, last day or None).
AGING_BUCKETS = [
    ("Current", 0, 0),
    ("1–30 days", 1, 30),
    ("31–60 days", 31, 60),
    ("61–90 days", 61, 90),
    ("91–180 days", 91, 180),
    ("181–360 days", 181, 360),
    ("Over 360 days", 361, None),
]


@dataclass(frozen=True)
class AgingRow:
    label: str
    loans: int
    outstanding: Decimal
    overdue: Decimal


def portfolio_aging(*, today: datetime.date) -> list[AgingRow]:
    """Active loans by days past due (R3), with their outstanding principal and what is overdue on them."""
    unpaid = unpaid_expression()
    rows = []
    for label, first, last in AGING_BUCKETS:
        days = Q(loan__days_past_due__gte=first) & (Q(loan__days_past_due__lte=last) if last is not None else Q())
        rows.append((label, days))
    aggregates = {}
    for i, (_label, days) in enumerate(rows):
        aggregates[f"n{i}"] = Count("loan", distinct=True, filter=days)
        aggregates.update(
            _money_sums(
                **{
                    f"o{i}": (F("principal") - F("principal_paid"), days),
                    f"d{i}": (unpaid, days & Q(due_date__lte=today)),
                }
            )
        )
    totals = LoanInstalment.objects.filter(loan__status=LoanStatus.ACTIVE).aggregate(**aggregates)
    return [
        AgingRow(label, totals[f"n{i}"], to_cents(str(totals[f"o{i}"])), to_cents(str(totals[f"d{i}"])))
        for i, (label, _days) in enumerate(rows)
    ]
