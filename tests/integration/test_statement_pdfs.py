"""Statement PDFs (issue 17): a 5-year loan statement and a 5-year member statement, drawn with ReportLab, keep every
row, the running balance and the closing figures (read back from the PDF's text). Their speed (goal: 300 ms) is
measured by the benchmark (bench/run.py, `bench_repayment_and_statement`), not here."""

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from portal.contributions.services import monthly_contribution_record
from portal.loans.models import LoanApplication
from portal.loans.schedule import due_date
from portal.loans.services import application_approve, loan_disburse, loan_repay
from portal.loans.statements import loan_statement, loan_statement_pdf
from portal.reports.member_statement import member_statement, member_statement_pdf

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_five_year_loan_statement_pdf_has_every_row(borrower, products):
    product = products["development"]
    application = LoanApplication.objects.create(
        member=borrower,
        product=product,
        amount=Decimal("500000.00"),
        term_months=60,
        purpose="Five years",
        annual_rate=product.annual_rate,
        method=product.method,
    )
    application_approve(application=application, by=None)
    loan = loan_disburse(application=application, by=None, date=due_date(datetime.date(2026, 11, 15), -60)).loan
    for instalment in loan.instalments.order_by("number")[:59]:
        loan_repay(loan=loan, amount=instalment.amount, reference=f"P{instalment.number:02d}", date=instalment.due_date)
    rows = loan_statement(loan=loan)
    assert len(rows) >= 119
    pdf = loan_statement_pdf(loan=loan)
    text = _text(pdf)
    assert "Loan statement" in text and borrower.membership_number in text
    assert all(f"P{number:02d}" in text for number in range(1, 60))  # every repayment's reference
    assert f"{rows[-1].balance:,.2f}" in text and f"{rows[0].debit:,.2f}" in text  # closing balance, the loan
    assert "Generated " in text


def test_a_five_year_member_statement_pdf_has_every_row_and_the_closing_balances(member):
    for month in range(60):
        period = datetime.date(2021 + month // 12, month % 12 + 1, 1)
        monthly_contribution_record(
            member=member,
            amount=str(1000 + month),
            period=period.strftime("%Y-%m"),
            reference=f"D{month:02d}",
            date=period + datetime.timedelta(days=24),
        )
    statement = member_statement(member=member, start=datetime.date(2021, 1, 1), end=datetime.date(2025, 12, 31))
    (deposits,) = statement["sections"]
    assert len(deposits["rows"]) == 60
    pdf = member_statement_pdf(statement)
    text = _text(pdf)
    assert all(f"D{month:02d}" in text for month in range(60))
    closing = sum(Decimal(1000 + month) for month in range(60))
    assert deposits["closing"] == closing and f"{closing:,.2f}" in text
    assert "Opening balance" in text and "Closing balance" in text and "Deposits" in text
