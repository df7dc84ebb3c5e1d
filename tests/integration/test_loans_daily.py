"""L8/L9: the daily loan job — interest falls due, penalties once a month, days past due, SASRA buckets and the
provision — idempotent when run twice."""

import datetime
from decimal import Decimal

import pytest

from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance, trial_balance
from portal.loans.jobs import loans_daily
from portal.loans.models import Classification
from portal.loans.services import loan_repay
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db
D = Decimal


def test_interest_falls_due_on_due_dates_only_once(borrower, products, staff_user):
    loan = loan_disbursed(
        borrower=borrower, products=products, staff_user=staff_user
    )  # 100,000 at 12 %, disbursed 15 Jan 2026
    result = loans_daily(today=datetime.date(2026, 3, 20))  # instalments of 15 Feb and 15 Mar are due
    rows = list(loan.instalments.all())
    assert result.interest_posted == 2
    assert account_balance(code="1110") == rows[0].interest + rows[1].interest
    count = JournalEntry.objects.count()
    again = loans_daily(today=datetime.date(2026, 3, 20))
    assert again.interest_posted == 0 and again.penalties_posted == 0 and JournalEntry.objects.count() == count


def test_overdue_loan_is_charged_classified_and_provisioned(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    loans_daily(today=datetime.date(2026, 2, 10))
    loan.refresh_from_db()
    assert loan.classification == Classification.PERFORMING and loan.days_past_due == 0
    assert account_balance(code="1190") == D("1000.00")  # 1 % of 100,000 performing

    result = loans_daily(today=datetime.date(2026, 4, 1))  # Feb and Mar instalments unpaid
    loan.refresh_from_db()
    assert loan.days_past_due == (datetime.date(2026, 4, 1) - datetime.date(2026, 2, 15)).days == 45
    assert loan.classification == Classification.SUBSTANDARD
    assert result.penalties_posted == 2
    first = loan.instalments.get(number=1)
    assert first.penalty == D("88.85")  # 1 % of the overdue 8,884.88
    assert account_balance(code="1190") == D("25000.00")  # 25 % of the outstanding principal
    assert account_balance(code="5200") == D("25000.00")
    assert loans_daily(today=datetime.date(2026, 4, 10)).penalties_posted == 0  # once a month

    # Paying everything overdue clears the penalty first, then interest and principal; the loan is current again.
    owed = sum((i.outstanding for i in loan.instalments.filter(due_date__lt=datetime.date(2026, 4, 21))), D("0"))
    repayment = loan_repay(loan=loan, amount=str(owed), reference="CATCH-UP", date=datetime.date(2026, 4, 21)).repayment
    assert repayment.penalty_part == sum((i.penalty for i in loan.instalments.all()), D("0")) == D("177.70")
    loans_daily(today=datetime.date(2026, 4, 21))
    loan.refresh_from_db()
    assert loan.classification == Classification.PERFORMING and loan.days_past_due == 0
    assert account_balance(code="1120") == D("0.00")
    rows = trial_balance()
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)


def test_portfolio_report_shows_par_and_provision(client, borrower, products, staff_user):
    from portal.loans.selectors import portfolio_report
    from portal.members import roles
    from tests.conftest import sign_in_verified

    loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    loans_daily(today=datetime.date(2026, 4, 1))  # 45 days past due: substandard
    report = portfolio_report()
    substandard = next(r for r in report.rows if r.classification == Classification.SUBSTANDARD)
    assert (
        substandard.loans == 1 and substandard.outstanding == D("100000.00") and substandard.provision == D("25000.00")
    )
    assert report.par30 == D("100.00") and report.par90 == D("0.00")
    assert report.provision_held == report.provision_required == D("25000.00")
    sign_in_verified(client, staff_user(roles.AUDITORS))
    page = client.get("/admin/loans/portfolio/")
    assert page.status_code == 200 and "PAR30 <strong>100.00 %</strong>" in page.content.decode()
