"""C2B paybill callbacks (issue 15): the token and the sender's address are checked before anything is stored,
every callback is stored raw, validation answers in Daraja's codes, a confirmation posts once per TransID through
a django-q2 task (sync in tests), bad amounts and unknown references post nothing or wait in 2300, and ledger_check
is clean after all of them. Another member sees none of it."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from portal.contributions.models import MonthlyContribution
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.mpesa.models import CallbackKind, MpesaCallback, MpesaReceipt, ReceiptStatus
from tests.conftest import sign_in_verified
from tests.factories import c2b_body as _body

pytestmark = pytest.mark.django_db
D = Decimal
TOKEN = "test-callback-token-0123456789abcdef0123456789abcdef"


def _send(client, kind, body, *, token=TOKEN, capture=None, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    url = f"/api/mpesa/c2b/{kind}/{token}/"
    if capture is None:
        return client.post(url, data=data, content_type="application/json", **headers)
    with capture(execute=True):
        return client.post(url, data=data, content_type="application/json", **headers)


@pytest.fixture
def confirm(client, django_capture_on_commit_callbacks):
    def _confirm(body, **kwargs):
        return _send(client, "confirmation", body, capture=django_capture_on_commit_callbacks, **kwargs)

    return _confirm


# --- validation ----------------------------------------------------------------------------------------------------
def test_validation_accepts_a_member_s_reference_and_stores_the_request(client, member):
    response = _send(client, "validation", _body(member, ref=f"{member.membership_number}-S"))
    assert response.status_code == 200
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    stored = MpesaCallback.objects.get()
    assert stored.kind == CallbackKind.C2B_VALIDATION and "QKL1ABC2DE" in stored.body
    assert stored.outcome == "accepted" and stored.processed_at is not None
    assert JournalEntry.objects.count() == 0  # validation posts nothing


def test_validation_rejects_an_unknown_reference_with_c2b00012(client, db, settings):
    settings.MPESA_C2B_VALIDATE_REFERENCE = True
    response = _send(client, "validation", _body(ref="MB-209901-00001"))
    assert response.json() == {"ResultCode": "C2B00012", "ResultDesc": "Rejected"}
    assert MpesaCallback.objects.get().outcome == "rejected C2B00012"


def test_validation_accepts_any_reference_when_the_setting_is_off(client, db, settings):
    settings.MPESA_C2B_VALIDATE_REFERENCE = False
    assert _send(client, "validation", _body(ref="anything"))["content-type"] == "application/json"
    assert _send(client, "validation", _body(ref="x", trans_id="QKL1ABC2DF")).json()["ResultCode"] == 0


@pytest.mark.parametrize("amount", ["abc", "1e30", "NaN", "-100", "100.001", "", "1,00", True, None])
def test_validation_rejects_a_bad_amount_with_c2b00013(client, member, amount):
    response = _send(client, "validation", _body(member, amount=amount))
    assert response.status_code == 200
    assert response.json() == {"ResultCode": "C2B00013", "ResultDesc": "Rejected"}


def test_validation_of_a_body_that_is_not_daraja_s_is_rejected_not_a_500(client, db):
    for body in ["not json", "[1, 2]", '{"TransID": {"a": 1}}', '{"TransAmount": NaN}', "[" * 5000]:
        response = _send(client, "validation", body)
        assert response.status_code == 200 and response.json()["ResultCode"] == "C2B00016"


def test_validation_rejects_another_shortcode(client, member):
    response = _send(client, "validation", _body(member, BusinessShortCode="999999"))
    assert response.json()["ResultCode"] == "C2B00015"


# --- the door ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["validation", "confirmation"])
def test_a_wrong_token_is_refused_and_nothing_is_stored_or_posted(
    client, member, kind, django_capture_on_commit_callbacks
):
    for token in ["wrong", TOKEN[:-1], TOKEN + "x"]:
        response = _send(client, kind, _body(member), token=token, capture=django_capture_on_commit_callbacks)
        assert response.status_code == 403 and "detail" in response.json()
    assert MpesaCallback.objects.count() == 0 and MpesaReceipt.objects.count() == 0
    assert JournalEntry.objects.filter(idempotency_key__contains="QKL1ABC2DE").count() == 0


def test_wrong_tokens_are_throttled_per_address_but_daraja_is_not(client, db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "h4"}}
    codes = [_send(client, "validation", _body(), token="guess").status_code for _ in range(35)]
    assert 429 in codes
    assert _send(client, "validation", _body(ref="x")).status_code == 200  # the right token: never throttled


def test_a_sender_outside_the_allowed_addresses_is_refused(client, member, settings, confirm):
    settings.MPESA_ALLOWED_IPS = ["196.201.214.0/24"]
    response = confirm(_body(member), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 403
    assert MpesaCallback.objects.count() == 0 and MpesaReceipt.objects.count() == 0
    assert confirm(_body(member), REMOTE_ADDR="196.201.214.200").status_code == 200
    assert MpesaReceipt.objects.count() == 1


def test_callbacks_need_no_session_csrf_or_second_factor(member, confirm):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    assert _send(csrf_client, "validation", _body(member)).status_code == 200
    assert confirm(_body(member)).status_code == 200


# --- confirmation --------------------------------------------------------------------------------------------------
def test_a_confirmation_posts_the_deposit_once_however_often_it_comes(member, confirm):
    for _ in range(3):
        response = confirm(_body(member))
        assert response.status_code == 200 and response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    receipt = MpesaReceipt.objects.get()
    assert receipt.trans_id == "QKL1ABC2DE" and receipt.status == ReceiptStatus.POSTED
    assert receipt.payer_name == "AMINA W WANJIRU" and receipt.phone == "254712345678"
    assert receipt.paid_at.isoformat() == "2026-02-25T07:30:00+00:00"  # 10:30 in Nairobi
    assert MonthlyContribution.objects.get(member=member).amount == D("1500.00")
    assert account_balance(code="2000", member=member) == D("1500.00")
    callbacks = list(MpesaCallback.objects.order_by("pk"))
    assert len(callbacks) == 3 and all(c.processed_at for c in callbacks)
    assert "posted to Deposits for 2026-02" in callbacks[0].outcome
    assert all("already posted" in c.outcome for c in callbacks[1:])
    call_command("ledger_check")


@pytest.mark.parametrize(
    "amount", ["abc", "1e30", "NaN", "Infinity", "-100", "100.001", "0", "", "1,00", True, None, {"x": 1}]
)
def test_a_confirmation_with_a_bad_amount_posts_nothing_and_says_why(member, confirm, amount):
    response = confirm(_body(member, amount=amount))
    assert response.status_code == 200 and response.json()["ResultCode"] == 0
    callback = MpesaCallback.objects.get()
    assert callback.processed_at is not None and callback.outcome.startswith("refused, nothing posted (TransAmount)")
    assert MpesaReceipt.objects.count() == 0 and JournalEntry.objects.count() == 0


def test_a_json_number_amount_is_read_as_decimal_not_float(member, confirm):
    confirm('{"TransID": "QKL1ABC2DE", "TransAmount": 1234.56, "BillRefNumber": "' + member.membership_number + '"}')
    assert MpesaReceipt.objects.get().amount == D("1234.56")
    call_command("ledger_check")


def test_a_confirmation_with_a_bad_body_posts_nothing(db, confirm):
    for body in ["not json", '{"TransAmount": "10"}', '{"TransID": "A B", "TransAmount": "10"}']:
        assert confirm(body).status_code == 200
    assert all(c.outcome.startswith("refused") for c in MpesaCallback.objects.all())
    assert JournalEntry.objects.count() == 0


def test_an_unknown_reference_waits_in_2300_with_no_member(db, confirm):
    confirm(_body(ref="WRONG123", amount="800"))
    receipt = MpesaReceipt.objects.get()
    assert receipt.status == ReceiptStatus.UNALLOCATED and receipt.member is None and receipt.reference == "WRONG123"
    line = receipt.entry.lines.get(account__code="2300")
    assert line.credit == D("800.00") and line.member_id is None
    assert "unallocated receipts" in MpesaCallback.objects.get().outcome
    call_command("ledger_check")


def test_a_loan_reference_for_a_member_without_a_loan_waits_in_2300_for_them(member, confirm):
    confirm(_body(member, ref=f"{member.membership_number}-L", amount="2500"))
    receipt = MpesaReceipt.objects.get()
    assert receipt.status == ReceiptStatus.UNALLOCATED and receipt.member == member
    assert account_balance(code="2300", member=member) == D("2500.00")
    call_command("ledger_check")


def test_a_bad_trans_time_uses_the_time_received(member, confirm):
    confirm(_body(member, TransTime="yesterday"))
    receipt = MpesaReceipt.objects.get()
    assert receipt.paid_at == MpesaCallback.objects.get().received_at
    call_command("ledger_check")


def test_the_same_trans_id_with_another_amount_is_refused(member, confirm):
    confirm(_body(member, amount="1500"))
    confirm(_body(member, amount="15000"))
    assert MpesaReceipt.objects.get().amount == D("1500.00")
    assert "was already posted for KES 1,500.00" in MpesaCallback.objects.order_by("pk").last().outcome
    assert account_balance(code="2000", member=member) == D("1500.00")
    call_command("ledger_check")


def test_a_processed_callback_is_not_processed_again(member, confirm):
    from portal.mpesa.c2b import c2b_confirmation_process

    confirm(_body(member))
    callback = MpesaCallback.objects.get()
    assert "already processed" in c2b_confirmation_process(callback.pk)
    assert MpesaReceipt.objects.count() == 1


def test_everything_together_leaves_the_ledger_clean(member, borrower, products, staff_user, confirm):
    from tests.factories import loan_disbursed

    loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    confirm(_body(member, trans_id="QA1"))
    confirm(_body(member, trans_id="QA1"))  # replay
    confirm(_body(member, trans_id="QA2", ref=f"{member.membership_number}-S", amount="300"))
    confirm(_body(borrower, trans_id="QA3", ref=f"{borrower.membership_number}-L", amount="5000"))
    confirm(_body(member, trans_id="QA4", ref=f"{member.membership_number}-L"))  # no loan
    confirm(_body(trans_id="QA5", ref="??"))  # unknown
    confirm(_body(member, trans_id="QA6", amount="1e30"))  # bad amount
    assert MpesaReceipt.objects.count() == 5
    assert account_balance(code="2300", member=borrower) == D("0.00")
    call_command("ledger_check")


# --- privacy -------------------------------------------------------------------------------------------------------
def test_another_member_sees_nothing_of_it(client, member, other_member, confirm):
    confirm(_body(member, trans_id="QPRIV00001"))
    confirm(_body(trans_id="QPRIV00002", ref="??"))
    sign_in_verified(client, other_member.user)
    assert client.get(f"/api/members/{member.pk}/contributions/").status_code == 404
    own = client.get("/api/contributions/monthly/")
    assert own.status_code == 200 and "QPRIV" not in own.content.decode()
    statement = client.get("/portal/")
    assert "QPRIV" not in statement.content.decode()
    assert client.get("/admin/mpesa/unallocated/").status_code in (302, 403)
