"""The fake Daraja's callbacks over real HTTP (issue 15): with the `fake_daraja` fixture the STK result reaches the
live server's callback view, is stored, processed by the q2 task (sync in tests) and posts the payment once."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from portal.finance.ledger.selectors import account_balance
from portal.mpesa.models import MpesaCallback, MpesaReceipt, StkStatus
from portal.mpesa.receipts import Purpose
from portal.mpesa.stk import stk_push_start

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_stk_result_reaches_the_live_server_and_posts(make_member, fake_daraja):
    member = make_member()
    push = stk_push_start(member=member, purpose=Purpose.SHARE_CAPITAL, amount="1000", phone="0712345678")
    fake_daraja.wait_idle()
    push.refresh_from_db()
    sent = fake_daraja.outbox[0]
    assert sent["status"] == 200 and sent["answer"] == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert push.status == StkStatus.PAID
    assert MpesaReceipt.objects.get().trans_id == push.mpesa_receipt_number
    assert account_balance(code="3000", member=member) == Decimal("1000.00")
    assert MpesaCallback.objects.get().processed_at is not None
    call_command("ledger_check")
