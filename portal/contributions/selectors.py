"""Reads for savings: a member's balances and progress, histories, the missing and incomplete lists, reports.

Balances come from the ledger (one indexed aggregate per member); lists over all members read the summary
cache, which the posting services keep equal to the ledger (checked by `ledger_check`)."""

import datetime
import functools
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.finance.ledger.models import JournalLine
from portal.members.models import Member, MemberStatus
from portal.society.money import sum_to_cents
from portal.society.money_fields import MoneyField
from portal.society.policy import sacco_settings

from .models import (
    CheckoffRun,
    CheckoffRunStatus,
    MemberContributionSchedule,
    MemberShareSummary,
    MonthlyContribution,
    ShareCapitalPayment,
)
from .periods import add_months, format_period, period_end, period_of
from .rules import ShareCapitalProgress, contribution_due, share_capital_progress, share_capital_target
from .services import DEPOSITS_ACCOUNT, SHARE_CAPITAL_ACCOUNT

ZERO = Decimal("0.00")
MONEY_FIELD = MoneyField()


@dataclass(frozen=True)
class MemberBalances:
    share_capital: Decimal
    deposits: Decimal
    share_capital_progress: ShareCapitalProgress
    monthly_due: Decimal
    pool_percent: Decimal  # the member's share of all share capital, %


def savings_rows(*, member: Member) -> list[dict]:
    """The member's share capital and deposits movements summed per account and day (one query): what both
    member_balances and savings_series read, so a page showing both reads the ledger once (issue 17). By the line's
    own date (the entry's, copied when posted): no join to the journal entries."""
    lines = JournalLine.objects.filter(member=member, account__code__in=[SHARE_CAPITAL_ACCOUNT, DEPOSITS_ACCOUNT])
    return list(lines.values("account__code", "date").annotate(d=Sum("debit"), c=Sum("credit")))


def balances_annotations(*, pool: bool = True) -> dict:
    """The member's schedule (and the society's pool) as expressions on a Member query: member_balances reads them in
    one query, or from the member when the page read the member with them (issue 17). NULL without a schedule.
    Built once per process (they name no member: OuterRef): a fresh dict each call, the expressions shared — Django
    copies an expression when a query resolves it, so a query never changes them."""
    return dict(_balances_annotations(pool))


@functools.cache
def _balances_annotations(pool: bool) -> tuple:
    schedule = MemberContributionSchedule.objects.filter(member=OuterRef("pk"))
    figures = {
        "balances_term": Subquery(schedule.values("share_capital_term_months")[:1]),
        "balances_monthly": Subquery(schedule.values("monthly_amount")[:1], output_field=MONEY_FIELD),
    }
    if pool:
        everyone = MemberShareSummary.objects.order_by().annotate(all=Value(1)).values("all")
        figures["balances_pool"] = Subquery(
            everyone.annotate(total=Sum("share_capital")).values("total"), output_field=MONEY_FIELD
        )
    return tuple(figures.items())


_BALANCES_NAMES = {
    True: ("balances_term", "balances_monthly", "balances_pool"),
    False: ("balances_term", "balances_monthly"),
}


def savings_totals(rows: list[dict]) -> dict[str, Decimal]:
    """Net balance per account code (credits less debits, in cents) from savings_rows: what member_balances reads.
    The dashboard keeps these few figures in its cache instead of the rows (issue 17: no per-row rounding a page)."""
    totals: dict[str, Decimal] = {}
    for row in rows:
        net = sum_to_cents(row["c"]) - sum_to_cents(row["d"])
        totals[row["account__code"]] = totals.get(row["account__code"], ZERO) + net
    return totals


