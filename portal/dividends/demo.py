"""Demo dividends: last year's, declared by the treasurer at rates last year's surplus affords (about a fifth of it
as interest on deposits, an expense of this year, and a third as the dividend on share capital, paid from retained
earnings; the rest stays in reserves).

Year-end close first (issue 18): every past year with income or expenses is closed (in order) and its surplus
appropriated — the statutory reserve's minimum (`statutory_reserve_rate`, 20 %), last year's dividends set aside,
the rest retained — prepared by the treasurer and approved by the two committee members, who approve it before the
AGM (the committee's recommendation); the declaration is held to the amount set aside.

As in a real society, the members approve it at the AGM, which the by-laws hold within four months of the year's
end: before the demo's AGM day the declaration waits for the committee's votes; from that day it is approved by the
two committee members and posted. It is posted on the day it is approved (dividend_post dates it so), so an earlier
posting would put a fifth of last year's surplus into the first weeks of this year's income statement as interest
on deposits, and the year to date would show a deficit. Idempotent: a declaration waiting from an earlier run is
approved once the AGM day has come."""

import datetime
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Sum
from django.utils import timezone

from portal.finance.ledger.models import AccountType, JournalLine
from portal.finance.yearend.models import AppropriationPosting, SurplusAppropriation, YearClose
from portal.finance.yearend.services import (
    CLOSE_PREFIX,
    appropriation_prepare,
    appropriation_vote,
    statutory_minimum,
    year_close,
)
from portal.members.models import User
from portal.society.money import sum_to_cents
from portal.society.policy import sacco_settings

from .compute import DEPOSITS, SHARE_CAPITAL, year_balances
from .models import DividendDeclaration, DividendPosting
from .services import dividend_prepare, dividend_vote

INTEREST_SHARE, DIVIDEND_SHARE = Decimal("0.20"), Decimal("0.33")  # of last year's surplus
MAX_DEPOSIT_RATE, MAX_SHARE_CAPITAL_RATE = Decimal("6"), Decimal("10")  # % (what the demo used to declare)
FLOOR_RATE = Decimal("1")  # % on share capital when the surplus affords less: the demo shows a declaration
AGM_MONTH, AGM_DAY = 4, 30  # the demo's AGM: the last day the by-laws allow (four months after 31 December)


def agm_held(today: datetime.date) -> bool:
    """Whether this year's AGM, which approves last year's dividends, has been held by `today`."""
    return today >= datetime.date(today.year, AGM_MONTH, AGM_DAY)


def year_surplus(year: int) -> Decimal:
    """Income less expenses posted in `year`, from the ledger (the year's closing entry left out)."""
    totals = (
        JournalLine.objects.filter(date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31))
        .exclude(entry__idempotency_key__startswith=CLOSE_PREFIX)
        .aggregate(
            income=Sum("credit", filter=Q(account__type=AccountType.INCOME)),
            income_d=Sum("debit", filter=Q(account__type=AccountType.INCOME)),
            expense=Sum("debit", filter=Q(account__type=AccountType.EXPENSE)),
            expense_c=Sum("credit", filter=Q(account__type=AccountType.EXPENSE)),
        )
    )
    income = sum_to_cents(totals["income"]) - sum_to_cents(totals["income_d"])
    return income - (sum_to_cents(totals["expense"]) - sum_to_cents(totals["expense_c"]))


def _share_capital(year: int) -> Decimal:
    return sum((b.get(SHARE_CAPITAL, (0, 0))[0] for b in year_balances(year=year).values()), Decimal("0"))


def dividend_allowance(year: int) -> tuple[Decimal, Decimal]:
    """(rate on share capital in %, the amount to set aside for it): affordable_rates' rate, lowered to what the
    surplus left after the statutory reserve affords, and the dividends at that rate on the closing share capital
    (rounded up to the cent: members' amounts are rounded down, so they never exceed it)."""
    surplus = max(year_surplus(year), Decimal("0"))
    rate = max(Decimal(sacco_settings().statutory_reserve_rate), Decimal("20"))
    room = surplus - statutory_minimum(surplus, rate)
    shares = _share_capital(year)
    share_rate = affordable_rates(year)[0]
    if shares <= 0 or room <= 0:
        return Decimal("0"), Decimal("0.00")
    if share_rate * shares / 100 > room:
        share_rate = (room / shares * 400).to_integral_value(rounding=ROUND_DOWN) / 4
    amount = (share_rate * shares / 100).quantize(Decimal("0.01"), rounding=ROUND_UP)
    return share_rate, min(amount, room)


