"""Demo dividends: last year's, declared by the treasurer (10 % on share capital, 6 % on average deposits),
approved by the two committee members and posted. Idempotent: skipped once that year has a declaration."""

from decimal import Decimal

from django.utils import timezone

from portal.members.models import User

from .models import DividendDeclaration
from .services import dividend_prepare, dividend_vote


def dividends_seed() -> None:
    staff = {u.email: u for u in User.objects.filter(email__endswith="@sacco.example")}
    treasurer = staff.get("treasurer@sacco.example")
    approvers = [staff.get("committee@sacco.example"), staff.get("committee2@sacco.example")]
    year = timezone.localdate().year - 1
    if treasurer is None or None in approvers or DividendDeclaration.objects.filter(financial_year=year).exists():
        return
    declaration = dividend_prepare(
        financial_year=year, share_capital_rate=Decimal("10"), deposit_rate=Decimal("6"), by=treasurer
    )
    for approver in approvers:
        dividend_vote(declaration=declaration, user=approver)
