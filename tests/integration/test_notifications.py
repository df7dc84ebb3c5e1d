"""P3: notify() emails after commit, fills the inbox, texts by the SMS backend; the inbox is per member."""

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django.urls import reverse

from portal.notifications import sms
from portal.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_notify_emails_after_commit_and_records_the_inbox(member):
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        note = notify(
            user=member.user,
            subject="Guarantor request",
            template="generic",
            context={"body": "Brian asked you to guarantee KES 50,000."},
            phone="+254712000000",
        )
    assert mail.outbox == []  # nothing leaves before commit
    for callback in callbacks:
        callback()
    assert mail.outbox[0].to == [member.user.email] and "Brian asked you" in mail.outbox[0].body
    assert sms.outbox[-1][0] == "+254712000000"
    assert note.user == member.user and note.read_at is None


def test_a_rolled_back_action_sends_nothing(member):
    with pytest.raises(RuntimeError), TestCase.captureOnCommitCallbacks(execute=True):
        with transaction.atomic():
            notify(user=member.user, subject="x", template="generic", context={"body": "x"})
            raise RuntimeError
    assert mail.outbox == []
    assert not member.user.notifications.exists()


def test_inbox_shows_only_my_messages_and_marks_read(client, member, other_member):
    notify(user=member.user, subject="Your KYC was approved", template="generic", context={"body": "ok"})
    notify(user=other_member.user, subject="Someone else's loan", template="generic", context={"body": "no"})
    client.force_login(member.user)
    page = client.get(reverse("member_area:notifications")).content.decode()
    assert "Your KYC was approved" in page and "Someone else" not in page
    assert 'aria-label="1 unread"' in page
    client.post(reverse("member_area:notifications"))
    assert not member.user.notifications.filter(read_at__isnull=True).exists()


class _DownMailBackend:
    """A mail server that refuses every connection."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP is down")


def test_a_mail_server_that_is_down_does_not_fail_a_committed_action(member, settings, caplog):
    settings.EMAIL_BACKEND = f"{__name__}._DownMailBackend"
    with TestCase.captureOnCommitCallbacks(execute=True):
        with transaction.atomic():
            note = notify(user=member.user, subject="Repayment received", template="generic", context={"body": "x"})
    assert note.pk and member.user.notifications.filter(pk=note.pk).exists()  # the inbox keeps the message
    assert "SMTP is down" in caplog.text  # and the failure is logged, not raised