def year_end_seed(*, year: int, treasurer, approvers) -> None:
    """Close every past year up to `year` that has income or expenses, in order, and have each surplus appropriated
    and approved (last year's with its dividends set aside). Idempotent: closed years and posted appropriations are
    left alone; one waiting from an earlier run gets its votes."""
    first = JournalLine.objects.filter(account__type__in=(AccountType.INCOME, AccountType.EXPENSE)).order_by("date")
    first = first.only("date").first()
    if first is None:
        return
    for y in range(first.date.year, year + 1):
        if not YearClose.objects.filter(financial_year=y).exists():
            try:
                year_close(financial_year=y, by=treasurer)
            except ValidationError:
                continue  # a year without income or expenses
        if AppropriationPosting.objects.filter(financial_year=y).exists():
            continue
        record = SurplusAppropriation.objects.filter(financial_year=y).order_by("-prepared_at").first()
        if record is None or record.state != "In approval":
            surplus = YearClose.objects.get(financial_year=y).surplus
            rate = max(Decimal(sacco_settings().statutory_reserve_rate), Decimal("20"))
            dividends = dividend_allowance(y)[1] if y == year else Decimal("0.00")
            record = appropriation_prepare(
                financial_year=y,
                statutory_reserve=statutory_minimum(surplus, rate),
                dividends=dividends if surplus > 0 else Decimal("0.00"),
                by=treasurer,
            )
        for approver in approvers:
            try:
                appropriation_vote(appropriation=record, user=approver)
            except (ValidationError, PermissionDenied):
                continue  # voted in an earlier run, or no longer waiting


def affordable_rates(year: int) -> tuple[Decimal, Decimal]:
    """(share capital rate, deposit rate) in %, rounded down to a quarter per cent, within the caps."""
    surplus = max(year_surplus(year), Decimal("0"))
    balances = year_balances(year=year).values()
    shares = sum((b.get(SHARE_CAPITAL, (0, 0))[0] for b in balances), Decimal("0"))
    deposits = sum((b.get(DEPOSITS, (0, 0))[1] for b in balances), Decimal("0"))

    def rate(amount, basis, cap):
        if basis <= 0:
            return Decimal("0")
        quarters = (amount / basis * 400).to_integral_value(rounding=ROUND_DOWN)
        return min(quarters / 4, cap)

    share_rate = max(rate(surplus * DIVIDEND_SHARE, shares, MAX_SHARE_CAPITAL_RATE), FLOOR_RATE)
    return share_rate, rate(surplus * INTEREST_SHARE, deposits, MAX_DEPOSIT_RATE)


def dividends_seed() -> None:
    staff = {u.email: u for u in User.objects.filter(email__endswith="@sacco.example")}
    treasurer = staff.get("treasurer@sacco.example")
    approvers = [staff.get("committee@sacco.example"), staff.get("committee2@sacco.example")]
    today = timezone.localdate()
    year = today.year - 1
    if treasurer is None or None in approvers or DividendPosting.objects.filter(financial_year=year).exists():
        return
    year_end_seed(year=year, treasurer=treasurer, approvers=approvers)
    declaration = DividendDeclaration.objects.filter(financial_year=year).order_by("-pk").first()
    if declaration is None:
        share_rate, deposit_rate = dividend_allowance(year)[0], affordable_rates(year)[1]
        if share_rate <= 0 and deposit_rate <= 0:
            return  # nothing the surplus affords
        declaration = dividend_prepare(
            financial_year=year, share_capital_rate=share_rate, deposit_rate=deposit_rate, by=treasurer
        )
    if not agm_held(today):
        return  # waiting for the AGM: staff see it in their approvals
    for approver in approvers:
        try:
            dividend_vote(declaration=declaration, user=approver)
        except (ValidationError, PermissionDenied):
            continue  # voted in an earlier run, or no longer waiting
