"""Reads from the ledger: balances and the trial balance, aggregated in SQL and quantized to cents.

SQLite sums decimals in floating point, so every money aggregate passes through `_cents`.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Round
from django.utils import timezone

from portal.society.money import sum_to_cents

from .models import Account, ChainLink, JournalEntry, JournalLine


def account_balance(*, code: str, member=None, as_of: datetime.date | None = None) -> Decimal:
    """The balance in the account's normal direction (credit-normal accounts positive when in credit)."""
    account = Account.objects.get(code=code)
    lines = JournalLine.objects.filter(account=account)
    if member is not None:
        lines = lines.filter(member=member)
    if as_of is not None:
        lines = lines.filter(date__lte=as_of)  # the line carries its entry's date: no join
    totals = lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    net = sum_to_cents(totals["debit"]) - sum_to_cents(totals["credit"])
    return net if account.debit_normal else -net


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    type: str
    debit: Decimal
    credit: Decimal


def trial_balance(*, as_of: datetime.date | None = None) -> list[TrialBalanceRow]:
    """Every account with activity: its net balance on the debit or the credit side. The columns are equal."""
    lines = JournalLine.objects.all()
    if as_of is not None:
        lines = lines.filter(date__lte=as_of)  # the line carries its entry's date: no join
    sums = {row["account"]: row for row in lines.values("account").annotate(d=Sum("debit"), c=Sum("credit"))}
    rows = []
    for account in Account.objects.filter(pk__in=sums).order_by("code"):
        net = sum_to_cents(sums[account.pk]["d"]) - sum_to_cents(sums[account.pk]["c"])
        rows.append(
            TrialBalanceRow(
                account.code,
                account.name,
                account.type,
                net if net > 0 else Decimal("0.00"),
                -net if net < 0 else Decimal("0.00"),
            )
        )
    return rows


def unbalanced_entries():
    """Entries whose lines do not balance or that have fewer than two lines (should always be empty).

    The difference is rounded to cents in SQL: SQLite sums decimals as floats, so 277.78 + 3333.33 can differ from
    3611.11 in the last binary digit of an exact balance."""
    return (
        JournalEntry.objects.annotate(
            n=Count("lines"),
            diff=Round(
                Sum("lines__debit") - Sum("lines__credit"),
                2,
                output_field=DecimalField(max_digits=16, decimal_places=2),
            ),
        )
        .filter(Q(n__lt=2) | ~Q(diff=0))
        .order_by("date")
    )


@dataclass(frozen=True)
class MonthEndHash:
    """The journal chain as it stood at the end of a month: its last link's sequence and hash (None: nothing had been
    posted yet). `closed` is False for the month still running, whose figure can still change."""

    month: datetime.date  # the month's last day
    sequence: int | None
    hash: str | None
    closed: bool


def chain_month_ends(*, year: int) -> list[MonthEndHash]:
    """Each month's last hash for the AGM pack, January to the current month (or December of a past year).

    The chain runs in posting order, not in the order of entry dates: a month's hash is that of the last link
    chained on or before the month's last day (midnight, society time), whatever the dates of its entries. It
    commits to everything in the books at that moment — including entries posted that month but dated earlier —
    and an entry posted later but dated in that month lies further down the chain. A link's `linked_at` never
    goes back (ledger.chain), so one index lookup a month finds it."""
    now = timezone.now()
    rows = []
    for month in range(1, 13):
        start = datetime.date(year, month, 1)
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        boundary = timezone.make_aware(datetime.datetime.combine(following, datetime.time.min))
        if timezone.make_aware(datetime.datetime.combine(start, datetime.time.min)) > now:
            break
        link = (
            ChainLink.objects.filter(linked_at__lt=boundary)
            .order_by("-linked_at", "-sequence")
            .values_list("sequence", "hash")
            .first()
        )
        sequence, digest = link or (None, None)
        rows.append(MonthEndHash(following - datetime.timedelta(days=1), sequence, digest, boundary <= now))
    return rows
