"""STK push (issue 15) against the fake Daraja, the callbacks posted through Django's test client: a paid push posts
once under its M-Pesa receipt (a replay or a C2B confirmation of the same receipt posts nothing), a cancelled or
failed one only changes its status, a wrong token stores nothing, a callback for a push that never existed is stored
and answered, the query job settles pushes whose callback never came, bad input names its field, and ledger_check is
clean after all of it."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from portal.finance.ledger.selectors import account_balance
from portal.mpesa.models import MpesaCallback, MpesaReceipt, StkPush, StkStatus
from portal.mpesa.receipts import Purpose, mpesa_receipt_post
from portal.mpesa.stk import StkPushRefused, account_reference, stk_push_start, stk_pushes_query

pytestmark = pytest.mark.django_db
D = Decimal


def _deliver(client, fake, index=-1, *, body=None):
    """Post the fake's callback (the last by default) to our view, running its q2 task after commit."""
    sent = fake.outbox[index]
    path = sent["url"].removeprefix("http://testserver")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(path, data=body or json.dumps(sent["json"]), content_type="application/json")
    return response


def _start(member, purpose=Purpose.DEPOSITS, amount="1500", phone="0712 345 678"):
    return stk_push_start(member=member, purpose=purpose, amount=amount, phone=phone)


def test_a_paid_push_posts_once_under_its_receipt(client, member, fake_daraja_offline):
    push = _start(member)
    assert push.status == StkStatus.PENDING and push.checkout_request_id.startswith("ws_CO_")
    sent = fake_daraja_offline.calls("/mpesa/stkpush/v1/processrequest")[0]["json"]
    assert sent["Amount"] == 1500 and sent["PhoneNumber"] == "254712345678"
    assert sent["AccountReference"] == account_reference(member, Purpose.DEPOSITS)
    response = _deliver(client, fake_daraja_offline)
    assert response.status_code == 200 and response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    push.refresh_from_db()
    receipt_number = fake_daraja_offline.pushes[push.checkout_request_id]["receipt"]
    assert push.status == StkStatus.PAID and push.mpesa_receipt_number == receipt_number
    receipt = MpesaReceipt.objects.get(trans_id=receipt_number)
    assert receipt.amount == D("1500.00") and receipt.member == member and receipt.channel == "stk"
    assert account_balance(code="2000", member=member) == D("1500.00")
    entries_before = MpesaReceipt.objects.count()
    # Daraja sends it again; then the C2B confirmation of the same payment arrives.
    assert _deliver(client, fake_daraja_offline).json()["ResultCode"] == 0
    again = mpesa_receipt_post(
        trans_id=receipt_number,
        member=member,
        purpose=Purpose.DEPOSITS,
        amount=D("1500.00"),
        paid_at=timezone.now(),
        phone="254712345678",
    )
    assert again.created is False
    assert MpesaReceipt.objects.count() == entries_before
    assert MpesaCallback.objects.filter(kind="stk_result").count() == 2
    assert "already paid" in MpesaCallback.objects.order_by("pk").last().outcome
    call_command("ledger_check")


def test_share_capital_and_loan_references(member):
    assert account_reference(member, Purpose.SHARE_CAPITAL).endswith("S")
    assert account_reference(member, Purpose.LOAN_REPAYMENT).endswith("L")
    assert len(account_reference(member, Purpose.LOAN_REPAYMENT)) <= 12
    from portal.mpesa.receipts import reference_parse

    assert reference_parse(account_reference(member, Purpose.LOAN_REPAYMENT)) == (member, Purpose.LOAN_REPAYMENT)
    assert reference_parse(account_reference(member, Purpose.DEPOSITS)) == (member, Purpose.DEPOSITS)


@pytest.mark.parametrize(
    ("outcome", "status", "code"), [("cancelled", "cancelled", "1032"), ("insufficient", "failed", "1")]
)
def test_cancelled_or_failed_pushes_post_nothing(client, member, fake_daraja_offline, outcome, status, code):
    fake_daraja_offline.set_outcome(outcome)
    push = _start(member)
    _deliver(client, fake_daraja_offline)
    push.refresh_from_db()
    assert push.status == status and push.result_code == code
    assert MpesaReceipt.objects.count() == 0
    call_command("ledger_check")


def test_a_wrong_token_stores_nothing_and_posts_nothing(client, member, fake_daraja_offline):
    push = _start(member)
    sent = fake_daraja_offline.outbox[-1]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/api/mpesa/stk/callback/not-the-token/", data=json.dumps(sent["json"]), content_type="application/json"
        )
    assert response.status_code == 404
    assert MpesaCallback.objects.count() == 0
    push.refresh_from_db()
    assert push.status == StkStatus.PENDING


def test_a_disallowed_source_is_refused(client, member, fake_daraja_offline, settings):
    settings.MPESA_ALLOWED_IPS = ["196.201.214.0/24"]
    _start(member)
    assert _deliver(client, fake_daraja_offline).status_code == 403
    assert MpesaReceipt.objects.count() == 0


def test_a_callback_for_a_push_that_never_existed_is_stored_and_answered(client, member, fake_daraja_offline):
    push = _start(member)
    sent = fake_daraja_offline.outbox[-1]
    StkPush.objects.filter(pk=push.pk).delete()
    response = _deliver(client, fake_daraja_offline)
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    stored = MpesaCallback.objects.get()
    assert json.loads(stored.body) == sent["json"] and stored.outcome.startswith("No STK push")
    assert MpesaReceipt.objects.count() == 0


