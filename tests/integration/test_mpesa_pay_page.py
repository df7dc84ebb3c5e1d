"""The member's "Pay with M-Pesa" page (issue 15): choose, confirm the phone, and the status page goes from pending
(refreshing itself with a meta refresh, no script) to paid once Daraja's callback arrives, with the payment in the
ledger; bad input is a 400 naming the field; another member's payment is a 404."""

import json
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import TestCase

from portal.finance.ledger.selectors import account_balance
from portal.mpesa.models import MpesaReceipt, StkPush, StkStatus
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def paying(client, member):
    member.phone_number = "+254712345678"
    member.save(update_fields=["phone_number"])
    sign_in_verified(client, member.user)
    return member


def _deliver(client, fake):
    sent = fake.outbox[-1]
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            sent["url"].removeprefix("http://testserver"),
            data=json.dumps(sent["json"]),
            content_type="application/json",
        )


def test_the_page_offers_the_choices_with_the_phone_prefilled(client, paying, fake_daraja_offline):
    response = client.get("/portal/pay/")
    assert response.status_code == 200
    html = response.content.decode()
    assert len(response.content) < 60_000
    assert 'value="+254712345678"' in html
    assert "This month&#x27;s contribution" in html and "Any amount" in html
    assert "<script" not in html.split("<main", 1)[-1].split("</main>", 1)[0]
    assert 'href="/portal/pay/"' in client.get("/portal/more/").content.decode()


def test_pay_any_amount_shows_pending_then_paid_and_posts(client, paying, fake_daraja_offline):
    response = client.post(
        "/portal/pay/", {"what": "other", "other_purpose": "deposits", "amount": "1,500", "phone": "0712 345 678"}
    )
    push = StkPush.objects.get()
    assert response.status_code == 302 and response.url == f"/portal/pay/{push.pk}/"
    pending = client.get(response.url).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in pending and "Waiting for you to confirm" in pending
    assert _deliver(client, fake_daraja_offline).json()["ResultCode"] == 0
    paid = client.get(response.url).content.decode()
    push.refresh_from_db()
    assert push.status == StkStatus.PAID
    assert 'http-equiv="refresh"' not in paid and push.mpesa_receipt_number in paid
    assert account_balance(code="2000", member=paying) == D("1500.00")
    call_command("ledger_check")


def test_a_suggested_choice_pays_its_amount(client, paying, fake_daraja_offline):
    response = client.post("/portal/pay/", {"what": "contribution", "amount": "", "phone": "+254712345678"})
    assert response.status_code == 302
    push = StkPush.objects.get()
    assert push.purpose == "deposits" and push.amount > 0 and push.amount == push.amount.to_integral_value()
    share = client.post("/portal/pay/", {"what": "share_capital", "amount": "200", "phone": "+254712345678"})
    assert share.status_code == 302
    assert StkPush.objects.get(pk=int(share.url.rstrip("/").rsplit("/", 1)[1])).account_reference.endswith("S")


@pytest.mark.parametrize(
    ("data", "field_id"),
    [
        ({"what": "other", "amount": "12.50", "phone": "0712345678"}, "id_amount_error"),
        ({"what": "other", "amount": "1e30", "phone": "0712345678"}, "id_amount_error"),
        ({"what": "other", "amount": "300000", "phone": "0712345678"}, "id_amount_error"),
        ({"what": "other", "amount": "", "phone": "0712345678"}, "id_amount_error"),
        ({"what": "other", "amount": "100", "phone": "020 1234567"}, "id_phone_error"),
        ({"what": "lottery", "amount": "100", "phone": "0712345678"}, "id_what_error"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, paying, fake_daraja_offline, data, field_id):
    response = client.post("/portal/pay/", data)
    assert response.status_code == 400
    assert re.search(rf'id="{field_id}"', response.content.decode())
    assert StkPush.objects.count() == 0


def test_another_members_payment_is_404(client, paying, other_member, fake_daraja_offline):
    client.post("/portal/pay/", {"what": "other", "amount": "100", "phone": "0712345678"})
    push = StkPush.objects.get()
    sign_in_verified(client, other_member.user)
    assert client.get(f"/portal/pay/{push.pk}/").status_code == 404
    assert client.get("/portal/pay/999999/").status_code == 404


def test_a_cancelled_payment_says_so(client, paying, fake_daraja_offline):
    fake_daraja_offline.set_outcome("cancelled")
    response = client.post("/portal/pay/", {"what": "other", "amount": "100", "phone": "0712345678"})
    _deliver(client, fake_daraja_offline)
    html = client.get(response.url).content.decode()
    assert "Cancelled" in html and 'http-equiv="refresh"' not in html
    assert MpesaReceipt.objects.count() == 0


def test_the_next_loan_instalment_is_suggested_and_repays_the_loan(
    client, borrower, products, staff_user, fake_daraja_offline
):
    import math

    from django.utils import timezone

    from portal.loans.member_position import member_loan_position
    from portal.loans.models import LoanRepayment
    from tests.factories import loan_disbursed

    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    sign_in_verified(client, borrower.user)
    position = member_loan_position(member=borrower, today=timezone.localdate())
    (held,) = position.loans
    due = (held.arrears.amount if held.arrears else D("0")) + (
        held.next_instalment.amount
        if held.next_instalment and (held.arrears is None or held.next_instalment.due_date >= timezone.localdate())
        else D("0")
    )
    expected = D(math.ceil(due))
    assert f"Next loan instalment — KES {expected:,.0f}" in client.get("/portal/pay/").content.decode()
    response = client.post("/portal/pay/", {"what": "loan", "amount": "", "phone": "0712345678"})
    assert response.status_code == 302
    push = StkPush.objects.get()
    assert push.amount == expected and push.account_reference.endswith("L")
    _deliver(client, fake_daraja_offline)
    push.refresh_from_db()
    assert push.status == StkStatus.PAID
    repayment = LoanRepayment.objects.get(loan=loan)
    assert repayment.amount == expected
    assert account_balance(code="2300", member=borrower) == D("0.00")
    call_command("ledger_check")


def test_insufficient_funds_is_said_plainly(client, paying, fake_daraja_offline):
    fake_daraja_offline.set_outcome("insufficient")
    response = client.post("/portal/pay/", {"what": "other", "amount": "100", "phone": "0712345678"})
    _deliver(client, fake_daraja_offline)
    html = client.get(response.url).content.decode()
    assert "Failed" in html and "balance was not enough" in html
    assert MpesaReceipt.objects.count() == 0
