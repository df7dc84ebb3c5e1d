"""Issue 15: staff who read the email delivery log read the SMS log too; nobody adds, edits or deletes a row."""

import pytest
from django.urls import reverse

from portal.members import roles
from portal.notifications.models import MessageKind, SmsMessage, SmsStatus
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def row():
    return SmsMessage.objects.create(
        to="+254712345678",
        text="Received KES 500",
        kind=MessageKind.PAYMENT_RECEIVED,
        status=SmsStatus.DELIVERED,
        provider_message_id="ATXid_1",
        provider_status="Success",
    )


def test_the_member_desk_reads_the_sms_log_but_cannot_change_it(client, staff_user, row):
    sign_in_verified(client, staff_user(roles.CLERKS))
    listing = client.get(reverse("wagtailsnippets_notifications_smsmessage:list"))
    assert listing.status_code == 200 and "+254712345678" in listing.content.decode()
    inspect = client.get(reverse("wagtailsnippets_notifications_smsmessage:inspect", args=[row.pk]))
    assert inspect.status_code == 200 and "ATXid_1" in inspect.content.decode()
    assert client.get(reverse("wagtailsnippets_notifications_smsmessage:add")).status_code in (302, 403)
    edit = client.post(reverse("wagtailsnippets_notifications_smsmessage:edit", args=[row.pk]), {"to": "+2547000"})
    assert edit.status_code in (302, 403)
    client.post(reverse("wagtailsnippets_notifications_smsmessage:delete", args=[row.pk]))
    row.refresh_from_db()
    assert row.to == "+254712345678"


def test_a_loans_officer_does_not_see_it(client, staff_user, row):
    sign_in_verified(client, staff_user(roles.LOANS_OFFICERS))
    assert client.get(reverse("wagtailsnippets_notifications_smsmessage:list")).status_code in (302, 403)
