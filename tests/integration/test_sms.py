"""Issue 15: sms_send stores every SMS, rate-limits per member and never raises; notify follows the member's
channel per kind of message (the inbox entry always)."""

import pytest
from django.core import mail
from django.test import TestCase

from portal.notifications import sms
from portal.notifications.models import Channel, MessageKind, MessagePreference, SmsMessage, SmsStatus
from portal.notifications.selectors import message_channel
from portal.notifications.services import notify
from portal.notifications.sms import sms_send

pytestmark = pytest.mark.django_db

PHONE = "+254712345678"


@pytest.fixture
def texted_member(make_member):
    return make_member("wanjiku@example.com", phone_number=PHONE)


def test_sms_send_stores_a_gsm7_row_and_sends_it(texted_member):
    before = len(sms.outbox)
    message = sms_send(to=PHONE, text="Received KES 1,000 – thank you…", user=texted_member.user)
    assert message.status == SmsStatus.SENT and message.sent_at is not None
    assert message.text == "Received KES 1,000 - thank you..." and message.kind == MessageKind.GENERAL
    assert sms.outbox[before:] == [(PHONE, "Received KES 1,000 - thank you...")]


class _DownGateway:
    def send(self, *, to, text):
        raise ConnectionError("gateway unreachable")


def test_a_gateway_that_is_down_marks_the_row_failed_and_does_not_raise(texted_member, settings, caplog):
    settings.SMS_BACKEND = f"{__name__}._DownGateway"
    message = sms_send(to=PHONE, text="hello", user=texted_member.user, kind=MessageKind.LOAN_DECISION)
    assert message.status == SmsStatus.FAILED and "gateway unreachable" in message.failure_reason
    assert "gateway unreachable" in caplog.text


def test_a_number_not_in_international_form_is_stored_failed_not_sent(texted_member):
    before = len(sms.outbox)
    message = sms_send(to="0712345678", text="hello", user=texted_member.user)
    assert message.status == SmsStatus.FAILED and len(sms.outbox) == before


def test_nothing_to_send_stores_nothing(texted_member):
    assert sms_send(to=PHONE, text="  👋 ", user=texted_member.user) is None
    assert sms_send(to="", text="hello") is None
    assert not SmsMessage.objects.exists()


def test_more_than_the_hourly_limit_per_member_is_dropped_and_logged(texted_member, other_member, settings, caplog):
    settings.SMS_MAX_PER_MEMBER_PER_HOUR = 3
    sent = [sms_send(to=PHONE, text=f"n{i}", user=texted_member.user) for i in range(5)]
    assert [m is not None for m in sent] == [True, True, True, False, False]
    assert SmsMessage.objects.filter(user=texted_member.user).count() == 3
    assert "dropped" in caplog.text
    # another member is counted on their own
    assert sms_send(to="+254700000001", text="hi", user=other_member.user) is not None


def test_defaults_per_kind(texted_member):
    user = texted_member.user
    assert message_channel(user=user, kind=MessageKind.PAYMENT_RECEIVED) == Channel.BOTH
    assert message_channel(user=user, kind=MessageKind.SIGN_IN_CODE) == Channel.EMAIL
    assert message_channel(user=user, kind=MessageKind.GENERAL) == Channel.EMAIL
    MessagePreference.objects.create(user=user, kind=MessageKind.PAYMENT_RECEIVED, channel=Channel.SMS)
    assert message_channel(user=user, kind=MessageKind.PAYMENT_RECEIVED) == Channel.SMS


def _notify(user, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return notify(user=user, subject="Payment received", template="generic", context={"body": "x"}, **kwargs)


def test_notify_by_default_emails_and_texts_a_payment(texted_member):
    before = len(sms.outbox)
    note = _notify(texted_member.user, kind=MessageKind.PAYMENT_RECEIVED, sms_text="Received KES 500.")
    assert len(mail.outbox) == 1 and sms.outbox[before:] == [(PHONE, "Received KES 500.")]
    assert note.user == texted_member.user
    row = SmsMessage.objects.get()
    assert row.user == texted_member.user and row.kind == MessageKind.PAYMENT_RECEIVED


def test_notify_sms_only_suppresses_the_email_but_keeps_the_inbox(texted_member):
    MessagePreference.objects.create(user=texted_member.user, kind=MessageKind.PAYMENT_RECEIVED, channel=Channel.SMS)
    note = _notify(texted_member.user, kind=MessageKind.PAYMENT_RECEIVED, sms_text="Received KES 500.")
    assert mail.outbox == [] and SmsMessage.objects.count() == 1
    assert note.pk and texted_member.user.notifications.count() == 1


def test_notify_email_only_sends_no_sms(texted_member):
    MessagePreference.objects.create(user=texted_member.user, kind=MessageKind.LOAN_DECISION, channel=Channel.EMAIL)
    _notify(texted_member.user, kind=MessageKind.LOAN_DECISION, sms_text="Your loan was approved.")
    assert len(mail.outbox) == 1 and not SmsMessage.objects.exists()


def test_notify_sms_only_without_a_phone_falls_back_to_email(member):
    MessagePreference.objects.create(user=member.user, kind=MessageKind.PAYMENT_RECEIVED, channel=Channel.SMS)
    _notify(member.user, kind=MessageKind.PAYMENT_RECEIVED, sms_text="Received KES 500.")
    assert len(mail.outbox) == 1 and not SmsMessage.objects.exists()


def test_a_general_message_is_email_only_even_with_sms_text(texted_member):
    _notify(texted_member.user, sms_text="Your statement is ready.")
    assert len(mail.outbox) == 1 and not SmsMessage.objects.exists()


def test_notify_without_sms_text_sends_no_sms(texted_member):
    _notify(texted_member.user, kind=MessageKind.PAYMENT_RECEIVED)
    assert len(mail.outbox) == 1 and not SmsMessage.objects.exists()


def test_staff_without_a_member_record_get_email(make_user):
    user = make_user("clerk@sacco.example")
    _notify(user, kind=MessageKind.LOAN_DECISION, sms_text="x")
    assert len(mail.outbox) == 1 and not SmsMessage.objects.exists()


def test_the_old_phone_argument_still_texts_that_number(member):
    _notify(member.user, phone="+254799000000", link="/portal/")
    assert sms.outbox[-1] == ("+254799000000", "Payment received. /portal/")
    assert SmsMessage.objects.get().to == "+254799000000"


class _DownMailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP is down")


def test_a_mail_server_that_is_down_does_not_stop_the_sms(texted_member, settings):
    settings.EMAIL_BACKEND = f"{__name__}._DownMailBackend"
    _notify(texted_member.user, kind=MessageKind.PAYMENT_RECEIVED, sms_text="Received KES 500.")
    assert SmsMessage.objects.get().status == SmsStatus.SENT
