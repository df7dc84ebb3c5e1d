"""Issue 16: guarantor substitution. The borrower (or the loans office) proposes a new guarantor for an active loan;
the new guarantor accepts through the usual request (guarantee_accept), which releases the old guarantee and makes
the new one hold the same amount; the new guarantor must be able to guarantee (services._guarantees_check).

The loan: Juma borrows KES 120,000 (development, one month) on 15 January 2026; Akinyi (deposits 60,000) guarantees
40,000 and Baraka (deposits 40,000) 30,000. Chege (deposits 50,000) is proposed in Baraka's place."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from rest_framework.test import APIClient

from portal.loans.eligibility import free_deposits
from portal.loans.guarantor_substitution import guarantor_substitute
from portal.loans.models import Guarantee, GuaranteeStatus
from portal.loans.services import (
    LoanStateError,
    application_approve,
    guarantee_accept,
    guarantee_decline,
    loan_disburse,
)
from portal.members import roles
from portal.notifications.models import Notification
from portal.society.policy import sacco_settings
from tests.conftest import sign_in_verified
from tests.factories import application_with_guarantors, member_with_savings

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def loan(people, products, staff_user):
    application = application_with_guarantors(
        borrower=people["juma"],
        product=products["development"],
        amount="120000",
        term_months=1,
        guarantors=[(people["akinyi"], "40000", "Akinyi"), (people["baraka"], "30000", "Baraka")],
    )
    for name in ("akinyi", "baraka"):
        guarantee_accept(guarantee=application.guarantees.get(guarantor=people[name]), by_member=people[name])
    application_approve(application=application, by=staff_user(roles.LOANS_OFFICERS))
    return loan_disburse(application=application, by=None, date=datetime.date(2026, 1, 15)).loan


@pytest.fixture
def chege(make_member):
    return member_with_savings(make_member, email="chege@example.com", first_name="Chege", deposits="50000")


def _old(loan, people):
    return Guarantee.objects.get(application=loan.application, guarantor=people["baraka"])


def test_the_new_guarantor_accepts_and_the_old_one_is_released(loan, people, chege):
    old = _old(loan, people)
    substitution = guarantor_substitute(guarantee=old, new_guarantor=chege, by=people["juma"].user)
    new = substitution.new_guarantee
    assert (new.guarantor, new.amount, new.status) == (chege, D("30000.00"), GuaranteeStatus.REQUESTED)
    assert Notification.objects.filter(user=chege.user, subject__contains="asks you to guarantee").exists()
    # Chege's request already holds his deposits: 50,000 − 30,000 = 20,000; Baraka still holds 30,000 until then.
    assert free_deposits(member=chege) == D("20000.00") and free_deposits(member=people["baraka"]) == D("10000.00")
    with pytest.raises(LoanStateError, match="already waiting"):
        guarantor_substitute(guarantee=old, new_guarantor=chege, by=people["juma"].user)
    with pytest.raises(LoanStateError, match="Only the guarantor"):
        guarantee_accept(guarantee=new, by_member=people["baraka"])

    guarantee_accept(guarantee=new, by_member=chege)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == GuaranteeStatus.RELEASED and new.status == GuaranteeStatus.ACCEPTED
    assert free_deposits(member=people["baraka"]) == D("40000.00")  # released: all his deposits are free
    assert free_deposits(member=chege) == D("20000.00")  # 50,000 − 30,000
    assert Notification.objects.filter(user=people["baraka"].user, subject="You no longer guarantee a loan").exists()
    accepted = loan.application.guarantees.filter(status=GuaranteeStatus.ACCEPTED)
    assert sorted(accepted.values_list("amount", flat=True)) == [D("30000.00"), D("40000.00")]  # the same cover
    call_command("ledger_check")  # nothing was posted


def test_a_decline_leaves_the_old_guarantee_holding(loan, people, chege):
    old = _old(loan, people)
    new = guarantor_substitute(guarantee=old, new_guarantor=chege, by=people["juma"].user).new_guarantee
    guarantee_decline(guarantee=new, by_member=chege)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == GuaranteeStatus.ACCEPTED and new.status == GuaranteeStatus.DECLINED
    assert free_deposits(member=chege) == D("50000.00")


def test_the_new_guarantor_must_be_eligible(loan, people, make_member, chege):
    old = _old(loan, people)
    poor = member_with_savings(make_member, email="poor@example.com", deposits="20000")
    with pytest.raises(ValidationError) as exc:
        guarantor_substitute(guarantee=old, new_guarantor=poor, by=people["juma"].user)
    assert any("at most KES 20,000.00" in m for m in exc.value.message_dict["guarantor"])
    with pytest.raises(ValidationError, match="already a guarantor"):
        guarantor_substitute(guarantee=old, new_guarantor=people["akinyi"], by=people["juma"].user)
    with pytest.raises(ValidationError, match="your own loan"):
        guarantor_substitute(guarantee=old, new_guarantor=people["juma"], by=people["juma"].user)
    settings = sacco_settings()
    settings.max_active_guarantees = 0
    settings.save()
    with pytest.raises(ValidationError, match="the limit is 0"):
        guarantor_substitute(guarantee=old, new_guarantor=chege, by=people["juma"].user)
    with pytest.raises(PermissionDenied):
        guarantor_substitute(guarantee=old, new_guarantor=chege, by=chege.user)  # not the borrower, not staff


def test_api_borrower_or_loans_office_only(loan, people, chege, staff_user, make_user, client):
    old = _old(loan, people)
    url = f"/api/loans/guarantees/{old.pk}/substitute/"
    outsider = APIClient()
    outsider.force_authenticate(chege.user)
    assert outsider.post(url, {"guarantor": chege.membership_number}, format="json").status_code == 404
    clerk = APIClient()
    clerk.force_authenticate(staff_user(roles.CLERKS))
    assert clerk.post(url, {"guarantor": chege.membership_number}, format="json").status_code == 404
    borrower = APIClient()
    borrower.force_authenticate(people["juma"].user)
    for bad in ({}, {"guarantor": ""}, {"guarantor": ["x"]}, {"guarantor": "MB-NOBODY"}):
        response = borrower.post(url, bad, format="json")
        assert response.status_code == 400 and "guarantor" in response.json(), (bad, response.content)
    officer = APIClient()
    officer.force_authenticate(make_user("officer2@sacco.example", role=roles.LOANS_OFFICERS))
    response = officer.post(url, {"guarantor": chege.membership_number}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["guarantor"] == chege.membership_number and body["amount"] == "30000.00"
    assert body["status"] == "requested" and body["old_guarantee"] == str(old.pk)
    # The request shows in Chege's portal with Accept / Decline, like any request.
    sign_in_verified(client, chege.user)
    page = client.get("/portal/guarantees/").content.decode()
    assert f"guarantee-{body['new_guarantee']}" in page and "Accept" in page


def test_the_borrower_proposes_in_the_portal_and_nobody_else_can(loan, people, chege, client):
    old = _old(loan, people)
    url = f"/portal/loans/guarantees/{old.pk}/substitute/"
    sign_in_verified(client, chege.user)  # not the borrower: another member's guarantee is a 404
    assert client.post(url, {"guarantor": chege.membership_number}).status_code == 404
    client.logout()
    sign_in_verified(client, people["juma"].user)
    page = client.get(f"/portal/loans/{loan.pk}/").content.decode()
    assert url in page and "Replace with the member numbered" in page
    response = client.post(url, {"guarantor": "MB-NOBODY"}, follow=True)
    assert "no such member" in response.content.decode() and not old.substitutions.exists()
    client.post(url, {"guarantor": chege.membership_number.lower()})
    substitution = old.substitutions.get()
    assert substitution.new_guarantee.guarantor == chege and substitution.proposed_by == people["juma"].user
