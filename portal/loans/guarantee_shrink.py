"""Guarantees that shrink (issue 16): with *SACCO settings → guarantees shrink* on, a guarantee of a loan that is
paid out holds only its share of the principal still owed, so a guarantor can borrow or guarantee again as the
borrower repays. Off (the default), a guarantee holds its full amount until it is released.

    held = original guarantee × outstanding principal ÷ principal disbursed, rounded half up to the cent

The principal disbursed is the loan's principal (fees included when capitalised); the outstanding principal is
the schedule's unpaid principal, the same figure as the loan book (1100). A guarantee whose application is not
paid out yet (requested, or accepted while in review) holds its full amount either way.

Free deposits (eligibility.free_deposits), the member's dashboard and the API read this module, so they agree."""

from decimal import Decimal

from django.db.models import F, Sum

from portal.society.policy import sacco_settings

from .models import Guarantee, GuaranteeStatus, LoanInstalment, LoanStatus
from .schedule import cents

ZERO = Decimal("0.00")
HELD = (GuaranteeStatus.REQUESTED, GuaranteeStatus.ACCEPTED)


def guarantees_shrink_on() -> bool:
    return sacco_settings().guarantees_shrink


def shrunk_amount(*, amount: Decimal, outstanding: Decimal, principal: Decimal) -> Decimal:
    """amount × outstanding ÷ principal to the cent (never above the amount nor below zero)."""
    if principal <= 0:
        return amount
    return min(max(cents(amount * outstanding / principal), ZERO), amount)


def guarantees_held(guarantees, *, shrink: bool | None = None) -> dict:
    """{guarantee id: what it holds of the guarantor's deposits now}, in two queries for any number of them."""
    guarantees = list(guarantees)
    shrink = guarantees_shrink_on() if shrink is None else shrink
    held = {g.pk: (g.amount if g.status in HELD else ZERO) for g in guarantees}
    if not shrink or not guarantees:
        return held
    loans = {
        row["application_id"]: row
        for row in Guarantee.objects.filter(
            pk__in=[g.pk for g in guarantees], application__loan__status=LoanStatus.ACTIVE
        ).values("application_id", principal=F("application__loan__principal"), loan_id=F("application__loan__id"))
    }
    if not loans:
        return held
    outstanding = {
        row["loan_id"]: Decimal(str(row["left"] or 0)).quantize(Decimal("0.01"))
        for row in LoanInstalment.objects.filter(loan_id__in=[row["loan_id"] for row in loans.values()])
        .values("loan_id")
        .annotate(left=Sum(F("principal") - F("principal_paid")))
    }
    for guarantee in guarantees:
        loan = loans.get(guarantee.application_id)
        if loan is None or guarantee.status not in HELD:
            continue
        held[guarantee.pk] = shrunk_amount(
            amount=guarantee.amount, outstanding=outstanding.get(loan["loan_id"], ZERO), principal=loan["principal"]
        )
    return held


def guarantee_held(guarantee) -> Decimal:
    return guarantees_held([guarantee])[guarantee.pk]


def guarantees_held_total(*, member) -> Decimal:
    """What the member's promises for other members' loans hold of their deposits now (requested or accepted)."""
    given = Guarantee.objects.filter(guarantor=member, status__in=HELD).only("pk", "application_id", "amount", "status")
    if not guarantees_shrink_on():
        total = given.aggregate(total=Sum("amount"))["total"]
        return Decimal(str(total or 0)).quantize(Decimal("0.01"))
    return sum(guarantees_held(given, shrink=True).values(), ZERO)
