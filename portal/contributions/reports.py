"""Contribution reports (C7): a month or a quarter, as CSV, XLSX or PDF. Amounts are written as Decimal text
(CSV, PDF) or as numbers with two decimals (XLSX); nothing passes through float on the way."""

import csv
import datetime
import io

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template.loader import render_to_string

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


def _header(report: ContributionReport) -> list[str]:
    return [
        "Membership number",
        "Name",
        *[format_period(p) for p in report.periods],
        "Total",
        "Due per month",
        "Months short",
    ]


def _rows(report: ContributionReport):
    for row in report.rows:
        yield [
            row.membership_number,
            row.name,
            *[row.periods[p] for p in report.periods],
            row.total,
            row.due,
            row.missing_periods,
        ]


def _filename(report: ContributionReport, ext: str) -> str:
    first, last = format_period(report.periods[0]), format_period(report.periods[-1])
    span = first if first == last else f"{first}_to_{last}"
    return f"contributions-{span}.{ext}"


def report_csv(report: ContributionReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header(report))
    for row in _rows(report):
        writer.writerow([f"{v:.2f}" if hasattr(v, "quantize") else v for v in row])
    writer.writerow(
        ["", "Total", *[f"{report.totals[p]:.2f}" for p in report.periods], f"{report.grand_total:.2f}", "", ""]
    )
    return buffer.getvalue().encode("utf-8")


def report_xlsx(report: ContributionReport) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Contributions"
    sheet.append([report.title])
    sheet.append(_header(report))
    money_columns = range(3, 3 + len(report.periods) + 2)
    for row in _rows(report):
        sheet.append(list(row))
    sheet.append(["", "Total", *[report.totals[p] for p in report.periods], report.grand_total])
    for cells in sheet.iter_rows(min_row=3):
        for cell in cells:
            if cell.column in money_columns:
                cell.number_format = "#,##0.00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_pdf(report: ContributionReport) -> bytes:
    from xhtml2pdf import pisa

    from portal.home.models import SaccoSettings

    html = render_to_string(
        "contributions/report_pdf.html",
        {"report": report, "sacco": SaccoSettings.load(), "generated": datetime.datetime.now()},
    )
    output = io.BytesIO()
    result = pisa.CreatePDF(html, dest=output, encoding="utf-8")
    if result.err:
        raise RuntimeError("The PDF could not be rendered.")
    return output.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
RENDERERS = {"csv": report_csv, "xlsx": report_xlsx, "pdf": report_pdf}


def report_response(*, report: ContributionReport, output: str) -> HttpResponse:
    response = HttpResponse(RENDERERS[output](report), content_type=CONTENT_TYPES[output])
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, output)}"'
    return response