def member_balances(
    *, member: Member, pool: bool = True, rows: list[dict] | None = None, totals: dict[str, Decimal] | None = None
) -> MemberBalances:
    """Share capital and deposits from the ledger, and progress against the share capital target. Two queries:
    the ledger, then the schedule with the society's pool. pool=False leaves the pool share at zero (eligibility
    reads none); `rows` (savings_rows, already read for the chart) saves the ledger query, and so do `totals`
    (savings_totals of those rows)."""
    if totals is None and rows is not None:
        totals = savings_totals(rows)
    elif totals is None:
        totals = {
            row["account__code"]: sum_to_cents(row["credit"]) - sum_to_cents(row["debit"])
            for row in JournalLine.objects.filter(
                member=member, account__code__in=[SHARE_CAPITAL_ACCOUNT, DEPOSITS_ACCOUNT]
            )
            .values("account__code")
            .annotate(debit=Sum("debit"), credit=Sum("credit"))
        }
    share_capital = totals.get(SHARE_CAPITAL_ACCOUNT, ZERO)
    names = _BALANCES_NAMES[bool(pool)]
    if all(hasattr(member, name) for name in names):
        # Read with the member already, in the query the page made for it (the portal's MemberAreaMixin).
        row = {name.removeprefix("balances_"): getattr(member, name) for name in names}
    else:
        figures = balances_annotations(pool=pool)
        row = {
            name.removeprefix("balances_"): value
            for name, value in (Member.objects.filter(pk=member.pk).values(**figures).first() or {}).items()
        }
    sacco = sacco_settings()
    term = row.get("term") or sacco.default_share_capital_term_months
    progress = share_capital_progress(
        paid=share_capital,
        term_months=term,
        target=share_capital_target(share_value=sacco.share_value, minimum_shares=sacco.minimum_shares),
    )
    pool = sum_to_cents(row.get("pool"))
    pool_percent = (share_capital / pool * 100).quantize(Decimal("0.01")) if pool > 0 else ZERO
    return MemberBalances(
        share_capital=share_capital,
        deposits=totals.get(DEPOSITS_ACCOUNT, ZERO),
        share_capital_progress=progress,
        monthly_due=contribution_due(row.get("monthly"), minimum=sacco.minimum_monthly_contribution),
        pool_percent=pool_percent,
    )


def savings_series(
    *, member: Member, months: int = 24, today: datetime.date | None = None, rows: list[dict] | None = None
) -> list[dict]:
    """Month-end share capital and deposits over the last `months` months, for the dashboard chart. One query:
    the balance before the window plus the movements per month inside it (none with `rows`: savings_rows)."""
    today = today or datetime.date.today()
    last = period_of(today)
    first = add_months(last, -(months - 1))
    opening = {SHARE_CAPITAL_ACCOUNT: ZERO, DEPOSITS_ACCOUNT: ZERO}
    moves: dict[tuple, Decimal] = {}
    for row in savings_rows(member=member) if rows is None else rows:
        net = sum_to_cents(row["c"]) - sum_to_cents(row["d"])
        month = period_of(row["date"])
        if month < first:
            opening[row["account__code"]] += net
        else:
            key = (row["account__code"], month)
            moves[key] = moves.get(key, ZERO) + net
    series = []
    running = dict(opening)
    for i in range(months):
        month = add_months(first, i)
        for code in running:
            running[code] += moves.get((code, month), ZERO)
        series.append(
            {"period": month, "share_capital": running[SHARE_CAPITAL_ACCOUNT], "deposits": running[DEPOSITS_ACCOUNT]}
        )
    return series


SAVINGS_READ_PERMISSION = "contributions.view_monthlycontribution"  # staff who read savings: both kinds


def _savings_visible_to(model, user):
    if user is None or not user.is_authenticated:
        return model.objects.none()
    if user.has_perm(SAVINGS_READ_PERMISSION):
        return model.objects.all()
    member = getattr(user, "member", None)
    if member is None:
        return model.objects.none()
    return model.objects.filter(member=member)


def contributions_visible_to(*, user):
    """Every monthly contribution for staff who read savings; the member's own otherwise; none for anyone else."""
    return _savings_visible_to(MonthlyContribution, user)


def share_capital_payments_visible_to(*, user):
    """Every share capital payment for staff who read savings (the same permission as contributions); the member's
    own otherwise; none for anyone else."""
    return _savings_visible_to(ShareCapitalPayment, user)


def member_contributions(*, member: Member, year: int | None = None):
    qs = MonthlyContribution.objects.filter(member=member).select_related("entry__reversed_by", "bank_account")
    if year:
        qs = qs.filter(period__year=year)
    return qs.order_by("-period", "-date", "-recorded_at")


def member_share_capital_payments(*, member: Member, year: int | None = None):
    qs = ShareCapitalPayment.objects.filter(member=member).select_related("entry__reversed_by", "bank_account")
    if year:
        qs = qs.filter(date__year=year)
    return qs.order_by("-date", "-recorded_at")


def contribution_years(*, member: Member) -> list[int]:
    return sorted(
        {d.year for d in MonthlyContribution.objects.filter(member=member).dates("period", "year")}, reverse=True
    )


def _due_expression(minimum: Decimal):
    return Coalesce(
        Subquery(
            MemberContributionSchedule.objects.filter(member=OuterRef("pk"), monthly_amount__gt=minimum).values(
                "monthly_amount"
            )[:1]
        ),
        Value(minimum),
        output_field=MONEY_FIELD,
    )


