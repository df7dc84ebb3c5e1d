"""A report as plain tables, and its CSV, XLSX and PDF files.

Every report type in the catalogue (saved and scheduled reports, R6) builds a `TabularReport`: a title, what
it covers, and sections of rows. The renderers here turn any of them into a file, so a new report type needs no
file code. Amounts stay `Decimal` — text in CSV and PDF, numbers with two decimals in XLSX; never float. Text a
spreadsheet would read as a formula is neutralised in CSV and kept as text in XLSX (society/csv_safe.py).
"""

import csv
import datetime
import functools
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from portal.society.csv_safe import csv_text, xlsx_clean_text, xlsx_text_cell

from .policy import sacco_settings
from .replica import reads_from_replica

FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass
class Section:
    """One table: a heading, column names, rows of cells (str, int, Decimal, date) and an optional totals row."""

    heading: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    totals: list | None = None

    def numeric_columns(self) -> set[int]:
        """Columns whose cells are numbers, right-aligned in the PDF."""
        sample = self.rows + ([self.totals] if self.totals else [])
        return {
            i
            for i in range(len(self.columns))
            if any(isinstance(row[i], (Decimal, int)) and not isinstance(row[i], bool) for row in sample)
        }


@dataclass
class TabularReport:
    title: str
    covers: str  # "1 Jan 2026 to 31 Oct 2026", "as of 28 Nov 2026"
    sections: list[Section]
    generated_at: datetime.datetime

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)


def _text(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return "" if value is None else str(value)


def render_csv(report: TabularReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_text(report.title), csv_text(report.covers)])
    for section in report.sections:
        writer.writerow([])
        writer.writerow([csv_text(section.heading)])
        writer.writerow([csv_text(c) for c in section.columns])
        for row in section.rows:
            writer.writerow([csv_text(v) for v in row])
        if section.totals:
            writer.writerow([csv_text(v) for v in section.totals])
    return buffer.getvalue().encode("utf-8")


def _sheet_title(heading: str, used: set) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", " ", heading).strip()[:28] or "Sheet"
    title, n = base, 2
    while title.lower() in used:
        title, n = f"{base} {n}", n + 1
    used.add(title.lower())
    return title


def render_xlsx(report: TabularReport) -> bytes:
    """Streamed (openpyxl's write-only mode): a 10,000-row list in about a second, where styling cells after
    appending them grew with the square of the rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    bold = Font(bold=True)
    workbook = Workbook(write_only=True)
    used: set = set()

    def cell(sheet, value, *, strong=False):
        if not isinstance(value, (str, int, Decimal, datetime.date, type(None))):
            value = str(value)  # lazy translations (Wagtail's action labels) and the like
        written = xlsx_text_cell(WriteOnlyCell(sheet, value=xlsx_clean_text(value)))
        if isinstance(value, Decimal):
            written.number_format = "#,##0.00"
        if strong:
            written.font = bold
        return written

    for section in report.sections or [Section("Report", [])]:
        sheet = workbook.create_sheet(_sheet_title(section.heading, used))
        sheet.append([cell(sheet, report.title), cell(sheet, report.covers)])
        sheet.append([cell(sheet, section.heading)])
        sheet.append([cell(sheet, name, strong=True) for name in section.columns])
        for row in section.rows:
            sheet.append([cell(sheet, value) for value in row])
        if section.totals:
            sheet.append([cell(sheet, value, strong=True) for value in section.totals])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_pdf(report: TabularReport) -> bytes:
    """A4 landscape through ReportLab's tables: a 2,000-row list takes about a second (HTML-to-PDF took 20)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=7.5, leading=9)
    story = [
        Paragraph(escape(sacco_settings().name), styles["Title"]),
        Paragraph(f"<b>{escape(report.title)}</b>, {escape(report.covers)}", styles["Normal"]),
    ]
    for section in report.sections:
        story += [Spacer(1, 0.4 * cm), Paragraph(escape(section.heading), styles["Heading2"])]
        body = section.rows + ([section.totals] if section.totals else [])
        if not body:
            story.append(Paragraph("Nothing to show.", styles["Normal"]))
            continue
        numeric = section.numeric_columns()
        # Plain strings (cut at 60 characters) keep a long list fast; only the header wraps.
        data = [[Paragraph(f"<b>{escape(c)}</b>", cell) for c in section.columns]]
        data += [[_short(f"{v:,.2f}" if isinstance(v, Decimal) else _text(v)) for v in row] for row in body]
        table = LongTable(data, repeatRows=1)
        commands = [
            ("FONTSIZE", (0, 0), (-1, -1), 7.5),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            *[("ALIGN", (i, 1), (i, -1), "RIGHT") for i in numeric],
        ]
        if section.totals:
            commands += [
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
            ]
        table.setStyle(TableStyle(commands))
        story.append(table)
    story += [Spacer(1, 0.4 * cm), Paragraph(f"Generated {report.generated_at:%d %b %Y %H:%M}.", styles["Normal"])]
    output = io.BytesIO()
    margin = 1.2 * cm
    document = SimpleDocTemplate(
        output,
        pagesize=landscape(A4),
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=report.title,
    )
    document.build(story)
    return output.getvalue()


RENDERERS = {"csv": render_csv, "xlsx": render_xlsx, "pdf": render_pdf}


def render(report: TabularReport, output: str) -> bytes:
    return RENDERERS[output](report)


LIST_EXPORTS = ("csv", "xlsx")


def export_requested(request) -> str | None:
    """`?export=csv|xlsx` on an admin list page (R7)."""
    output = request.GET.get("export")
    return output if output in LIST_EXPORTS else None


def tabular_response(report: TabularReport, *, output: str, filename: str):
    """A download of any tabular report; `filename` without its extension. Rows still to be read (querysets,
    generators) are read from the replica if there is one (issue 17)."""
    from django.http import HttpResponse

    with reads_from_replica():
        content = render(report, output)
    response = HttpResponse(content, content_type=CONTENT_TYPES[output])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{output}"'
    return response


def downloads_from_replica(*, param: str = "export", formats=LIST_EXPORTS):
    """Decorate a list or report page: its download (a GET with `?export=csv|xlsx`, or the page's own parameter)
    is read from the replica if there is one (issue 17); the page itself and every POST are not. The permissions
    are read first, on the primary (Django caches them on the user)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != "GET" or request.GET.get(param) not in formats:
                return view(request, *args, **kwargs)
            request.user.get_all_permissions()
            with reads_from_replica():
                return view(request, *args, **kwargs)

        return wrapper

    return decorate


def list_export(*, request, title: str, covers: str, sections: list[Section], filename: str):
    """The response for `?export=` on a list page, or None to show the page."""
    from django.utils import timezone

    output = export_requested(request)
    if output is None:
        return None
    return tabular_response(TabularReport(title, covers, sections, timezone.now()), output=output, filename=filename)
