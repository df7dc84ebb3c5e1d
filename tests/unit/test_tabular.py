"""The report files every report type shares (R6/R7): CSV keeps Decimal text, XLSX numbers with two decimals and
one sheet per table, PDF escapes what people type and stays fast for long lists."""

import csv
import datetime
import io
from decimal import Decimal
from unittest import mock

from openpyxl import load_workbook
from pypdf import PdfReader

from portal.society.tabular import Section, TabularReport, render

D = Decimal


def _report(rows=None):
    rows = rows or [["MB-1", "Akinyi <Otieno> & Sons", D("1234.5"), 3, datetime.date(2026, 1, 31)]]
    return TabularReport(
        "Member balances",
        "as of 31 Jan 2026",
        [
            Section(
                "Balances: all [members]",
                ["Number", "Name", "Deposits", "Months", "Date"],
                rows,
                ["Total", "", D("1234.50"), 3, ""],
            ),
            Section("Balances: all [members]", ["Nothing"]),
        ],
        datetime.datetime(2026, 2, 1, 6, 0),
    )


def test_csv_keeps_decimal_text():
    lines = list(csv.reader(io.StringIO(render(_report(), "csv").decode())))
    assert lines[0] == ["Member balances", "as of 31 Jan 2026"]
    assert ["MB-1", "Akinyi <Otieno> & Sons", "1234.50", "3", "2026-01-31"] in lines
    assert ["Total", "", "1234.50", "3", ""] in lines


def test_xlsx_has_a_sheet_per_table_with_legal_unique_names_and_money_format():
    book = load_workbook(io.BytesIO(render(_report(), "xlsx")))
    assert book.sheetnames == ["Balances  all  members", "Balances  all  members 2"]
    sheet = book.worksheets[0]
    assert sheet["C4"].value == 1234.5 and sheet["C4"].number_format == "#,##0.00"


def test_pdf_escapes_text_and_formats_money():
    with mock.patch("portal.society.models.SaccoSettings.load") as load:
        load.return_value.name = "Umoja SACCO"
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render(_report(), "pdf"))).pages)
    assert "Umoja SACCO" in text and "Akinyi <Otieno> & Sons" in text and "1,234.50" in text
    assert "Nothing to show." in text
