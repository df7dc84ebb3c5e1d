"""Demo savings history, posted through the same services as real money (bulk path): monthly contributions
from each member's join month to last month (a few months missed, some members paying more than the minimum),
share capital over each member's 12- or 24-month term, the SACCO's rent, salaries and other expenses, entrance
fees, and last month's check-off file for one employer. Idempotent: references are derived from member and
period, so a second run posts nothing."""

import bisect
import datetime
import random
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_primary
from portal.finance.cashbook.models import ExpenseCategory, IncomeCategory, SaccoExpense, SaccoIncome
from portal.finance.cashbook.services import expense_record, income_record
from portal.finance.ledger.models import JournalLine
from portal.members.demo_bulk import GENERATED_DOMAIN
from portal.members.models import Member, MemberStatus
from portal.society.policy import sacco_settings

from .checkoff import checkoff_post
from .models import MemberContributionSchedule, PaymentSource
from .periods import add_months, format_period, period_end, period_of
from .rules import share_capital_target
from .services import MONTHLY, SHARE_CAPITAL, PaymentItem, payments_record

# Sized for a small SACCO of 60 members (one shared office room and a part-time clerk), and scaled with the
# membership month by month, so the running costs stay within what the loan book earns (a surplus).
MONTHLY_EXPENSES = [
    ("Rent and utilities", Decimal("3000.00"), "Jengo Properties Ltd", "Office rent"),
    ("Salaries and wages", Decimal("7000.00"), "Staff payroll", "Staff salaries"),
    ("Stationery and printing", Decimal("500.00"), "Text Book Centre", "Stationery"),
]
EXPENSES_SIZED_FOR = 60  # members
# What the office does not need from day to day is on call deposit at the bank (the paybill is swept there).
BANK_INTEREST_RATE = Decimal("7")  # % a year


def expense_scaled(amount: Decimal, members: int) -> Decimal:
    """A monthly cost sized for EXPENSES_SIZED_FOR members, for `members` (to the hundred shillings, at least 100)."""
    return max(Decimal("100"), (amount * members / EXPENSES_SIZED_FOR / 100).quantize(Decimal("1")) * 100)


def savings_seed(*, seed: int = 2026) -> int:
    """Post the demo history; returns how many payments were posted now (0 on a second run)."""
    rng = random.Random(seed)
    today = timezone.localdate()
    last_month = add_months(period_of(today), -1)
    sacco = sacco_settings()
    minimum = sacco.minimum_monthly_contribution
    target = share_capital_target()
    bank = bank_account_primary()
    mpesa = BankAccount.objects.filter(kind="mpesa", active=True).first() or bank
    contributions: list[PaymentItem] = []
    shares: list[PaymentItem] = []
    # Generated members (seed_demo --members beyond the story's) have their own check-off history, written in bulk
    # (demo_bulk.py); they count here only for sizing the office's running costs.
    everyone = Member.objects.exclude(status=MemberStatus.EXITED)
    joined = sorted(everyone.values_list("join_date", flat=True))
    members = list(
        everyone.exclude(user__email__endswith=f"@{GENERATED_DOMAIN}").select_related("user").order_by("join_date")
    )
    checkoff_employer = members[0].employer if members else ""
    for member in members:
        term = rng.choice([12, 24])
        higher = rng.random() < 0.25
        monthly = (minimum * rng.choice([2, 3, 5])) if higher else minimum
        schedule, _ = MemberContributionSchedule.objects.get_or_create(
            member=member, defaults={"share_capital_term_months": term, "monthly_amount": monthly if higher else None}
        )
        instalment = (target / schedule.share_capital_term_months).quantize(Decimal("1"))
        share_paid = Decimal("0")
        period = period_of(member.join_date)
        month_index = 0
        while period <= last_month:
            # Last month's check-off for one employer arrives as a file below, not as counter payments.
            if period == last_month and member.employer == checkoff_employer:
                break
            paid_on = min(period.replace(day=25), today)
            if period == period_of(member.join_date):
                paid_on = max(paid_on, member.join_date)
            if rng.random() > 0.06:  # about one month in sixteen is missed
                amount = monthly + (Decimal(rng.choice([0, 0, 0, 500, 1000])) if rng.random() < 0.1 else 0)
                contributions.append(
                    PaymentItem(
                        member, amount, period, paid_on, f"demo:{member.membership_number}:{format_period(period)}"
                    )
                )
            if share_paid < target and month_index < 30:
                amount = min(instalment, target - share_paid)
                shares.append(
                    PaymentItem(member, amount, None, paid_on, f"demo-share:{member.membership_number}:{month_index}")
                )
                share_paid += amount
            period = add_months(period, 1)
            month_index += 1
    posted = 0
    for start in range(0, len(contributions), 5000):
        results = payments_record(
            kind=MONTHLY, items=contributions[start : start + 5000], source=PaymentSource.DEMO, bank_account=bank
        )
        posted += sum(r.created for r in results)
    for start in range(0, len(shares), 5000):
        results = payments_record(
            kind=SHARE_CAPITAL, items=shares[start : start + 5000], source=PaymentSource.DEMO, bank_account=mpesa
        )
        posted += sum(r.created for r in results)
    _cashbook_seed(members, last_month, joined)
    _checkoff_seed([m for m in members if m.employer == checkoff_employer], last_month, bank, minimum)
    return posted


