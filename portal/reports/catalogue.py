"""The report types staff can save, run and schedule (R6), and the periods a saved report can cover.

A report type names the permission needed to see it, whether it covers a period or shows the books as they stand
when it runs, and how it builds its tables from the selectors (nothing here writes). A saved report stores a
*relative* period — "last month", "year to date" — so a monthly schedule always reports the month just ended.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Sum
from django.utils import timezone

from portal.contributions.periods import add_months, period_of
from portal.contributions.reports import report_sections
from portal.contributions.selectors import contribution_report
from portal.dividends.models import MemberDividend
from portal.finance.banking.models import BankAccount
from portal.finance.banking.reconciliation import unreconciled_report
from portal.finance.ledger.models import JournalLine
from portal.loans.models import LoanInstalment, LoanStatus
from portal.loans.portfolio_tables import loan_portfolio_sections
from portal.loans.selectors import unpaid_expression
from portal.members.models import Member
from portal.society.money import sum_to_cents
from portal.society.tabular import Section, TabularReport

from .financial import financial_statements
from .sasra import sasra_returns, sasra_sections

ZERO = Decimal("0.00")
MAX_CONTRIBUTION_MONTHS = 24


class Period(models.TextChoices):
    PREVIOUS_MONTH = "previous_month", "Last month"
    MONTH_TO_DATE = "month_to_date", "This month so far"
    PREVIOUS_QUARTER = "previous_quarter", "Last quarter"
    YEAR_TO_DATE = "year_to_date", "This year so far"
    PREVIOUS_YEAR = "previous_year", "Last year"
    CUSTOM = "custom", "Fixed dates"


def period_dates(
    *, period: str, today: datetime.date, start: datetime.date | None = None, end: datetime.date | None = None
) -> tuple[datetime.date, datetime.date]:
    """The first and last day a period covers on `today`. Fixed dates need both ends, in order."""
    first_of_month = today.replace(day=1)
    if period == Period.PREVIOUS_MONTH:
        last = first_of_month - datetime.timedelta(days=1)
        return last.replace(day=1), last
    if period == Period.MONTH_TO_DATE:
        return first_of_month, today
    if period == Period.PREVIOUS_QUARTER:
        this_quarter = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        last = this_quarter - datetime.timedelta(days=1)
        return datetime.date(last.year, last.month - 2, 1), last
    if period == Period.YEAR_TO_DATE:
        return datetime.date(today.year, 1, 1), today
    if period == Period.PREVIOUS_YEAR:
        return datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)
    if period == Period.CUSTOM:
        problems = {}
        if start is None:
            problems["start_date"] = ["Give the first day for fixed dates."]
        if end is None:
            problems["end_date"] = ["Give the last day for fixed dates."]
        if not problems and start > end:
            problems["end_date"] = ["The last day is before the first."]
        if problems:
            raise ValidationError(problems)
        return start, end
    raise ValidationError({"period": [f"{period!r} is not a period; use one of {', '.join(Period.values)}."]})


def _d(text) -> Decimal:
    return Decimal(text)


# --- builders: (start, end, today) -> sections ---------------------------------------------------------------


def financial_statements_sections(start, end, today) -> list[Section]:
    data = financial_statements(start=start, end=end)
    tb = data["trial_balance"]
    inc = data["income_statement"]
    bs = data["balance_sheet"]
    cf = data["cash_flow"]
    income = Section("Income statement", ["Section", "Account", "Name", "Amount"])
    for heading, key in (("Income", "income"), ("Expenses", "expenses")):
        income.rows += [[heading, r["code"], r["name"], _d(r["amount"])] for r in inc[key]]
    income.rows += [
        ["Total income", "", "", _d(inc["total_income"])],
        ["Total expenses", "", "", _d(inc["total_expenses"])],
    ]
    income.totals = ["Surplus", "", "", _d(inc["surplus"])]
    balance = Section("Balance sheet", ["Section", "Account", "Name", "Amount"])
    for heading, key in (("Assets", "assets"), ("Liabilities", "liabilities"), ("Equity", "equity")):
        balance.rows += [[heading, r["code"], r["name"], _d(r["amount"])] for r in bs[key]]
        balance.rows.append([f"Total {key}", "", "", _d(bs[f"total_{key}"])])
    if bs.get("surplus_open", True):  # packs frozen before issue 18 have no flag: they always showed it
        balance.rows.append(["Surplus not yet closed", "", "", _d(bs["surplus"])])
    balance.totals = ["Total liabilities and equity", "", "", _d(bs["total_liabilities_and_equity"])]
    cash = Section(
        "Cash flow", ["Section", "Account", "Name", "Amount"], [["Opening cash", "", "", _d(cf["opening_cash"])]]
    )
    for kind in ("operating", "investing", "financing"):
        cash.rows += [[kind.title(), r["code"], r["name"], _d(r["amount"])] for r in cf[kind]]
        cash.rows.append([f"Net {kind}", "", "", _d(cf[f"net_{kind}"])])
    cash.rows.append(["Net change", "", "", _d(cf["net_change"])])
    cash.totals = ["Closing cash", "", "", _d(cf["closing_cash"])]
    trial = Section(
        "Trial balance",
        ["Account", "Name", "Debit", "Credit"],
        [[r["code"], r["name"], _d(r["debit"]), _d(r["credit"])] for r in tb["rows"]],
        ["Total", "", _d(tb["debit"]), _d(tb["credit"])],
    )
    return [income, balance, cash, trial]


def loans_in_arrears_sections(start, end, today) -> list[Section]:
    unpaid = unpaid_expression()
    rows = (
        LoanInstalment.objects.filter(loan__status=LoanStatus.ACTIVE, loan__days_past_due__gt=0)
        .values(
            "loan_id",
            "loan__member__membership_number",
            "loan__member__user__first_name",
            "loan__member__user__last_name",
            "loan__member__phone_number",
            "loan__product__name",
            "loan__disbursed_on",
            "loan__days_past_due",
            "loan__classification",
        )
        .annotate(
            sum_left=Sum(F("principal") - F("principal_paid")),
            sum_overdue=Sum(unpaid, filter=Q(due_date__lte=today), default=0),
        )
        .order_by("-loan__days_past_due", "loan__member__membership_number")
    )
    section = Section(
        "Loans in arrears",
        [
            "Membership number",
            "Name",
            "Phone",
            "Product",
            "Disbursed",
            "Days past due",
            "Class",
            "Outstanding principal",
            "Overdue",
        ],
    )
    total_outstanding = total_overdue = ZERO
    for r in rows:
        outstanding, overdue = sum_to_cents(r["sum_left"]), sum_to_cents(r["sum_overdue"])
        total_outstanding += outstanding
        total_overdue += overdue
        section.rows.append(
            [
                r["loan__member__membership_number"],
                f"{r['loan__member__user__first_name']} {r['loan__member__user__last_name']}".strip(),
                r["loan__member__phone_number"],
                r["loan__product__name"],
                r["loan__disbursed_on"],
                r["loan__days_past_due"],
                r["loan__classification"],
                outstanding,
                overdue,
            ]
        )
    section.totals = ["Total", f"{len(section.rows)} loans", "", "", "", "", "", total_outstanding, total_overdue]
    return [section]


def contributions_sections(start, end, today) -> list[Section]:
    periods = [period_of(start)]
    while add_months(periods[-1], 1) <= end:
        periods.append(add_months(periods[-1], 1))
    if len(periods) > MAX_CONTRIBUTION_MONTHS:
        raise ValidationError(
            {"period": [f"Contributions reports cover {MAX_CONTRIBUTION_MONTHS} months at most, not {len(periods)}."]}
        )
    return report_sections(contribution_report(periods=periods, title="Contributions"))


# (column, account codes, the side that increases the balance shown)
BALANCE_COLUMNS = [
    ("Share capital", ("3000",), 1),
    ("Deposits", ("2000",), 1),
    ("Loans owed", ("1100", "1110", "1120"), -1),
    ("Held for the member", ("2100", "2110", "2300"), 1),
]


def _signed(sign: int, amount: Decimal) -> Decimal:
    """The balance on the side that increases it; never "-0.00"."""
    return amount if sign > 0 else ZERO - amount


def member_balances_sections(start, end, today) -> list[Section]:
    """Each member's balances at the period's end, from the ledger: one grouped query."""

    balances: dict[object, dict[str, Decimal]] = {}
    for row in (
        JournalLine.objects.filter(member__isnull=False, date__lte=end)
        .values("member_id", "account__code")
        .annotate(c=Sum("credit"), d=Sum("debit"))
    ):
        balances.setdefault(row["member_id"], {})[row["account__code"]] = sum_to_cents(row["c"]) - sum_to_cents(
            row["d"]
        )
    section = Section(
        f"Member balances at {end:%d %b %Y}",
        ["Membership number", "Name", "Status", *[c[0] for c in BALANCE_COLUMNS]],
    )
    totals = [ZERO] * len(BALANCE_COLUMNS)
    members = Member.objects.filter(join_date__lte=end).select_related("user").order_by("membership_number")
    for member in members.iterator(chunk_size=2000):
        own = balances.get(member.pk, {})
        amounts = [
            _signed(sign, sum((own.get(code, ZERO) for code in codes), ZERO)) for _, codes, sign in BALANCE_COLUMNS
        ]
        totals = [t + a for t, a in zip(totals, amounts, strict=True)]
        section.rows.append(
            [member.membership_number, member.user.get_full_name(), member.get_status_display(), *amounts]
        )
    section.totals = ["Total", f"{len(section.rows)} members", "", *totals]
    return [section]


def dividends_sections(start, end, today) -> list[Section]:
    """Dividends posted for the financial years the period touches, member by member (R3's dividend report)."""

    rows = (
        MemberDividend.objects.filter(declaration__financial_year__range=(start.year, end.year))
        .select_related("member__user", "declaration")
        .order_by("declaration__financial_year", "member__membership_number")
    )
    section = Section(
        "Member dividends",
        [
            "Year",
            "Membership number",
            "Name",
            "Share capital basis",
            "Deposits basis",
            "Dividend",
            "Interest on deposits",
            "Tax withheld",
            "Net",
        ],
    )
    sums = [ZERO] * 6
    for r in rows:
        amounts = [r.share_capital_basis, r.deposits_basis, r.dividend, r.interest, r.tax, r.net]
        sums = [s + a for s, a in zip(sums, amounts, strict=True)]
        section.rows.append(
            [r.declaration.financial_year, r.member.membership_number, r.member.user.get_full_name(), *amounts]
        )
    section.totals = ["Total", f"{len(section.rows)} members", "", *sums]
    return [section]


def unreconciled_sections(start, end, today) -> list[Section]:
    bank_side = Section(
        "On the statement, not in the books", ["Bank account", "Date", "Reference", "Description", "Amount"]
    )
    book_side = Section("In the books, not on a statement", ["Bank account", "Date", "Entry", "Description", "Amount"])
    for account in BankAccount.objects.select_related("ledger_account").order_by("name"):
        report = unreconciled_report(bank_account=account, start=start, end=end)
        bank_side.rows += [[account.name, t.date, t.reference, t.description, t.amount] for t in report.statement_lines]
        book_side.rows += [
            [account.name, line.date, line.entry.source, line.description or line.entry.memo, line.debit - line.credit]
            for line in report.ledger_lines
        ]
    return [bank_side, book_side]


def sasra_returns_sections(start, end, today) -> list[Section]:
    """The SASRA returns at the period's last day (a month end for the monthly periods)."""
    return sasra_sections(sasra_returns(as_of=end))


@dataclass(frozen=True)
class ReportType:
    key: str
    label: str
    permission: str  # who may run it, receive it or read its files
    uses_period: bool  # False: the books as they stand when it runs
    build: Callable[[datetime.date, datetime.date, datetime.date], list[Section]]
    description: str = ""


REPORT_TYPES: dict[str, ReportType] = {
    t.key: t
    for t in [
        ReportType(
            "financial_statements",
            "Financial statements",
            "finance.view_journalentry",
            True,
            financial_statements_sections,
            "Income statement, balance sheet, cash flow and trial balance for the period.",
        ),
        ReportType(
            "loan_portfolio",
            "Loan portfolio",
            "loans.view_loan",
            False,
            loan_portfolio_sections,
            "Active loans by SASRA class, by product and by days past due; PAR and provisioning.",
        ),
        ReportType(
            "loans_in_arrears",
            "Loans in arrears",
            "loans.view_loan",
            False,
            loans_in_arrears_sections,
            "Every active loan past due, most overdue first, with the member's phone.",
        ),
        ReportType(
            "contributions",
            "Contributions",
            "contributions.view_monthlycontribution",
            True,
            contributions_sections,
            "Each member's contributions per month of the period, and who fell short.",
        ),
        ReportType(
            "member_balances",
            "Member balances",
            "finance.view_journalentry",
            True,
            member_balances_sections,
            "Each member's share capital, deposits, loans and money held, at the period's last day.",
        ),
        ReportType(
            "dividends",
            "Dividends",
            "dividends.view_memberdividend",
            True,
            dividends_sections,
            "Dividends and interest posted for the financial years the period touches, per member.",
        ),
        ReportType(
            "unreconciled",
            "Unreconciled bank items",
            "finance.view_banktransaction",
            True,
            unreconciled_sections,
            "Statement lines not matched to the books, and bank postings not on a statement, in the period.",
        ),
        ReportType(
            "sasra_returns",
            "SASRA returns",
            "finance.view_journalentry",
            True,
            sasra_returns_sections,
            "Capital adequacy, liquidity, deposits, risk classification and insider lending at the period's end.",
        ),
    ]
}
REPORT_TYPE_CHOICES = [(t.key, t.label) for t in REPORT_TYPES.values()]


def report_type_get(key: str) -> ReportType:
    try:
        return REPORT_TYPES[key]
    except KeyError:
        raise ValidationError(
            {"report_type": [f"{key!r} is not a report type; use one of {', '.join(REPORT_TYPES)}."]}
        ) from None


def report_types_for(user) -> list[ReportType]:
    return [t for t in REPORT_TYPES.values() if user.has_perm(t.permission)]


def report_build(
    *, report_type: ReportType, start: datetime.date, end: datetime.date, today: datetime.date, title: str = ""
) -> TabularReport:
    covers = f"{start:%d %b %Y} to {end:%d %b %Y}" if report_type.uses_period else f"as of {today:%d %b %Y}"
    sections = report_type.build(start, end, today)
    return TabularReport(title or report_type.label, covers, sections, timezone.now())
