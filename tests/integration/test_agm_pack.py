"""The AGM pack (issue 18): one PDF of the year's approved parts — statements, appropriation, dividend resolution,
SASRA returns and the journal's month-end hashes; not ready while any part waits for approval."""

import datetime
import io

import pytest
from django.core.management import call_command
from pypdf import PdfReader
from rest_framework.test import APIClient

from portal.dividends.services import dividend_prepare, dividend_vote
from portal.finance.ledger.chain import chain_head
from portal.finance.ledger.selectors import chain_month_ends
from portal.members import roles
from portal.reports.agm_pack import AgmPackNotReady, agm_pack_parts, agm_pack_pdf
from portal.reports.services import (
    financial_statement_approve,
    financial_statement_prepare,
    sasra_return_approve,
    sasra_return_prepare,
)
from tests.conftest import sign_in_verified
from tests.factories import dividend_terms

pytestmark = pytest.mark.django_db
YEAR = 2025
YEAR_END = datetime.date(YEAR, 12, 31)


def _text(pdf: bytes) -> str:
    """The PDF's words, one space apart (a table cell and the next come out on lines of their own)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def _approved_by_two(prepare, approve, deciders):
    record = prepare()
    approve(deciders["joseph"])
    approve(deciders["mercy"])
    return record


@pytest.fixture
def approved_year(year_2025, staff_user, deciders):
    """2025 closed and appropriated (the year_2025 fixture), its statements and year-end returns approved."""
    treasurer = staff_user(roles.TREASURER)
    statement = financial_statement_prepare(start=datetime.date(YEAR, 1, 1), end=YEAR_END, by=treasurer)
    for who in ("joseph", "mercy"):
        financial_statement_approve(statement=statement, user=deciders[who])
    returns = sasra_return_prepare(as_of=YEAR_END, by=treasurer)
    for who in ("joseph", "mercy"):
        sasra_return_approve(record=returns, user=deciders[who])
    return {"treasurer": treasurer, "statement": statement, "returns": returns}


def test_not_ready_names_every_part_missing(year_2025, staff_user, deciders):
    with pytest.raises(AgmPackNotReady) as refused:
        agm_pack_parts(year=YEAR)
    message = str(refused.value)
    assert "financial statements for 2025" in message and "SASRA returns at 31 December 2025" in message
    assert "appropriation" not in message  # approved by the year_2025 fixture
    treasurer = staff_user(roles.TREASURER)
    financial_statement_prepare(start=datetime.date(YEAR, 1, 1), end=YEAR_END, by=treasurer)
    sasra_return_prepare(as_of=YEAR_END, by=treasurer)
    with pytest.raises(AgmPackNotReady):  # prepared is not approved
        agm_pack_parts(year=YEAR)
    with pytest.raises(AgmPackNotReady) as refused:
        agm_pack_parts(year=2023)  # never closed
    assert "appropriation of the 2023 surplus is not approved" in str(refused.value)


def test_the_pack_prints_each_approved_part(approved_year, deciders):
    declaration = dividend_prepare(**dividend_terms(), by=approved_year["treasurer"])
    for who in ("joseph", "mercy"):
        dividend_vote(declaration=declaration, user=deciders[who])
    parts = agm_pack_parts(year=YEAR)
    assert parts.dividends == declaration and parts.returns == approved_year["returns"]
    text = _text(agm_pack_pdf(year=YEAR))
    assert "financial year 2025" in text
    for title in ("Income statement", "Balance sheet", "Cash flow statement", "Appropriation of the surplus"):
        assert title in text
    assert "Dividend resolution" in text and "SASRA returns" in text
    # The appropriation of the fixture: 50,000.00 of other income → 10,000 reserve, 20,000 dividends, 20,000 kept.
    assert "Statutory reserve (at least 20 % of the surplus) 10,000.00" in text
    assert "Set aside for dividends on share capital 20,000.00" in text
    assert "Retained earnings (the remainder) 20,000.00" in text
    assert "A dividend of 10 % on share capital" in text and "interest of 6 % on deposits" in text
    preview = declaration.preview
    assert f"Gross {float(preview['gross']):,.2f}" in text
    assert "Core capital / total assets" in text and "Risk classification of loans" in text
    # Insider lending in total only: the pack goes to every member.
    assert "Loans to insiders outstanding" in text
    # The journal's hash at each month end (nothing was posted in 2025 by the clock: the fixtures post today) and
    # when the pack was printed, as ledger_check verifies it.
    month_ends = chain_month_ends(year=YEAR)
    assert [m.month.month for m in month_ends] == list(range(1, 13)) and "Dec 2025 — nothing posted yet" in text
    head = chain_head()
    assert head.sequence > 0 and f"{head.sequence} {head.hash}" in text
    call_command("ledger_check", "--hash", f"{head.sequence}:{head.hash}")


def test_admin_page_and_api(client, approved_year, staff_user, member):
    sign_in_verified(client, staff_user(roles.AUDITORS))
    page = client.get("/admin/reports/agm-pack/?year=2025")
    assert page.status_code == 200 and "Download the AGM pack" in page.content.decode()
    assert "not ready" in client.get("/admin/reports/agm-pack/?year=2024").content.decode()
    download = client.get("/admin/reports/agm-pack/?year=2025&download=1")
    assert download["Content-Type"] == "application/pdf" and download.content.startswith(b"%PDF")

    api = APIClient()
    api.force_authenticate(member.user)
    assert api.get("/api/reports/agm-pack/?year=2025").content.startswith(b"%PDF")
    refused = api.get("/api/reports/agm-pack/?year=2024")
    assert refused.status_code == 400 and "year" in refused.json()
    assert api.get("/api/reports/agm-pack/?year=nineteen").status_code == 400
    assert APIClient().get("/api/reports/agm-pack/?year=2025").status_code == 401


def test_a_clerk_cannot_open_the_admin_page(client, approved_year, staff_user):
    sign_in_verified(client, staff_user(roles.CLERKS))
    assert client.get("/admin/reports/agm-pack/?year=2025").status_code in (302, 403)
