"""Contribution reports (C7): a month or a quarter, as CSV, XLSX or PDF. Amounts are written as Decimal text
(CSV, PDF) or as numbers with two decimals (XLSX); nothing passes through float on the way."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse

from portal.society.tabular import Section, TabularReport, tabular_response

from .periods import InvalidPeriod, format_period, parse_period, quarter_periods
from .selectors import ContributionReport

REPORT_FORMATS = ("csv", "xlsx", "pdf")


def report_periods(*, kind: str, period: str | None = None, year=None, quarter=None) -> tuple[list, str]:
    """The months a report covers and its title. Bad input raises ValidationError naming the field."""
    if kind == "quarterly":
        try:
            year_number = int(year)
        except (TypeError, ValueError):
            raise ValidationError({"year": [f"{year!r} is not a year."]}) from None
        try:
            quarter_number = int(quarter)
            months = quarter_periods(year_number, quarter_number)
        except (TypeError, ValueError, InvalidPeriod):
            raise ValidationError({"quarter": [f"{quarter!r} is not a quarter; use 1, 2, 3 or 4."]}) from None
        return months, f"Contributions, Q{quarter_number} {year_number}"
    if kind != "monthly":
        raise ValidationError({"kind": [f"{kind!r} is not a report kind; use monthly or quarterly."]})
    try:
        month = parse_period(period or "")
    except InvalidPeriod as exc:
        raise ValidationError({"period": [str(exc)]}) from exc
    return [month], f"Contributions, {month:%B %Y}"


def report_sections(report: ContributionReport) -> list:
    """The report as tables (the shared renderer in portal/society/tabular.py writes the files): a summary, then
    each member's amount per month with the totals."""
    periods = report.periods
    return [
        Section(
            "Summary",
            ["Measure", "Value"],
            [
                ["Contributions received", report.grand_total],
                ["Share capital received", report.share_capital_total],
                ["Members short in at least one month", report.members_missing],
            ],
        ),
        Section(
            "Contributions per member",
            [
                "Membership number",
                "Name",
                *[format_period(p) for p in periods],
                "Total",
                "Due per month",
                "Months short",
            ],
            [
                [r.membership_number, r.name, *[r.periods[p] for p in periods], r.total, r.due, r.missing_periods]
                for r in report.rows
            ],
            ["Total", "", *[report.totals[p] for p in periods], report.grand_total, "", report.members_missing],
        ),
    ]


def _filename(report: ContributionReport) -> str:
    first, last = format_period(report.periods[0]), format_period(report.periods[-1])
    span = first if first == last else f"{first}_to_{last}"
    return f"contributions-{span}"


def report_response(*, report: ContributionReport, output: str) -> HttpResponse:
    from django.utils import timezone

    first, last = report.periods[0], report.periods[-1]
    covers = f"{first:%B %Y}" if first == last else f"{first:%B %Y} to {last:%B %Y}"
    tabular = TabularReport(report.title, covers, report_sections(report), timezone.now())
    return tabular_response(tabular, output=output, filename=_filename(report))
