"""Issue 16: *Reverse* on a repayment in the admin — the treasurer or an administrator, a reason, a fresh code
(the disburse form's rule); others do not see the action and are refused."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from portal.finance.ledger.selectors import account_balance
from portal.loans.models import LoanRepaymentReversal
from portal.loans.services import loan_repay
from portal.members import roles
from tests.conftest import sign_in_verified
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db
D = Decimal
LIST = "/admin/snippets/loans/loanrepayment/"


@pytest.fixture
def repayment(borrower, products, staff_user):
    # Instalment 1 of 100,000 at 12 % over 12 months: 8,884.88 (interest 1,000.00, principal 7,884.88).
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    return loan_repay(loan=loan, amount="8884.88", reference="SLIP-9", date=datetime.date(2026, 2, 10)).repayment


def test_the_treasurer_reverses_from_the_list_with_a_fresh_code(client, repayment, make_user):
    treasurer = make_user("wanjiru@sacco.example", role=roles.TREASURER)
    url = f"/admin/loans/repayments/{repayment.pk}/reverse/"
    sign_in_verified(client, treasurer, fresh=False)
    assert url in client.get(LIST).content.decode()
    stale = client.post(url, {"reason": "Wrong member"})
    assert stale.status_code == 302 and stale.url.startswith(reverse("otp_verify"))
    assert not LoanRepaymentReversal.objects.exists()

    sign_in_verified(client, treasurer)
    blank = client.post(url, {"reason": ""})
    assert blank.status_code == 200 and "reason" in blank.context["form"].errors
    done = client.post(url, {"reason": "Wrong member"})
    assert done.status_code == 302
    reversal = LoanRepaymentReversal.objects.get()
    assert reversal.reason == "Wrong member" and reversal.reversed_by == treasurer
    assert account_balance(code="1100") == D("100000.00")  # 92,115.12 + 7,884.88
    listing = client.get(LIST).content.decode()
    assert url not in listing and "Reversed: posted in error" in listing  # no second Reverse; the reason shows
    again = client.post(url, {"reason": "Wrong member"})
    assert again.status_code == 302 and LoanRepaymentReversal.objects.count() == 1


def test_a_clerk_sees_no_reverse_and_is_refused(client, repayment, make_user):
    clerk = make_user("clerk@sacco.example", role=roles.CLERKS)
    sign_in_verified(client, clerk)
    url = f"/admin/loans/repayments/{repayment.pk}/reverse/"
    listing = client.get(LIST)
    assert listing.status_code == 200 and url not in listing.content.decode()
    refused = client.post(url, {"reason": "x"})
    assert refused.status_code == 403 or (refused.status_code == 302 and refused.url == "/admin/")  # Wagtail's way
    assert not LoanRepaymentReversal.objects.exists()
