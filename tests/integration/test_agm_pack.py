"""The AGM pack (issue 18): one PDF of the year's approved parts; not ready until the statements are approved."""

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from rest_framework.test import APIClient

from portal.finance.ledger.services import Line, ledger_post
from portal.members import roles
from portal.reports.agm_pack import AgmPackNotReady, agm_pack_parts, agm_pack_pdf
from portal.reports.services import financial_statement_approve, financial_statement_prepare
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
D = Decimal
YEAR = 2025


def _post(key, date, *lines):
    ledger_post(memo=key, lines=list(lines), idempotency_key=key, date=date, source="test")


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def year_of_books(member):
    _post(
        "sc",
        datetime.date(YEAR, 1, 5),
        Line("1010", debit=D("10000")),
        Line("3000", credit=D("10000"), member_id=member.pk),
    )
    _post(
        "dep",
        datetime.date(YEAR, 2, 10),
        Line("1010", debit=D("50000")),
        Line("2000", credit=D("50000"), member_id=member.pk),
    )
    _post("fee", datetime.date(YEAR, 3, 1), Line("1010", debit=D("1500")), Line("4100", credit=D("1500")))
    _post("exp", datetime.date(YEAR, 6, 15), Line("5000", debit=D("400")), Line("1010", credit=D("400")))


@pytest.fixture
def approved_statements(year_of_books, staff_user, deciders):
    statement = financial_statement_prepare(
        start=datetime.date(YEAR, 1, 1), end=datetime.date(YEAR, 12, 31), by=staff_user(roles.TREASURER)
    )
    financial_statement_approve(statement=statement, user=deciders["joseph"])
    financial_statement_approve(statement=statement, user=deciders["mercy"])
    return statement


def test_not_ready_until_the_statements_are_approved(year_of_books, staff_user):
    with pytest.raises(AgmPackNotReady) as refused:
        agm_pack_parts(year=YEAR)
    assert "financial statements for 2025" in str(refused.value)
    financial_statement_prepare(
        start=datetime.date(YEAR, 1, 1), end=datetime.date(YEAR, 12, 31), by=staff_user(roles.TREASURER)
    )
    with pytest.raises(AgmPackNotReady):  # prepared is not approved
        agm_pack_parts(year=YEAR)


def test_the_pack_prints_the_approved_statements(approved_statements):
    text = _text(agm_pack_pdf(year=YEAR))
    assert "financial year 2025" in text
    assert "Income statement" in text and "Balance sheet" in text and "Dividend resolution" in text
    assert "1,500.00" in text and "1,100.00" in text  # fees; the surplus (1,500 − 400)
    assert "61,100.00" in text  # total assets: cash 10,000 + 50,000 + 1,500 − 400
    assert "No dividend was declared for 2025." in text


def test_admin_page_and_api(client, approved_statements, staff_user, member):
    auditor = staff_user(roles.AUDITORS)
    sign_in_verified(client, auditor)
    page = client.get("/admin/reports/agm-pack/?year=2025")
    assert page.status_code == 200 and "Download the AGM pack" in page.content.decode()
    missing = client.get("/admin/reports/agm-pack/?year=2024")
    assert "not ready" in missing.content.decode()
    download = client.get("/admin/reports/agm-pack/?year=2025&download=1")
    assert download["Content-Type"] == "application/pdf" and download.content.startswith(b"%PDF")

    api = APIClient()
    api.force_authenticate(member.user)
    assert api.get("/api/reports/agm-pack/?year=2025").content.startswith(b"%PDF")
    refused = api.get("/api/reports/agm-pack/?year=2024")
    assert refused.status_code == 400 and "year" in refused.json()
    assert api.get("/api/reports/agm-pack/?year=nineteen").status_code == 400
    assert APIClient().get("/api/reports/agm-pack/?year=2025").status_code == 401