def test_an_unreadable_callback_is_stored_and_answered(client, fake_daraja_offline, settings):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/api/mpesa/stk/callback/{settings.MPESA_CALLBACK_TOKEN}/",
            data="{not json",
            content_type="application/json",
        )
    assert response.json()["ResultCode"] == 0
    assert MpesaCallback.objects.get().outcome.startswith("Unreadable")


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        ("10.50", "amount"),
        ("0", "amount"),
        ("250001", "amount"),
        ("1e30", "amount"),
        ("abc", "amount"),
        ("-5", "amount"),
    ],
)
def test_bad_amounts_name_the_field(member, fake_daraja_offline, amount, field):
    with pytest.raises(ValidationError) as caught:
        _start(member, amount=amount)
    assert field in caught.value.message_dict
    assert StkPush.objects.count() == 0 and fake_daraja_offline.calls("/mpesa/stkpush/v1/processrequest") == []


def test_bad_phone_and_purpose_name_the_field(member, fake_daraja_offline):
    with pytest.raises(ValidationError) as caught:
        _start(member, phone="020 123 4567")
    assert "phone" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        _start(member, purpose="holiday")
    assert "purpose" in caught.value.message_dict


def test_a_member_has_only_a_few_pending_pushes(member, other_member, fake_daraja_offline):
    for _ in range(3):
        fake_daraja_offline.set_outcome("pending")
        _start(member)
    with pytest.raises(StkPushRefused):
        _start(member)
    assert _start(other_member).status == StkStatus.PENDING


def test_daraja_unreachable_fails_the_push_without_charging(member, settings):
    settings.MPESA_BASE_URL = "http://127.0.0.1:9"
    settings.MPESA_HTTP_TIMEOUT = 1
    push = _start(member)
    assert push.status == StkStatus.FAILED and "could not be reached" in push.result_desc


def _age(push, seconds=600):
    StkPush.objects.filter(pk=push.pk).update(created_at=timezone.now() - datetime.timedelta(seconds=seconds))


def test_the_query_job_settles_a_push_whose_callback_never_came(member, fake_daraja_offline):
    fake_daraja_offline.set_outcome("no_callback")
    paid = _start(member, amount="700")
    fake_daraja_offline.set_outcome("pending")
    waiting = _start(member)
    fresh = _start(member)  # too young to be asked about
    assert fake_daraja_offline.outbox == [fake_daraja_offline.outbox[0]]  # only `fresh` got a callback
    _age(paid)
    _age(waiting)
    counts = stk_pushes_query()
    assert counts["settled"] == 1 and counts["waiting"] == 1
    paid.refresh_from_db()
    waiting.refresh_from_db()
    fresh.refresh_from_db()
    assert paid.status == StkStatus.PAID and paid.mpesa_receipt_number == f"STK-{paid.checkout_request_id}".upper()
    assert MpesaReceipt.objects.get().amount == D("700.00")
    assert waiting.status == StkStatus.PENDING and waiting.queried_at is not None
    assert fresh.status == StkStatus.PENDING and fresh.queried_at is None
    assert stk_pushes_query()["settled"] == 0  # nothing settles twice
    assert MpesaReceipt.objects.count() == 1
    call_command("ledger_check")


def test_the_query_schedule_exists():
    from django_q.models import Schedule

    assert Schedule.objects.filter(func="portal.mpesa.stk.stk_pushes_query", schedule_type="I").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_callback_and_the_query_job_racing_post_once(make_member, fake_daraja_offline):
    """Daraja's result arrives while the query job is settling the same push: the push row is locked, one wins."""
    from portal.mpesa.receipts import paybill_account
    from portal.mpesa.stk import stk_settle
    from tests.factories import run_together

    member = make_member()
    paybill_account()
    push = _start(member, amount="900")
    receipt = fake_daraja_offline.pushes[push.checkout_request_id]["receipt"]

    def by_callback():
        return stk_settle(
            checkout_request_id=push.checkout_request_id, result_code=0, receipt_number=receipt, amount=900.0
        )

    def by_query():
        return stk_settle(checkout_request_id=push.checkout_request_id, result_code=0, result_desc="processed")

    results, errors = run_together([by_callback, by_query, by_callback])
    assert errors == []
    assert sum("posted" in r and "nothing posted" not in r and "already" not in r for r in results) == 1
    assert MpesaReceipt.objects.count() == 1
    assert account_balance(code="2000", member=member) == D("900.00")
    call_command("ledger_check")


def test_the_query_job_gives_up_after_a_day_and_fails_unstarted_pushes(member, fake_daraja_offline, settings):
    fake_daraja_offline.set_outcome("pending")
    stuck = _start(member)
    _age(stuck, seconds=25 * 3600)
    unstarted = StkPush.objects.create(member=member, phone="+254712345678", amount=D("50"), purpose="deposits")
    _age(unstarted)
    counts = stk_pushes_query()
    assert counts["settled"] == 1 and counts["unstarted"] == 1
    stuck.refresh_from_db()
    unstarted.refresh_from_db()
    assert stuck.status == StkStatus.FAILED and "being processed" in stuck.result_desc
    assert unstarted.status == StkStatus.FAILED
    assert MpesaReceipt.objects.count() == 0


def test_a_query_daraja_refuses_leaves_the_push_pending(member, fake_daraja_offline, settings):
    fake_daraja_offline.set_outcome("no_callback")
    push = _start(member)
    _age(push)
    settings.MPESA_PASSKEY = "rotated-wrongly"
    assert stk_pushes_query()["errors"] == 1
    push.refresh_from_db()
    assert push.status == StkStatus.PENDING and push.queried_at is not None
