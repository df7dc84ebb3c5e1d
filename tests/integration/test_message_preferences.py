"""Issue 15: a member chooses email, SMS or both per kind of message, on the portal and through the API; only their
own choices; notify follows them (the inbox entry always)."""

import re

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from rest_framework.test import APIClient

from portal.notifications.models import Channel, MessageKind, MessagePreference, SmsMessage
from portal.notifications.services import notify

pytestmark = pytest.mark.django_db

URL = "/api/members/message-preferences/"


@pytest.fixture
def texted(make_member):
    return make_member("texted@example.com", phone_number="+254712345678")


def _page(client, user):
    client.force_login(user)
    return client.get(reverse("member_area:message_settings"))


def test_the_page_lists_each_kind_with_the_defaults(client, texted):
    response = _page(client, texted.user)
    page = response.content.decode()
    assert response.status_code == 200 and len(response.content) < 60_000
    assert "Payment received" in page and "Loan decisions" in page
    assert page.count('type="radio"') == 6 * 3
    checked = re.findall(r'<input[^>]*name="payment_received"[^>]*value="(\w+)"[^>]*checked', page)
    assert checked == ["both"]
    assert "SMS needs a mobile number" not in page


def test_a_member_without_a_phone_is_told_sms_needs_one(client, member):
    page = _page(client, member.user).content.decode()
    assert "SMS needs a mobile number" in page and reverse("member_area:profile") in page


def test_saving_the_page_sets_only_my_preferences(client, texted, other_member):
    client.force_login(texted.user)
    data = {kind: "email" for kind in ("instalment_due", "instalment_overdue", "guarantor_request")}
    data |= {"payment_received": "sms", "guarantor_arrears": "both", "loan_decision": "email"}
    response = client.post(reverse("member_area:message_settings"), data)
    assert response.status_code == 302
    mine = dict(MessagePreference.objects.filter(user=texted.user).values_list("kind", "channel"))
    assert mine["payment_received"] == "sms" and mine["loan_decision"] == "email"
    assert not MessagePreference.objects.filter(user=other_member.user).exists()


def test_a_bad_choice_on_the_page_is_a_400_naming_the_field(client, texted):
    client.force_login(texted.user)
    response = client.post(reverse("member_area:message_settings"), {"payment_received": "pigeon"})
    assert response.status_code == 400
    assert 'id="id_payment_received_error"' in response.content.decode()
    assert not MessagePreference.objects.exists()


def test_the_profile_page_links_to_the_settings(client, texted):
    client.force_login(texted.user)
    page = client.get(reverse("member_area:profile")).content.decode()
    assert reverse("member_area:message_settings") in page


def test_the_page_needs_a_sign_in(client):
    response = client.get(reverse("member_area:message_settings"))
    assert response.status_code == 302 and "login" in response["Location"]


# --- API ---------------------------------------------------------------------------------------------------------


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_api_reads_my_channels_and_whether_i_have_a_phone(texted, member):
    body = _api(texted.user).get(URL).json()
    assert body == {
        "payment_received": "both",
        "instalment_due": "both",
        "instalment_overdue": "both",
        "guarantor_request": "both",
        "guarantor_arrears": "both",
        "loan_decision": "both",
        "has_phone": True,
    }
    assert _api(member.user).get(URL).json()["has_phone"] is False


def test_api_put_sets_only_the_given_kinds_for_the_caller(texted, other_member):
    api = _api(texted.user)
    response = api.put(URL, {"payment_received": "sms", "loan_decision": "email"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["payment_received"] == "sms" and body["loan_decision"] == "email" and body["instalment_due"] == "both"
    assert _api(other_member.user).get(URL).json()["payment_received"] == "both"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"payment_received": "pigeon"}, "payment_received"),
        ({"carrier_pigeon": "sms"}, "carrier_pigeon"),
        ({"general": "sms"}, "general"),
        ({"sign_in_code": "sms"}, "sign_in_code"),
        ({"payment_received": None}, "payment_received"),
        ({"payment_received": ["sms"]}, "payment_received"),
    ],
)
def test_api_refuses_unknown_kinds_and_channels_naming_the_field(texted, payload, field):
    response = _api(texted.user).put(URL, payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not MessagePreference.objects.exists()


def test_api_refuses_a_body_that_is_not_an_object(texted):
    response = _api(texted.user).put(URL, ["sms"], format="json")
    assert response.status_code == 400


def test_api_refuses_staff_without_a_member_record_and_strangers(make_user):
    assert APIClient().get(URL).status_code in (401, 403)
    assert _api(make_user("clerk@sacco.example")).get(URL).status_code == 403


# --- notify follows the choice -----------------------------------------------------------------------------------


def test_notify_follows_the_choice_made_through_the_api(texted):
    _api(texted.user).put(URL, {"payment_received": "sms"}, format="json")
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify(
            user=texted.user,
            subject="Payment received",
            template="generic",
            context={"body": "KES 500"},
            kind=MessageKind.PAYMENT_RECEIVED,
            sms_text="Received KES 500.",
        )
    assert mail.outbox == [] and SmsMessage.objects.get().to == "+254712345678"
    assert texted.user.notifications.count() == 1
    assert MessagePreference.objects.get().channel == Channel.SMS
