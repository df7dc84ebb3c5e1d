"""The seed's loan paths: eligibility, applications (approve/reject), disburse, add-repayment,
repayment-schedule, /api/members/<pk>/loans/. Members reach only their own loans and cannot change terms."""

import datetime

import pytest
from rest_framework.test import APIClient

from portal.loans.models import Loan, LoanApplication
from portal.members import roles
from tests.factories import loan_disbursed, member_with_savings

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_member, products):
    return member_with_savings(
        make_member, email="juma@example.com", share_capital_reference="sc", deposit_reference="dep"
    )


def test_the_whole_path_over_the_api(setup, other_member, staff_user, deciders):
    borrower = setup
    api = APIClient()
    api.force_authenticate(borrower.user)
    eligibility = api.get("/api/loans/eligibility/?product=development&amount=100000").json()
    assert eligibility["eligible"] and eligibility["max_amount"] == "360000.00"
    assert api.get("/api/loans/eligibility/?product=nope").status_code == 400
    bad = api.post(
        "/api/loans/applications/", {"product": "development", "amount": "x", "term_months": "12", "purpose": ""}
    )
    assert bad.status_code == 400 and {"amount", "purpose"} <= set(bad.json())
    created = api.post(
        "/api/loans/applications/",
        {"product": "development", "amount": "100000", "term_months": "12", "purpose": "Build"},
        format="json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    assert api.post(f"/api/loans/applications/{pk}/approve/").status_code == 403  # members do not decide

    officer = APIClient()
    officer.force_authenticate(deciders["officer"])
    assert officer.post(f"/api/loans/applications/{pk}/approve/").json()["step"] == "Credit committee"
    for name in ("joseph", "mercy"):
        committee = APIClient()
        committee.force_authenticate(deciders[name])
        status = committee.post(f"/api/loans/applications/{pk}/approve/").json()["status"]
    assert status == "approved"
    assert officer.post(f"/api/loans/applications/{pk}/approve/").status_code == 409
    assert officer.post(f"/api/loans/loans/{pk}/disburse/").status_code == 403

    treasurer = APIClient()
    treasurer.force_authenticate(staff_user(roles.TREASURER))
    disbursed = treasurer.post(f"/api/loans/loans/{pk}/disburse/")
    assert disbursed.status_code == 201
    assert treasurer.post(f"/api/loans/loans/{pk}/disburse/").status_code == 200  # the same loan, not a second
    loan_id = disbursed.json()["id"]
    assert Loan.objects.count() == 1

    paid = treasurer.post(
        f"/api/loans/loans/{loan_id}/add-repayment/", {"amount": "8884.88", "reference": "MP-1"}, format="json"
    )
    assert paid.status_code == 201 and paid.json()["interest"] == "1000.00"
    again = treasurer.post(
        f"/api/loans/loans/{loan_id}/add-repayment/", {"amount": "8884.88", "reference": "MP-1"}, format="json"
    )
    assert again.status_code == 200 and again.json()["created"] is False

    schedule = api.get(f"/api/loans/loans/{loan_id}/repayment-schedule/").json()
    assert len(schedule["instalments"]) == 12 and schedule["instalments"][0]["outstanding"] == "0.00"
    assert [loan["id"] for loan in api.get(f"/api/members/{borrower.pk}/loans/").json()["results"]] == [loan_id]

    # Someone else: nothing to see, nothing to do.
    nosy = APIClient()
    nosy.force_authenticate(other_member.user)
    assert nosy.get(f"/api/loans/loans/{loan_id}/repayment-schedule/").status_code == 404
    assert nosy.get(f"/api/members/{borrower.pk}/loans/").status_code == 404
    assert nosy.get("/api/loans/loans/").json()["results"] == []
    assert nosy.get("/api/loans/applications/").json()["results"] == []
    assert nosy.post(f"/api/loans/loans/{loan_id}/add-repayment/", {"amount": "1", "reference": "z"}).status_code == 403
    # Nor can the borrower change the loan's terms: there is no write path to a loan.
    for method in ("put", "patch", "delete"):
        assert (
            getattr(api, method)(f"/api/loans/loans/{loan_id}/repayment-schedule/", {"principal": "1"}).status_code
            == 405
        )
        assert getattr(api, method)("/api/loans/loans/", {"principal": "1"}).status_code == 405
    assert LoanApplication.objects.get(pk=pk).amount == 100000


def test_reject_needs_a_reason(setup, deciders):
    api = APIClient()
    api.force_authenticate(setup.user)
    created = api.post(
        "/api/loans/applications/", {"product": "development", "amount": "20000", "term_months": "6", "purpose": "x"}
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    committee = APIClient()
    committee.force_authenticate(deciders["officer"])  # the appraisal may end it
    missing = committee.post(f"/api/loans/applications/{pk}/reject/", {})
    assert missing.status_code == 400 and "reason" in missing.json()
    response = committee.post(f"/api/loans/applications/{pk}/reject/", {"reason": "Too soon"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert api.get("/api/loans/applications/").json()["results"][0]["decision_reason"] == "Too soon"


def test_generate_statement_json_and_pdf_own_only(setup, other_member, staff_user):
    from portal.loans.models import LoanProduct

    loan = loan_disbursed(
        borrower=setup, products={p.slug: p for p in LoanProduct.objects.all()}, staff_user=staff_user
    )
    api = APIClient()
    api.force_authenticate(setup.user)
    body = api.get(f"/api/loans/loans/{loan.pk}/generate-statement/").json()
    assert body["rows"][0]["balance"] == "100000.00"
    assert api.get(f"/api/loans/loans/{loan.pk}/generate-statement/?output=pdf").content.startswith(b"%PDF")
    api.force_authenticate(other_member.user)
    assert api.get(f"/api/loans/loans/{loan.pk}/generate-statement/").status_code == 404


def test_due_payments_and_reminders_by_role(setup, staff_user):
    from portal.loans.models import LoanProduct

    products = {p.slug: p for p in LoanProduct.objects.all()}

    from portal.loans.services import application_approve, application_submit, loan_disburse

    application = application_submit(
        member=setup, product=products["development"], amount="30000", term_months=6, purpose="x"
    )
    application_approve(application=application, by=None)
    loan_disburse(application=application, by=None, date=datetime.date.today() - datetime.timedelta(days=40))
    api = APIClient()
    api.force_authenticate(setup.user)
    assert api.get("/api/loans/loans/due-payments/").status_code == 403
    assert api.post("/api/loans/loans/send-payment-reminders/").status_code == 403
    api.force_authenticate(staff_user(roles.CLERKS))
    due = api.get("/api/loans/loans/due-payments/").json()["results"]
    assert due and due[0]["number"] == 1 and due[0]["days_past_due"] > 0
    assert api.post("/api/loans/loans/send-payment-reminders/").json()["sent"] >= 1
    assert api.post("/api/loans/loans/send-payment-reminders/").json()["sent"] == 0
