"""Financial statements from the ledger for a period (R1, domain.md): trial balance, income statement, balance
sheet and direct cash flow.

Aggregated in SQL in two passes over the journal lines (which carry their entry's date, so no join): one groups
every line up to the period's end by account, split into "before the period" and "in the period" with filtered
sums; the other sums, per counter-account, the lines of entries that moved cash in the period. The result is a
plain dict of strings (JSON-ready), so a snapshot stores exactly what was shown and every renderer (screen, CSV,
XLSX, PDF, API) reads the same thing.

Cash is the asset accounts below 1100 (cash on hand, banks, M-Pesa). Cash-flow classes by counter-account:
financing — share capital, reserves and retained earnings (3xxx) and dividends payable (2100); investing — assets
from 1200 up (fixed assets, investments); operating — everything else (income, expenses, member loans 11xx,
deposits and other member liabilities), as domain.md says for a SACCO.

Year-end close (issue 18, docs/reports.md): the closing entry (key `year-close:<year>`) and the appropriation
(`year-appropriation:<year>`) are bookkeeping, not the year's performance: the income statement leaves them out
(found through the year-end records, one small query sums their lines in the period), so the income statement of
a closed year still shows its income, expenses and surplus. The balance sheet and the trial balance include them:
after the close the income and expense accounts hold nothing for the closed year, the surplus sits in 3300 and
then in the reserves, and the "surplus not yet closed" line appears only while the end date's year is open (or an
older year was left open).
"""

import datetime
from decimal import Decimal

from django.db.models import Q, Sum

from portal.finance.ledger.models import DEBIT_NORMAL, Account, AccountType, JournalEntry, JournalLine
from portal.finance.yearend.models import AppropriationPosting, YearClose
from portal.finance.yearend.services import APPROPRIATION_PREFIX, CLOSE_PREFIX
from portal.society.money import sum_to_cents

ZERO = Decimal("0.00")
CASH_BELOW = "1100"


def is_cash(account: Account) -> bool:
    return account.type == AccountType.ASSET and account.code < CASH_BELOW


