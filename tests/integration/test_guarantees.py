"""L3 guarantors: cover above the borrower's free deposits, caps by the guarantor's free deposits and the
guarantee limit, acceptance in the guarantor's portal behind a fresh code, approval only when covered, release."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portal.loans.eligibility import free_deposits
from portal.loans.models import Guarantee, GuaranteeStatus
from portal.loans.services import (
    LoanStateError,
    application_approve,
    application_reject,
    guarantee_accept,
    guarantee_decline,
    loan_disburse,
    loan_repay,
)
from portal.members import roles
from tests.conftest import sign_in_verified
from tests.factories import application_with_guarantors

pytestmark = pytest.mark.django_db
D = Decimal


def _apply(people, products, amount, guarantors):
    return application_with_guarantors(
        borrower=people["juma"],
        product=products["development"],
        amount=amount,
        guarantors=[(people[name], value, name) for name, value in guarantors],
    )


def test_the_part_above_free_deposits_needs_enough_guarantors(people, products):
    with pytest.raises(ValidationError) as exc:
        _apply(people, products, "120000", [("akinyi", "70000")])
    messages = exc.value.message_dict["guarantors"]
    assert any("at most KES 60,000.00" in m for m in messages)
    assert any("at least 2 guarantors" in m for m in messages)
    with pytest.raises(ValidationError) as exc:
        _apply(people, products, "120000", [("akinyi", "30000"), ("baraka", "20000")])
    assert any("KES 70,000.00 above your free deposits" in m for m in exc.value.message_dict["guarantors"])
    application = _apply(people, products, "120000", [("akinyi", "40000"), ("baraka", "30000")])
    assert application.cover_needed == D("70000.00") and application.guarantees.count() == 2
    assert free_deposits(member=people["akinyi"]) == D("20000.00")  # the promise holds her deposits


def test_approval_waits_for_every_guarantor_and_release_follows_the_loan(people, products, staff_user):
    application = _apply(people, products, "120000", [("akinyi", "40000"), ("baraka", "30000")])
    officer = staff_user(roles.LOANS_OFFICERS)
    with pytest.raises(LoanStateError, match="not answered"):
        application_approve(application=application, by=officer)
    with pytest.raises(LoanStateError):
        guarantee_accept(guarantee=application.guarantees.get(guarantor=people["akinyi"]), by_member=people["baraka"])
    guarantee_accept(guarantee=application.guarantees.get(guarantor=people["akinyi"]), by_member=people["akinyi"])
    guarantee_accept(guarantee=application.guarantees.get(guarantor=people["baraka"]), by_member=people["baraka"])
    with pytest.raises(LoanStateError, match="guarantor"):
        application_approve(application=application, by=people["akinyi"].user)  # a guarantor cannot decide
    application_approve(application=application, by=officer)
    loan = loan_disburse(application=application, by=None).loan
    total = sum((i.amount for i in loan.instalments.all()), D("0"))
    loan_repay(loan=loan, amount=str(total), reference="ALL")
    assert set(application.guarantees.values_list("status", flat=True)) == {GuaranteeStatus.RELEASED}
    assert free_deposits(member=people["akinyi"]) == D("60000.00")


def test_a_decline_leaves_the_cover_short_and_rejection_releases(people, products, staff_user):
    application = _apply(people, products, "120000", [("akinyi", "40000"), ("baraka", "30000")])
    guarantee_accept(guarantee=application.guarantees.get(guarantor=people["akinyi"]), by_member=people["akinyi"])
    guarantee_decline(guarantee=application.guarantees.get(guarantor=people["baraka"]), by_member=people["baraka"])
    officer = staff_user(roles.CREDIT_COMMITTEE)
    with pytest.raises(LoanStateError, match="do not cover"):
        application_approve(application=application, by=officer)
    application_reject(application=application, by=officer, reason="Guarantor declined")
    assert Guarantee.objects.get(guarantor=people["akinyi"]).status == GuaranteeStatus.RELEASED


def test_guarantor_accepts_in_the_portal_with_a_fresh_code(client, people, products):
    application = _apply(people, products, "120000", [("akinyi", "40000"), ("baraka", "30000")])
    guarantee = application.guarantees.get(guarantor=people["akinyi"])
    sign_in_verified(client, people["akinyi"].user, fresh=False)
    page = client.get("/portal/guarantees/").content.decode()
    assert "KES 120,000.00" in page and "Accept" in page
    url = f"/portal/guarantees/{guarantee.pk}/accept/"
    assert "verify" in client.post(url)["Location"]
    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.REQUESTED
    sign_in_verified(client, people["akinyi"].user)
    client.post(url)
    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.ACCEPTED
    assert people["juma"].user.notifications.filter(subject__contains="accepted").exists()
    sign_in_verified(client, people["baraka"].user)
    client.post(url)  # someone else's guarantee: not found
    assert client.post(f"/portal/guarantees/{guarantee.pk}/accept/").status_code in (302, 404)
    assert Guarantee.objects.get(pk=guarantee.pk).status == GuaranteeStatus.ACCEPTED


def test_api_application_with_guarantors(people, products):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(people["juma"].user)
    response = api.post(
        "/api/loans/applications/",
        {
            "product": "development",
            "amount": "120000",
            "term_months": "12",
            "purpose": "Shop",
            "guarantors": [
                {"member": people["akinyi"].membership_number, "amount": "40000"},
                {"member": "MB-000000-00000", "amount": "30000"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert any("Guarantor 2 (MB-000000-00000): no such member." == m for m in response.json()["guarantors"])


def test_the_applicant_withdraws_and_guarantors_are_released(client, people, products):
    application = _apply(people, products, "120000", [("akinyi", "40000"), ("baraka", "30000")])
    sign_in_verified(client, people["akinyi"].user)
    client.post(f"/portal/loans/applications/{application.pk}/withdraw/")  # not hers: nothing happens
    application.refresh_from_db()
    assert application.status == "submitted"
    sign_in_verified(client, people["juma"].user)
    assert "Withdraw" in client.get("/portal/loans/").content.decode()
    client.post(f"/portal/loans/applications/{application.pk}/withdraw/")
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert set(application.guarantees.values_list("status", flat=True)) == {GuaranteeStatus.RELEASED}
    assert free_deposits(member=people["akinyi"]) == D("60000.00")
