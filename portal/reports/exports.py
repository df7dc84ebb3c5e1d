"""Financial statements as CSV, XLSX and PDF, from the dict `financial.financial_statements` returns (live or
frozen in a snapshot). Amounts stay Decimal text (CSV, PDF) or Decimal numbers (XLSX); nothing passes through float.
Account names are typed by staff: text that a spreadsheet would run as a formula is neutralised (society/csv_safe)."""

import csv
import datetime
import io
from decimal import Decimal

from django.http import HttpResponse
from django.template.loader import render_to_string

from portal.society.csv_safe import neutralise_csv_cell, xlsx_text_cell
from portal.society.policy import sacco_settings

FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def statement_rows(data: dict):
    """(statement, section, code, name, amount or debit/credit) rows, the order of the printed pack."""
    tb = data["trial_balance"]
    yield ("Trial balance", "", "", "", "Debit", "Credit")
    for row in tb["rows"]:
        yield ("Trial balance", "", row["code"], row["name"], row["debit"], row["credit"])
    yield ("Trial balance", "Total", "", "", tb["debit"], tb["credit"])
    inc = data["income_statement"]
    for section, key in (("Income", "income"), ("Expenses", "expenses")):
        for row in inc[key]:
            yield ("Income statement", section, row["code"], row["name"], row["amount"], "")
    yield ("Income statement", "Total income", "", "", inc["total_income"], "")
    yield ("Income statement", "Total expenses", "", "", inc["total_expenses"], "")
    yield ("Income statement", "Surplus", "", "", inc["surplus"], "")
    bs = data["balance_sheet"]
    for section, key in (("Assets", "assets"), ("Liabilities", "liabilities"), ("Equity", "equity")):
        for row in bs[key]:
            yield ("Balance sheet", section, row["code"], row["name"], row["amount"], "")
        yield ("Balance sheet", f"Total {key}", "", "", bs[f"total_{key}"], "")
    if bs.get("surplus_open", True):  # packs frozen before issue 18 have no flag: they always showed it
        yield ("Balance sheet", "Surplus not yet closed", "", "", bs["surplus"], "")
    yield ("Balance sheet", "Total liabilities and equity", "", "", bs["total_liabilities_and_equity"], "")
    cf = data["cash_flow"]
    yield ("Cash flow", "Opening cash", "", "", cf["opening_cash"], "")
    for kind in ("operating", "investing", "financing"):
        for row in cf[kind]:
            yield ("Cash flow", kind.title(), row["code"], row["name"], row["amount"], "")
        yield ("Cash flow", f"Net {kind}", "", "", cf[f"net_{kind}"], "")
    yield ("Cash flow", "Net change", "", "", cf["net_change"], "")
    yield ("Cash flow", "Closing cash", "", "", cf["closing_cash"], "")


HEADER = ["Statement", "Section", "Account", "Name", "Amount / debit", "Credit"]


def statements_csv(data: dict, title: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise_csv_cell(title), f"{data['period_start']} to {data['period_end']}"])
    writer.writerow(HEADER)
    for row in statement_rows(data):
        # Amounts (the last two columns) are Decimal text and may be negative: only the text columns are neutralised.
        writer.writerow([neutralise_csv_cell(v) for v in row[:4]] + list(row[4:]))
    return buffer.getvalue().encode("utf-8")


def statements_xlsx(data: dict, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Statements"
    sheet.append([title, f"{data['period_start']} to {data['period_end']}"])
    sheet.append(HEADER)
    for row in statement_rows(data):
        cells = list(row)
        for i in (4, 5):
            if cells[i] not in ("", "Debit", "Credit"):
                cells[i] = Decimal(cells[i])
        sheet.append(cells)
    for cells in sheet.iter_rows(min_row=3, min_col=5, max_col=6):
        for cell in cells:
            cell.number_format = "#,##0.00"
    for cells in sheet.iter_rows():
        for cell in cells:
            xlsx_text_cell(cell)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def statements_pdf(data: dict, title: str) -> bytes:
    from xhtml2pdf import pisa

    html = render_to_string(
        "reports/financial_statements_pdf.html",
        {"data": data, "title": title, "sacco": sacco_settings(), "generated": datetime.datetime.now()},
    )
    output = io.BytesIO()
    if pisa.CreatePDF(html, dest=output, encoding="utf-8").err:
        raise RuntimeError("The statements PDF could not be rendered.")
    return output.getvalue()


RENDERERS = {"csv": statements_csv, "xlsx": statements_xlsx, "pdf": statements_pdf}


def statements_response(*, data: dict, title: str, output: str) -> HttpResponse:
    response = HttpResponse(RENDERERS[output](data, title), content_type=CONTENT_TYPES[output])
    name = f"financial-statements-{data['period_start']}-to-{data['period_end']}.{output}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
