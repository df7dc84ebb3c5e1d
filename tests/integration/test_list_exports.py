"""R7: every staff list in the admin exports CSV and XLSX — every snippet listing (Wagtail's `list_export`) and
the custom list pages (missing contributions, incomplete share capital, trial balance, loan portfolio,
unreconciled items). No cell of any of them is a formula (issue 12): text that starts with = + - @ tab or CR is
neutralised in CSV and stays text in XLSX."""

import datetime
import io
from csv import reader

import pytest
from openpyxl import load_workbook
from wagtail.snippets.models import get_snippet_models

from portal.contributions.services import share_capital_payment_record
from portal.members import roles
from portal.members.models import Member
from tests.conftest import sign_in_verified
from tests.factories import formula_like, loan_disbursed

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(make_user):
    return make_user("root@sacco.example", role=roles.ADMINISTRATORS, is_superuser=True)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def books(borrower, products, staff_user, member):
    """Rows in most lists: payments, a loan with its schedule, a repayment, journal lines, a statement pack."""
    from portal.loans.services import loan_repay
    from portal.reports.services import financial_statement_prepare

    share_capital_payment_record(member=member, amount="4000", reference="sc-b", date=datetime.date(2026, 1, 5))
    share_capital_payment_record(member=member, amount="100", reference="=1+1", date=datetime.date(2026, 1, 6))
    member.user.first_name, member.user.last_name = '=HYPERLINK("http://evil.example")', "@SUM(A1)"
    member.user.save()
    Member.objects.filter(pk=member.pk).update(phone_number="+cmd|' /C calc'!A0", employer="-2+3")
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    loan_repay(loan=loan, amount="5000", reference="R-1", date=datetime.date(2026, 2, 10))
    preparer = staff_user(roles.ADMINISTRATORS)
    financial_statement_prepare(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31), by=preparer)
    return loan


@pytest.mark.parametrize("model", get_snippet_models(), ids=lambda m: m._meta.label)
def test_every_snippet_list_exports_csv_and_xlsx(client, superuser, books, model):
    from django.urls import reverse

    viewset = model.snippet_viewset
    assert isinstance(viewset.list_export, (list, tuple)), f"{model._meta.label} has no list_export"
    sign_in_verified(client, superuser)
    url = reverse(viewset.get_url_name("list"))
    csv = client.get(url + "?export=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    rows = list(reader(io.StringIO(_body(csv).decode("utf-8-sig"))))
    assert len(rows[0]) == len(viewset.list_export)
    if model._default_manager.exists():
        assert len(rows) > 1, f"{model._meta.label} has rows but exported none"
    assert formula_like([cell for row in rows for cell in row]) == []
    xlsx = client.get(url + "?export=xlsx")
    sheet = load_workbook(io.BytesIO(_body(xlsx))).active
    assert xlsx.status_code == 200 and sheet.max_column == len(viewset.list_export) and sheet.max_row == len(rows)
    assert [c.value for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []


def test_custom_list_pages_export(client, superuser, member):
    share_capital_payment_record(member=member, amount="4000", reference="sc-x", date=datetime.date(2026, 1, 5))
    sign_in_verified(client, superuser)
    missing = client.get("/admin/savings/missing/?period=2026-01&export=csv")
    assert missing.status_code == 200
    lines = missing.content.decode().splitlines()
    assert lines[0] == "Missing contributions,2026-01" and any(member.membership_number in line for line in lines)
    incomplete = client.get("/admin/savings/incomplete/?export=xlsx")
    sheet = load_workbook(io.BytesIO(incomplete.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(r[0] == member.membership_number and r[2] == 4000 for r in rows)
    trial = client.get("/admin/ledger/trial-balance/?export=csv").content.decode().splitlines()
    assert trial[-1].startswith("Total,,,4000.00,4000.00")
    portfolio = client.get("/admin/loans/portfolio/?export=xlsx")
    assert load_workbook(io.BytesIO(portfolio.content)).sheetnames == [
        "Summary",
        "By SASRA class",
        "By product",
        "Aging",
    ]
    unreconciled = client.get("/admin/ledger/bank-statements/unreconciled/?start=2026-01-01&end=2026-01-31&export=csv")
    text = unreconciled.content.decode()
    assert "In the books, not on a statement" in text and "4000.00" in text
    for text in (missing.content.decode(), "\n".join(trial), unreconciled.content.decode()):
        assert formula_like([cell for row in reader(io.StringIO(text)) for cell in row]) == []
    page = client.get("/admin/savings/missing/?period=2026-01").content.decode()
    assert "export=csv" in page and "export=xlsx" in page
