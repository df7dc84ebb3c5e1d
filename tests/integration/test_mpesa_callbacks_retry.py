"""A C2B confirmation whose q2 task never ran (or crashed) is processed by the ten-minute retry job, once."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from django_q.models import Schedule

from portal.finance.ledger.selectors import account_balance
from portal.mpesa import jobs
from portal.mpesa.jobs import mpesa_callbacks_retry
from portal.mpesa.models import CallbackKind, MpesaCallback, MpesaReceipt
from tests.factories import c2b_body as _body

pytestmark = pytest.mark.django_db


def _stored(body, *, minutes_ago):
    callback = MpesaCallback.objects.create(kind=CallbackKind.C2B_CONFIRMATION, body=json.dumps(body))
    MpesaCallback.objects.filter(pk=callback.pk).update(
        received_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )
    return callback


def test_a_confirmation_left_unprocessed_is_posted_once_by_the_retry_job(member):
    lost = _stored(_body(member, trans_id="QKL9LOST01", amount="1500.00"), minutes_ago=30)
    fresh = _stored(_body(member, trans_id="QKL9FRESH1", amount="200.00"), minutes_ago=1)  # its task may still run

    assert mpesa_callbacks_retry() == {"retried": 1, "processed": 1, "failed": 0}
    lost.refresh_from_db()
    assert lost.processed_at is not None and "QKL9LOST01" in lost.outcome
    assert MpesaReceipt.objects.get(trans_id="QKL9LOST01").amount == Decimal("1500.00")
    assert account_balance(code="2000", member=member) == Decimal("1500.00")
    assert MpesaCallback.objects.get(pk=fresh.pk).processed_at is None

    assert mpesa_callbacks_retry() == {"retried": 0, "processed": 0, "failed": 0}  # nothing twice
    assert account_balance(code="2000", member=member) == Decimal("1500.00")


def test_one_callback_failing_again_does_not_stop_the_others(member, monkeypatch):
    _stored(_body(member, trans_id="QKL9BAD001"), minutes_ago=40)
    _stored(_body(member, trans_id="QKL9GOOD01", amount="300.00"), minutes_ago=20)
    real = jobs.import_string("portal.mpesa.c2b.c2b_confirmation_process_alone")

    def flaky(pk):
        if "QKL9BAD001" in MpesaCallback.objects.get(pk=pk).body:
            raise RuntimeError("database went away")
        return real(pk)

    monkeypatch.setattr(jobs, "import_string", lambda path: flaky)
    assert mpesa_callbacks_retry() == {"retried": 2, "processed": 1, "failed": 1}
    assert account_balance(code="2000", member=member) == Decimal("300.00")


def test_the_retry_job_is_scheduled_every_ten_minutes():
    schedule = Schedule.objects.get(func="portal.mpesa.jobs.mpesa_callbacks_retry")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 10, -1)