def missing_contributions(*, period: datetime.date):
    """Active members who had joined by the end of the period and whose (unreversed) contributions for it sum
    below what they owe. Annotated with `paid` and `due`."""
    minimum = sacco_settings().minimum_monthly_contribution
    paid = (
        MonthlyContribution.objects.filter(member=OuterRef("pk"), period=period, entry__reversed_by__isnull=True)
        .values("member")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Member.objects.filter(status=MemberStatus.ACTIVE, join_date__lte=period_end(period))
        .annotate(
            paid=Coalesce(Subquery(paid), Value(ZERO), output_field=MONEY_FIELD),
            due=_due_expression(minimum),
        )
        .filter(paid__lt=F("due"))
        .select_related("user")
        .order_by("membership_number")
    )


def incomplete_share_capital():
    """Members (not exited) whose share capital is below the target, with `paid` annotated; lowest first."""
    target = share_capital_target()
    return (
        Member.objects.exclude(status=MemberStatus.EXITED)
        .annotate(paid=Coalesce(F("share_summary__share_capital"), Value(ZERO), output_field=MONEY_FIELD))
        .filter(paid__lt=target)
        .select_related("user", "contribution_schedule")
        .order_by("paid", "membership_number")
    )


def share_capital_pool() -> Decimal:
    return sum_to_cents(MemberShareSummary.objects.aggregate(total=Sum("share_capital"))["total"])


@dataclass(frozen=True)
class ReportRow:
    membership_number: str
    name: str
    periods: dict  # period -> amount paid
    total: Decimal
    due: Decimal
    missing_periods: int

    @property
    def amounts(self) -> list[Decimal]:
        return list(self.periods.values())


@dataclass(frozen=True)
class ContributionReport:
    title: str
    periods: list[datetime.date]
    rows: list[ReportRow]
    totals: dict  # period -> total
    grand_total: Decimal
    share_capital_total: Decimal  # share capital received in the same months
    members_missing: int

    @property
    def period_labels(self) -> list[str]:
        return [format_period(p) for p in self.periods]

    @property
    def period_totals(self) -> list[Decimal]:
        return [self.totals[p] for p in self.periods]


def contribution_report(*, periods: list[datetime.date], title: str) -> ContributionReport:
    """Contributions per member and period for one month or a quarter (C7), with who fell short."""
    minimum = sacco_settings().minimum_monthly_contribution
    last_end = period_end(periods[-1])
    members = list(
        Member.objects.filter(join_date__lte=last_end)
        .exclude(status=MemberStatus.EXITED)
        .annotate(due=_due_expression(minimum))
        .select_related("user")
        .order_by("membership_number")
    )
    paid: dict[tuple, Decimal] = {}
    for row in (
        MonthlyContribution.objects.filter(period__in=periods, entry__reversed_by__isnull=True)
        .values("member_id", "period")
        .annotate(total=Sum("amount"))
    ):
        paid[(row["member_id"], row["period"])] = sum_to_cents(row["total"])
    rows = []
    totals = {p: ZERO for p in periods}
    members_missing = 0
    for member in members:
        amounts = {p: paid.get((member.pk, p), ZERO) for p in periods}
        due = sum_to_cents(member.due)
        eligible = [p for p in periods if member.join_date <= period_end(p)]
        missing = sum(1 for p in eligible if amounts[p] < due) if member.status == MemberStatus.ACTIVE else 0
        members_missing += 1 if missing else 0
        for p in periods:
            totals[p] += amounts[p]
        rows.append(
            ReportRow(
                member.membership_number,
                member.user.get_full_name() or member.user.email,
                amounts,
                sum(amounts.values(), ZERO),
                due,
                missing,
            )
        )
    share_capital_total = sum_to_cents(
        ShareCapitalPayment.objects.filter(
            date__gte=periods[0], date__lte=last_end, entry__reversed_by__isnull=True
        ).aggregate(total=Sum("amount"))["total"]
    )
    return ContributionReport(
        title, periods, rows, totals, sum(totals.values(), ZERO), share_capital_total, members_missing
    )


def checkoff_runs_recent(*, days: int = 7, limit: int = 10) -> list[CheckoffRun]:
    """Files posting in the background, and those that ended in the last `days`: the check-off desk's way back to
    a run's progress page (the file itself is not read)."""
    since = timezone.now() - datetime.timedelta(days=days)
    unfinished = [CheckoffRunStatus.QUEUED, CheckoffRunStatus.RUNNING]
    runs = CheckoffRun.objects.defer("content", "row_errors").select_related("created_by")
    return list(runs.filter(status__in=unfinished)[:limit]) + list(
        runs.exclude(status__in=unfinished).filter(created_at__gte=since)[:limit]
    )
