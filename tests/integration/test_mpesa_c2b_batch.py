"""C2B confirmations waiting together are posted by one task in one transaction (issue 15's month-end burst):
the plain deposits and share capital in a few statements, every other kind one by one as before — with exactly
the postings, receipts and outcomes each would have had alone, and nothing twice."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.members.models import MemberStatus
from portal.mpesa.c2b import c2b_confirmation_process
from portal.mpesa.models import CallbackKind, MpesaCallback, MpesaReceipt, ReceiptStatus
from tests.factories import c2b_body

pytestmark = pytest.mark.django_db
D = Decimal


def _stored(body) -> MpesaCallback:
    """A confirmation as the view stores it before its task runs."""
    data = body if isinstance(body, str) else json.dumps(body)
    return MpesaCallback.objects.create(kind=CallbackKind.C2B_CONFIRMATION, body=data)


def _outcome(callback) -> str:
    callback.refresh_from_db()
    assert callback.processed_at is not None, callback.body
    return callback.outcome


def test_one_task_posts_every_waiting_confirmation_each_as_it_would_alone(make_member):
    amina, baraka, gone = make_member("amina@example.com"), make_member("baraka@example.com"), make_member("x@e.com")
    gone.status = MemberStatus.EXITED
    gone.save(update_fields=["status"])
    first = _stored(c2b_body(amina, trans_id="QBATCH0001", amount="1000.00"))
    share = _stored(c2b_body(baraka, trans_id="QBATCH0002", amount="500.00", ref=f"{baraka.membership_number}-S"))
    loan = _stored(c2b_body(amina, trans_id="QBATCH0003", amount="250.00", ref=f"{amina.membership_number}-L"))
    unknown = _stored(c2b_body(trans_id="QBATCH0004", amount="70.00", ref="SOMEONE"))
    exited = _stored(c2b_body(gone, trans_id="QBATCH0005", amount="80.00"))
    bad = _stored(c2b_body(amina, trans_id="QBATCH0006", amount="1e30"))
    again = _stored(c2b_body(amina, trans_id="QBATCH0001", amount="1000.00"))  # Daraja sent it twice
    other = _stored(c2b_body(baraka, trans_id="QBATCH0007", amount="300.00"))

    c2b_confirmation_process(first.pk)

    assert _outcome(first) == "QBATCH0001 KES 1,000.00 posted to Deposits for 2026-02"  # TransTime 25 Feb 2026
    assert _outcome(share) == "QBATCH0002 KES 500.00 posted to Share capital"
    assert _outcome(loan) == "QBATCH0003 KES 250.00 posted to unallocated receipts (2300)"  # Amina has no loan
    assert _outcome(unknown) == "QBATCH0004 KES 70.00 posted to unallocated receipts (2300)"
    assert _outcome(exited) == "QBATCH0005 KES 80.00 posted to unallocated receipts (2300)"
    assert _outcome(bad).startswith("refused, nothing posted (TransAmount)")
    assert _outcome(again) == "QBATCH0001 already posted: nothing posted again"
    assert _outcome(other).startswith("QBATCH0007 KES 300.00 posted to Deposits for")

    # 1,000 to Amina's deposits; 300 to Baraka's and 500 to his share capital; 250 + 70 + 80 wait in 2300.
    assert account_balance(code="2000", member=amina) == D("1000.00")
    assert account_balance(code="2000", member=baraka) == D("300.00")
    assert account_balance(code="3000", member=baraka) == D("500.00")
    assert account_balance(code="2300") == D("400.00")
    assert MpesaReceipt.objects.count() == 6
    assert MpesaReceipt.objects.get(trans_id="QBATCH0002").status == ReceiptStatus.POSTED
    assert MpesaReceipt.objects.get(trans_id="QBATCH0004").status == ReceiptStatus.UNALLOCATED
    assert JournalEntry.objects.count() == 6  # one entry per receipt, none for the replay or the bad amount
    call_command("ledger_check")


def test_the_tasks_after_the_batch_find_theirs_done_and_post_nothing(make_member):
    amina = make_member("amina@example.com")
    callbacks = [_stored(c2b_body(amina, trans_id=f"QBATCH01{i:02d}", amount="600.00")) for i in range(5)]
    c2b_confirmation_process(callbacks[0].pk)
    entries = JournalEntry.objects.count()
    for callback in callbacks[1:]:
        assert "already processed" in c2b_confirmation_process(callback.pk)
    assert JournalEntry.objects.count() == entries == 5
    assert account_balance(code="2000", member=amina) == D("3000.00")


def test_a_batch_costs_a_few_statements_not_some_thirty_per_confirmation(make_member):
    members = [make_member(f"m{i}@example.com") for i in range(10)]
    callbacks = [
        _stored(c2b_body(members[i % 10], trans_id=f"QBATCH02{i:02d}", amount="700.00"))
        for i in range(40)  # four each
    ]
    c2b_confirmation_process(callbacks[0].pk)  # first postings create the members' summaries
    more = [_stored(c2b_body(members[i % 10], trans_id=f"QBATCH03{i:02d}", amount="700.00")) for i in range(40)]
    with CaptureQueriesContext(connection) as queries:
        c2b_confirmation_process(more[0].pk)
    assert MpesaReceipt.objects.count() == 80
    assert len(queries) <= 40, "\n".join(q["sql"][:120] for q in queries.captured_queries)


def test_a_row_the_savings_service_refuses_is_posted_alone_and_the_others_in_the_batch(make_member, settings):
    amina, baraka = make_member("amina@example.com"), make_member("baraka@example.com")
    settings.MPESA_C2B_BATCH = 50
    # A counter payment already took the reference Baraka's TransID will carry: payments_record refuses the row.
    from portal.contributions.services import MONTHLY, PaymentItem, payments_record

    payments_record(kind=MONTHLY, items=[PaymentItem(baraka, "2000.00", period="2026-01", reference="QBATCH0401")])
    ok = _stored(c2b_body(amina, trans_id="QBATCH0400", amount="900.00"))
    clash = _stored(c2b_body(baraka, trans_id="QBATCH0401", amount="400.00"))
    c2b_confirmation_process(ok.pk)
    assert _outcome(ok).startswith("QBATCH0400 KES 900.00 posted to Deposits")
    # Alone, the refused one waits in 2300 for staff, with the reason, exactly as without the batch.
    assert _outcome(clash) == "QBATCH0401 KES 400.00 posted to unallocated receipts (2300)"
    assert "already used" in MpesaReceipt.objects.get(trans_id="QBATCH0401").note
    assert account_balance(code="2000", member=amina) == D("900.00")
    assert account_balance(code="2000", member=baraka) == D("2000.00")
    call_command("ledger_check")


def test_with_a_batch_of_one_each_task_posts_only_its_own(make_member, settings):
    settings.MPESA_C2B_BATCH = 1
    amina = make_member("amina@example.com")
    first, second = (_stored(c2b_body(amina, trans_id=f"QBATCH050{i}", amount="600.00")) for i in range(2))
    c2b_confirmation_process(first.pk)
    second.refresh_from_db()
    assert _outcome(first).startswith("QBATCH0500") and second.processed_at is None


def test_a_batch_of_replays_posts_nothing_and_a_changed_amount_is_refused(make_member):
    amina = make_member("amina@example.com")
    first = [_stored(c2b_body(amina, trans_id=f"QBATCH06{i:02d}", amount="600.00")) for i in range(3)]
    c2b_confirmation_process(first[0].pk)
    entries = JournalEntry.objects.count()
    replays = [_stored(c2b_body(amina, trans_id=f"QBATCH06{i:02d}", amount="600.00")) for i in range(3)]
    changed = _stored(c2b_body(amina, trans_id="QBATCH0600", amount="6000.00"))
    c2b_confirmation_process(replays[0].pk)
    assert [_outcome(r) for r in replays] == [f"QBATCH06{i:02d} already posted: nothing posted again" for i in range(3)]
    assert _outcome(changed).startswith("refused, nothing posted: QBATCH0600 was already posted for KES 600.00")
    assert JournalEntry.objects.count() == entries == 3
    assert account_balance(code="2000", member=amina) == D("1800.00")
