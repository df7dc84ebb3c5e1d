"""Each member's dividend and interest on deposits for a financial year (domain.md), computed from the ledger.

- Dividend = share capital rate × share capital (closing balance at 31 December, or the average of the 12
  month-end balances); or, with a pool, pool × s_m / Σ s over the members' share capital.
- Interest on deposits = deposit rate × the average of the member's 12 month-end deposit balances.
- Each amount is rounded down to the cent; with a pool the remainder (under a cent per member) stays in retained
  earnings, so Σ paid ≤ pool. Withholding tax on each is rounded to the cent (half up) and deducted.

Balances come from one grouped query over the member lines of 2000 and 3000 (the closing balance and the sum of
the twelve month-end balances per member, in whole cents), so 100,000 members cost the same one query as ten.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.db.models import BigIntegerField, Case, F, Sum, Value, When
from django.db.models.functions import Cast, Round

from portal.finance.ledger.models import Account, JournalLine
from portal.members.models import Member, MemberStatus

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
SHARE_CAPITAL, DEPOSITS = "3000", "2000"


def _down(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_DOWN)


def _half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class MemberAmounts:
    member_id: object
    membership_number: str
    name: str
    share_capital_basis: Decimal
    deposits_basis: Decimal
    dividend: Decimal = ZERO
    interest: Decimal = ZERO
    dividend_tax: Decimal = ZERO
    interest_tax: Decimal = ZERO

    @property
    def tax(self) -> Decimal:
        return self.dividend_tax + self.interest_tax

    @property
    def gross(self) -> Decimal:
        return self.dividend + self.interest

    @property
    def net(self) -> Decimal:
        return self.gross - self.tax


@dataclass
class DividendRun:
    rows: list[MemberAmounts] = field(default_factory=list)
    remainder: Decimal = ZERO  # pool method: what rounding down left in retained earnings

    def total(self, name: str) -> Decimal:
        return sum((getattr(row, name) for row in self.rows), ZERO)

    def summary(self) -> dict:
        return {
            "members": len([r for r in self.rows if r.gross > 0]),
            "dividend": f"{self.total('dividend'):.2f}",
            "interest": f"{self.total('interest'):.2f}",
            "gross": f"{self.total('gross'):.2f}",
            "tax": f"{self.total('tax'):.2f}",
            "net": f"{self.total('net'):.2f}",
            "remainder": f"{self.remainder:.2f}",
        }


def year_balances(*, year: int, member_ids=None) -> dict:
    """{member_id: {"3000": (closing, average), "2000": (closing, average)}} from the ledger, credit-positive.

    One grouped pass over the member lines of both accounts, two sums per member and account: the closing balance
    (every line to 31 December) and the sum of the twelve month-end balances, which is each line counted once for
    every month end on or after its date (12 for a line dated by 31 January or before the year, 1 for a December
    line) — so the database adds two columns instead of twelve. Amounts are summed as whole cents (integers): exact
    on every backend, SQLite included."""
    month_ends = [_month_end(year, month) for month in range(1, 13)]
    accounts = dict(Account.objects.filter(code__in=[SHARE_CAPITAL, DEPOSITS]).values_list("pk", "code"))
    lines = JournalLine.objects.filter(account_id__in=accounts, member__isnull=False, date__lte=month_ends[-1])
    if member_ids is not None:
        lines = lines.filter(member_id__in=member_ids)
    cents = Cast(Round((F("credit") - F("debit")) * 100), BigIntegerField())
    month_ends_on_or_after = Case(
        *[When(date__lte=end, then=Value(12 - n)) for n, end in enumerate(month_ends[:-1])],
        default=Value(1),
        output_field=BigIntegerField(),
    )
    result: dict = {}
    for member_id, account_id, closing, month_end_total in lines.values_list("member_id", "account_id").annotate(
        closing=Sum(cents, output_field=BigIntegerField()),
        month_end_total=Sum(cents * month_ends_on_or_after, output_field=BigIntegerField()),
    ):
        result.setdefault(member_id, {})[accounts[account_id]] = (
            _from_cents(closing),
            _from_cents(month_end_total) / 12,
        )
    return result


def _from_cents(value) -> Decimal:
    """Whole cents (an integer sum) as a Decimal amount with two places."""
    return Decimal(int(value or 0)).scaleb(-2)


def _month_end(year: int, month: int) -> datetime.date:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def dividend_compute(*, declaration) -> DividendRun:
    """Every eligible member's amounts for the declaration (nothing is written)."""
    members = Member.objects.order_by("membership_number")
    if not declaration.include_inactive:
        members = members.filter(status=MemberStatus.ACTIVE)
    # Plain rows, not model instances: 100,000 members are read in one pass without building 200,000 objects.
    members = members.values_list("pk", "membership_number", "user__first_name", "user__last_name")
    balances = year_balances(year=declaration.financial_year)
    run = DividendRun()
    for member_id, membership_number, first_name, last_name in members:
        found = balances.get(member_id, {})
        share_closing, share_average = found.get(SHARE_CAPITAL, (ZERO, ZERO))
        _, deposits_average = found.get(DEPOSITS, (ZERO, ZERO))
        share = share_average if declaration.share_capital_basis == "average" else share_closing
        run.rows.append(
            MemberAmounts(
                member_id=member_id,
                membership_number=membership_number,
                name=f"{first_name} {last_name}".strip(),  # User.get_full_name
                share_capital_basis=max(share, ZERO),
                deposits_basis=max(deposits_average, ZERO),
            )
        )
    if declaration.method == "pool":
        total_shares = sum((row.share_capital_basis for row in run.rows), ZERO)
        if total_shares > 0:
            for row in run.rows:
                row.dividend = _down(declaration.pool * row.share_capital_basis / total_shares)
        run.remainder = declaration.pool - run.total("dividend")
    else:
        for row in run.rows:
            row.dividend = _down(row.share_capital_basis * declaration.share_capital_rate / 100)
    for row in run.rows:
        row.interest = _down(row.deposits_basis * declaration.deposit_rate / 100)
        row.dividend_tax = _half_up(row.dividend * declaration.withholding_tax_rate / 100)
        row.interest_tax = _half_up(row.interest * declaration.withholding_tax_rate / 100)
    return run
