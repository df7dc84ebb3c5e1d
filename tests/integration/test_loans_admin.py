"""Loans in the Wagtail admin: disburse behind a fresh code, record a repayment, statement (the decisions are in
test_loan_approval.py)."""

import datetime

import pytest

from portal.loans.approval import loan_review_act
from portal.loans.models import Loan, LoanApplication
from portal.members import roles
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db


def test_approved_in_the_workflow_treasurer_disburses_clerk_records_a_repayment(
    client,
    borrower,
    products,
    staff_user,
    deciders,
):
    from portal.loans.services import application_submit

    application = application_submit(
        member=borrower, product=products["development"], amount="100000", term_months=12, purpose="Dairy"
    )
    for name in ("officer", "joseph", "mercy"):  # appraisal, then the committee's two votes
        loan_review_act(application=application, user=deciders[name], action="approve")
    assert LoanApplication.objects.get().status == "approved"
    sign_in_verified(client, deciders["officer"])
    listing = client.get("/admin/snippets/loans/loanapplication/").content.decode()
    assert f"/admin/loans/applications/{application.pk}/disburse/" not in listing  # officers do not pay out
    assert client.post(f"/admin/loans/applications/{application.pk}/disburse/").status_code == 302
    assert Loan.objects.count() == 0

    treasurer = staff_user(roles.TREASURER)
    sign_in_verified(client, treasurer, fresh=False)
    stale = client.get(f"/admin/loans/applications/{application.pk}/disburse/")
    assert stale.status_code == 302 and "verify" in stale["Location"]  # money out needs a fresh code
    sign_in_verified(client, treasurer)
    today = datetime.date.today().isoformat()
    from portal.finance.banking.services import bank_account_primary

    bank = bank_account_primary().pk
    assert (
        client.post(
            f"/admin/loans/applications/{application.pk}/disburse/", {"bank_account": bank, "date": today}
        ).status_code
        == 302
    )
    loan = Loan.objects.get()

    sign_in_verified(client, staff_user(roles.CLERKS))
    url = f"/admin/loans/loans/{loan.pk}/repayment/"
    bad = client.post(url, {"amount": "12.345", "reference": "M1", "date": today, "bank_account": bank})
    assert bad.status_code == 200 and "amount" in bad.context["form"].errors
    assert (
        client.post(url, {"amount": "5000", "reference": "M1", "date": today, "bank_account": bank}).status_code == 302
    )
    assert loan.repayments.count() == 1
    pdf = client.get(f"/admin/loans/loans/{loan.pk}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