def _cashbook_seed(members, last_month, join_dates) -> None:
    """The last 24 months' running costs, growing with the membership (sized on the members who had joined by each
    month). A month already recorded is left as it is, so a later run with more members changes no past month."""
    first = add_months(last_month, -23)
    recorded = set(
        SaccoExpense.objects.filter(reference__startswith="demo-expense:").values_list("reference", flat=True)
    )
    period = first
    while period <= last_month:
        joined = bisect.bisect_right(join_dates, period_end(period))
        for name, amount, payee, what in MONTHLY_EXPENSES:
            reference = f"demo-expense:{name}:{format_period(period)}"
            if reference in recorded:
                continue
            expense_record(
                category=ExpenseCategory.objects.get(name=name),
                amount=expense_scaled(amount, joined),
                transaction_cost="0" if "Salaries" in name else "55",
                payee=payee,
                description=f"{what} {format_period(period)}",
                date=period.replace(day=5),
                reference=reference,
            )
        period = add_months(period, 1)
    fees = IncomeCategory.objects.get(name="Entrance fees")
    for member in members:
        if member.join_date >= first:
            income_record(
                category=fees,
                amount="1000",
                payer=member.user.get_full_name(),
                description=f"Entrance fee {member.membership_number}",
                date=member.join_date,
                reference=f"demo-entrance:{member.membership_number}",
            )


def bank_interest_seed() -> int:
    """The bank's interest on the society's cash over the last 24 months, BANK_INTEREST_RATE a year on each
    month-end balance of its bank and M-Pesa accounts, received as income ("Interest on bank deposits"). Runs after
    the loans: money lent out earns loan interest instead. Idempotent by month; returns how many were posted."""
    today = timezone.localdate()
    last_month = add_months(period_of(today), -1)
    first = add_months(last_month, -23)
    bank = bank_account_primary()
    category = IncomeCategory.objects.filter(name="Interest on bank deposits").first()
    if bank is None or category is None:
        return 0
    codes = [a.ledger_account.code for a in BankAccount.objects.filter(active=True).select_related("ledger_account")]
    movements = list(  # by day: a society of 100,000 members has millions of bank lines
        JournalLine.objects.filter(account__code__in=codes, date__lte=period_end(last_month))
        .values("date")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by("date")
        .values_list("date", "debit", "credit")
    )
    balance, index, posted = Decimal("0"), 0, 0
    period = first
    while period <= last_month:
        end = period_end(period)
        while index < len(movements) and movements[index][0] <= end:
            balance += movements[index][1] - movements[index][2]
            index += 1
        reference = f"demo-bank-interest:{format_period(period)}"
        amount = (balance * BANK_INTEREST_RATE / 1200).quantize(Decimal("0.01"))
        if amount > 0 and not SaccoIncome.objects.filter(reference=reference).exists():
            income_record(
                category=category,
                amount=amount,
                payer=bank.name,
                description=f"Interest on call deposit {format_period(period)}",
                bank_account=bank,
                date=end,
                reference=reference,
            )
            balance += amount  # the ledger read above predates it
            posted += 1
        period = add_months(period, 1)
    return posted


def _checkoff_seed(members, period: datetime.date, bank, minimum) -> None:
    """One employer's check-off file for last month, posted like a clerk would."""
    if not members:
        return
    rows = ["payroll_number,share_capital,deposits,loan_repayment"]
    for member in members:
        schedule = getattr(member, "contribution_schedule", None)
        due = schedule.monthly_amount if schedule and schedule.monthly_amount else minimum
        rows.append(f"{member.payroll_number},0,{due},0")
    content = ("\n".join(rows) + "\n").encode()
    checkoff_post(
        content=content,
        file_name=f"checkoff-{members[0].employer.lower().replace(' ', '-')}-{format_period(period)}.csv",
        period=period,
        bank_account=bank,
        received_on=min(add_months(period, 1).replace(day=3), timezone.localdate()),
    )