def cash_flow_class(account: Account) -> str:
    if account.type == AccountType.EQUITY or account.code == "2100":
        return "financing"
    if account.type == AccountType.ASSET and account.code >= "1200":
        return "investing"
    return "operating"


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def financial_statements(*, start: datetime.date, end: datetime.date) -> dict:
    """Every statement for [start, end]; the balance sheet is at `end`, the trial balance too."""
    if start > end:
        from django.core.exceptions import ValidationError

        raise ValidationError({"period_start": ["The period starts after it ends."]})
    accounts = {a.pk: a for a in Account.objects.all()}
    sums = (
        JournalLine.objects.filter(date__lte=end)
        .values("account_id")
        .annotate(
            before_d=Sum("debit", filter=Q(date__lt=start)),
            before_c=Sum("credit", filter=Q(date__lt=start)),
            in_d=Sum("debit", filter=Q(date__gte=start)),
            in_c=Sum("credit", filter=Q(date__gte=start)),
        )
    )
    before, during = {}, {}
    for row in sums:
        account = accounts[row["account_id"]]
        before[account.pk] = sum_to_cents(row["before_d"]) - sum_to_cents(row["before_c"])  # debit minus credit
        during[account.pk] = sum_to_cents(row["in_d"]) - sum_to_cents(row["in_c"])
    cash_ids = [pk for pk, a in accounts.items() if is_cash(a)]
    counter = (
        JournalLine.objects.filter(
            date__gte=start,
            date__lte=end,
            entry_id__in=JournalLine.objects.filter(account_id__in=cash_ids, date__gte=start, date__lte=end).values(
                "entry_id"
            ),
        )
        .exclude(account_id__in=cash_ids)
        .values("account_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    )
    flows = {row["account_id"]: sum_to_cents(row["c"]) - sum_to_cents(row["d"]) for row in counter}
    # The year-end entries, by their keys — found through the year-end records (a handful of rows, one per year),
    # so the journal is not scanned for a key prefix.
    year_end_ids = [
        entry_id
        for entry_id, key in JournalEntry.objects.filter(
            Q(pk__in=YearClose.objects.values("entry_id"))
            | Q(pk__in=AppropriationPosting.objects.exclude(entry=None).values("entry_id"))
        ).values_list("pk", "idempotency_key")
        if key.startswith((CLOSE_PREFIX, APPROPRIATION_PREFIX))
    ]
    year_end = (
        JournalLine.objects.filter(date__gte=start, date__lte=end, entry_id__in=year_end_ids)
        .values("account_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        if year_end_ids
        else []
    )
    trading = dict(during)  # the period's movements without the year-end close and appropriation
    for row in year_end:
        trading[row["account_id"]] = trading.get(row["account_id"], ZERO) - (
            sum_to_cents(row["d"]) - sum_to_cents(row["c"])
        )
    end_year_open = not YearClose.objects.filter(financial_year=end.year).exists()
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "trial_balance": _trial_balance(accounts, before, during),
        "income_statement": _income_statement(accounts, trading),
        "balance_sheet": _balance_sheet(accounts, before, during, end_year_open=end_year_open),
        "cash_flow": _cash_flow(accounts, before, during, flows, cash_ids),
    }


def _ordered(accounts, keys):
    return sorted((accounts[pk] for pk in keys), key=lambda a: a.code)


def _normal(account: Account, debit_minus_credit: Decimal) -> Decimal:
    """The balance in the account's normal direction (a contra asset in credit shows negative)."""
    return debit_minus_credit if account.type in DEBIT_NORMAL else -debit_minus_credit


def _trial_balance(accounts, before, during) -> dict:
    rows, debit, credit = [], ZERO, ZERO
    for account in _ordered(accounts, set(before) | set(during)):
        net = before.get(account.pk, ZERO) + during.get(account.pk, ZERO)
        if net == 0:
            continue
        d, c = (net, ZERO) if net > 0 else (ZERO, -net)
        debit, credit = debit + d, credit + c
        rows.append({"code": account.code, "name": account.name, "debit": _money(d), "credit": _money(c)})
    return {"rows": rows, "debit": _money(debit), "credit": _money(credit)}


def _section(accounts, values: dict, types: set) -> tuple[list, Decimal]:
    rows, total = [], ZERO
    for account in _ordered(accounts, [pk for pk in values if accounts[pk].type in types]):
        amount = _normal(account, values[account.pk])
        if amount == 0:
            continue
        total += amount
        rows.append({"code": account.code, "name": account.name, "amount": _money(amount)})
    return rows, total


def _income_statement(accounts, during) -> dict:
    income, total_income = _section(accounts, during, {AccountType.INCOME})
    expenses, total_expenses = _section(accounts, during, {AccountType.EXPENSE})
    return {
        "income": income,
        "expenses": expenses,
        "total_income": _money(total_income),
        "total_expenses": _money(total_expenses),
        "surplus": _money(total_income - total_expenses),
    }


def _balance_sheet(accounts, before, during, *, end_year_open: bool = True) -> dict:
    closing = {pk: before.get(pk, ZERO) + during.get(pk, ZERO) for pk in set(before) | set(during)}
    assets, total_assets = _section(accounts, closing, {AccountType.ASSET})
    liabilities, total_liabilities = _section(accounts, closing, {AccountType.LIABILITY})
    equity, total_equity = _section(accounts, closing, {AccountType.EQUITY})
    _, income = _section(accounts, closing, {AccountType.INCOME})
    _, expenses = _section(accounts, closing, {AccountType.EXPENSE})
    surplus = income - expenses  # income less expenses not yet closed to 3300 by a year-end close
    return {
        "assets": assets,
        "liabilities": liabilities,
        "equity": equity,
        "total_assets": _money(total_assets),
        "total_liabilities": _money(total_liabilities),
        "total_equity": _money(total_equity),
        "surplus": _money(surplus),
        # The "surplus not yet closed" line: shown for an open year (or when an earlier year was left open).
        "surplus_open": end_year_open or surplus != 0,
        "total_liabilities_and_equity": _money(total_liabilities + total_equity + surplus),
        "balances": total_assets == total_liabilities + total_equity + surplus,
    }


def _cash_flow(accounts, before, during, flows, cash_ids) -> dict:
    opening = sum((before.get(pk, ZERO) for pk in cash_ids), ZERO)
    closing = opening + sum((during.get(pk, ZERO) for pk in cash_ids), ZERO)
    sections = {"operating": [], "investing": [], "financing": []}
    totals = dict.fromkeys(sections, ZERO)
    for account in _ordered(accounts, flows):
        amount = flows[account.pk]
        if amount == 0:
            continue
        kind = cash_flow_class(account)
        totals[kind] += amount
        sections[kind].append({"code": account.code, "name": account.name, "amount": _money(amount)})
    net = sum(totals.values(), ZERO)
    return {
        **sections,
        **{f"net_{kind}": _money(total) for kind, total in totals.items()},
        "opening_cash": _money(opening),
        "net_change": _money(net),
        "closing_cash": _money(closing),
        "ties": opening + net == closing,
    }
