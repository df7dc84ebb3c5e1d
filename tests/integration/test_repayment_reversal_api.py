"""Issue 16: POST /api/loans/repayments/<id>/reverse/ {"reason", "code"} — the treasurer or an administrator, with
a fresh second factor; a reason is required (400); twice is 409; clerks, loans officers and members get 403.

The loan (tests/factories.loan_disbursed): KES 100,000 at 12 % over 12 months, instalment 1 = 8,884.88
(interest 1,000.00, principal 7,884.88)."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from portal.finance.ledger.selectors import account_balance
from portal.loans.invariants import loan_book_problems
from portal.loans.models import LoanRepaymentReversal
from portal.loans.services import loan_repay
from portal.members import roles
from tests.conftest import sign_in_verified
from tests.factories import loan_disbursed

pytestmark = pytest.mark.django_db
D = Decimal


def _totp_code(user):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="Phone", confirmed=True
    )
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def repayment(borrower, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    return loan_repay(loan=loan, amount="8884.88", reference="SLIP-7", date=datetime.date(2026, 2, 10)).repayment


def _url(repayment):
    return f"/api/loans/repayments/{repayment.pk}/reverse/"


def test_the_treasurer_reverses_with_a_reason_and_a_code_once(repayment, make_user, borrower):
    treasurer = make_user("wanjiru@sacco.example", role=roles.TREASURER)
    api = _api(treasurer)
    url = _url(repayment)

    no_reason = api.post(url, {"code": _totp_code(treasurer)}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    blank = api.post(url, {"reason": "   ", "code": "123456"}, format="json")
    assert blank.status_code == 400 and "reason" in blank.json()
    wrong_type = api.post(url, {"reason": {"a": 1}}, format="json")
    assert wrong_type.status_code == 400 and "reason" in wrong_type.json()

    no_code = api.post(url, {"reason": "Wrong member"}, format="json")
    assert no_code.status_code == 403 and "code" in no_code.json()
    assert not LoanRepaymentReversal.objects.exists()

    done = api.post(url, {"reason": "Wrong member", "code": _totp_code(treasurer)}, format="json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["reason"] == "Wrong member" and body["amount"] == "8884.88" and body["reference"] == "SLIP-7"
    assert body["returned_to"] == "1010" and body["reallocated"] == [] and body["loan_status"] == "active"
    assert account_balance(code="1100") == D("100000.00")  # 92,115.12 + 7,884.88 back on the loan
    assert loan_book_problems() == []
    call_command("ledger_check")

    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get(user=treasurer).throttle_reset()
    again = api.post(url, {"reason": "Wrong member", "code": _totp_code(treasurer)}, format="json")
    assert again.status_code in (403, 409)  # a TOTP code is used once; with a fresh browser session it is 409
    assert LoanRepaymentReversal.objects.count() == 1


def test_a_fresh_browser_session_needs_no_code_and_twice_is_409(client, repayment, make_user):
    admin = make_user("admin@sacco.example", role=roles.ADMINISTRATORS)
    sign_in_verified(client, admin, fresh=False)
    stale = client.post(_url(repayment), {"reason": "Typo in amount"}, content_type="application/json")
    assert stale.status_code == 403
    sign_in_verified(client, admin)
    done = client.post(_url(repayment), {"reason": "Typo in amount"}, content_type="application/json")
    assert done.status_code == 200, done.content
    twice = client.post(_url(repayment), {"reason": "Typo in amount"}, content_type="application/json")
    assert twice.status_code == 409


@pytest.mark.parametrize("role", [roles.CLERKS, roles.LOANS_OFFICERS, roles.CREDIT_COMMITTEE, roles.AUDITORS])
def test_other_staff_are_refused(repayment, make_user, role):
    user = make_user(f"{role.split()[0].lower()}@sacco.example", role=role)
    response = _api(user).post(_url(repayment), {"reason": "x", "code": _totp_code(user)}, format="json")
    assert response.status_code == 403
    assert not LoanRepaymentReversal.objects.exists()


def test_a_member_cannot_reverse_even_their_own(repayment, borrower):
    response = _api(borrower.user).post(
        _url(repayment), {"reason": "x", "code": _totp_code(borrower.user)}, format="json"
    )
    assert response.status_code == 403
    assert not LoanRepaymentReversal.objects.exists()


def test_an_unknown_repayment_is_404(make_user):
    import uuid

    treasurer = make_user("wanjiru@sacco.example", role=roles.TREASURER)
    response = _api(treasurer).post(
        f"/api/loans/repayments/{uuid.uuid4()}/reverse/", {"reason": "x", "code": "1"}, format="json"
    )
    assert response.status_code == 404


def test_the_path_is_in_the_schema(make_user):
    schema = _api(make_user("wanjiru@sacco.example", role=roles.TREASURER)).get(
        reverse("api:schema"), {"format": "json"}
    )
    operation = schema.json()["paths"]["/api/loans/repayments/{id}/reverse/"]["post"]
    assert {"200", "403", "409"} <= set(operation["responses"])
