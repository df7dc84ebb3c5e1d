"""Issue 15: the Africa's Talking backend runs the official SDK against a patched HTTP layer (no test reaches the
internet), records the gateway's message id, status and cost; delivery reports update the row behind a token."""

import json

import pytest
import requests
from django.urls import reverse

from portal.notifications import sms
from portal.notifications.models import MessageKind, SmsMessage, SmsStatus
from portal.notifications.sms import sms_send

pytestmark = pytest.mark.django_db

PHONE = "+254712345678"
TOKEN = "test-sms-report-token-0123456789abcdef"


class _Response:
    def __init__(self, status_code, payload, content_type="application/json"):
        self.status_code = status_code
        self.headers = {"content-type": content_type}
        self._payload = payload
        self.text = json.dumps(payload) if not isinstance(payload, str) else payload

    def json(self):
        return self._payload


@pytest.fixture
def gateway(settings, monkeypatch):
    """Africa's Talking as the backend, its HTTP POSTs answered here: `gateway.calls` holds what the SDK sent."""
    settings.SMS_BACKEND = "portal.notifications.sms.AfricasTalkingSmsBackend"
    settings.AFRICASTALKING_USERNAME = "sacco"
    settings.AFRICASTALKING_API_KEY = "at-test-key"
    settings.AFRICASTALKING_SENDER_ID = "SACCO"

    class Gateway:
        calls = []
        answer = _Response(
            201,
            {
                "SMSMessageData": {
                    "Message": "Sent to 1/1 Total Cost: KES 0.8000",
                    "Recipients": [
                        {
                            "statusCode": 101,
                            "number": PHONE,
                            "status": "Success",
                            "cost": "KES 0.8000",
                            "messageId": "ATXid_abc123",
                        }
                    ],
                }
            },
        )

        @classmethod
        def post(cls, url, headers=None, params=None, data=None, timeout=None):
            cls.calls.append({"url": url, "headers": headers, "data": data, "timeout": timeout})
            if isinstance(cls.answer, Exception):
                raise cls.answer
            return cls.answer

    def refuse_get(*args, **kwargs):
        raise AssertionError("no GET expected")

    monkeypatch.setattr(requests, "post", Gateway.post)
    monkeypatch.setattr(requests, "get", refuse_get)
    return Gateway


def test_a_message_goes_through_the_sdk_and_records_the_gateways_answer(gateway, make_member):
    member = make_member(phone_number=PHONE)
    message = sms_send(to=PHONE, text="Received KES 500 – thanks", user=member.user, kind=MessageKind.PAYMENT_RECEIVED)
    (call,) = gateway.calls
    assert call["url"] == "https://api.africastalking.com/version1/messaging"
    assert call["headers"]["apiKey"] == "at-test-key"
    assert call["data"] == {
        "username": "sacco",
        "to": PHONE,
        "message": "Received KES 500 - thanks",
        "bulkSMSMode": 1,
        "from": "SACCO",
    }
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT and message.provider_message_id == "ATXid_abc123"
    assert message.provider_status == "Success" and message.cost == "KES 0.8000"


def test_the_sandbox_username_uses_the_sandbox_host_and_no_sender_id(gateway, settings):
    settings.AFRICASTALKING_USERNAME = "sandbox"
    settings.AFRICASTALKING_SENDER_ID = ""
    sms_send(to=PHONE, text="hello")
    assert gateway.calls[-1]["url"] == "https://api.sandbox.africastalking.com/version1/messaging"
    assert "from" not in gateway.calls[-1]["data"]


def test_a_refused_recipient_marks_the_row_failed(gateway):
    gateway.answer = _Response(
        201,
        {
            "SMSMessageData": {
                "Message": "Sent to 0/1 Total Cost: 0",
                "Recipients": [{"statusCode": 406, "number": PHONE, "status": "UserInBlacklist", "cost": "0"}],
            }
        },
    )
    message = sms_send(to=PHONE, text="hello")
    assert message.status == SmsStatus.FAILED and message.failure_reason == "UserInBlacklist (406)"


def test_an_http_error_or_a_network_error_is_logged_and_the_row_failed(gateway, caplog):
    gateway.answer = _Response(401, "The supplied authentication is invalid", content_type="text/plain")
    message = sms_send(to=PHONE, text="hello")
    assert message.status == SmsStatus.FAILED and "authentication is invalid" in message.failure_reason
    gateway.answer = requests.ConnectionError("Name or service not known")
    message = sms_send(to=PHONE, text="hello again")
    assert message.status == SmsStatus.FAILED and "Name or service not known" in message.failure_reason
    assert "failed" in caplog.text


def test_without_an_api_key_nothing_is_called(gateway, settings):
    settings.AFRICASTALKING_API_KEY = ""
    message = sms_send(to=PHONE, text="hello")
    assert message.status == SmsStatus.FAILED and gateway.calls == []


def test_the_locmem_backend_keeps_an_outbox():
    before = len(sms.outbox)
    sms_send(to=PHONE, text="hello")
    assert sms.outbox[before:] == [(PHONE, "hello")]


# --- delivery reports -----------------------------------------------------------------------------------------


@pytest.fixture
def sent_message():
    return SmsMessage.objects.create(
        to=PHONE, text="hello", status=SmsStatus.SENT, provider_message_id="ATXid_abc123", provider_status="Success"
    )


def _report(client, token=TOKEN, **fields):
    data = {"id": "ATXid_abc123", "status": "Success", "phoneNumber": PHONE, "networkCode": "63902", **fields}
    return client.post(reverse("sms_delivery_report", args=[token]), data)


def test_a_delivery_report_marks_the_message_delivered(client, sent_message):
    response = _report(client, retryCount="0")
    assert response.status_code == 200
    sent_message.refresh_from_db()
    assert sent_message.status == SmsStatus.DELIVERED and sent_message.network_code == "63902"
    assert sent_message.delivery_reported_at is not None and sent_message.retry_count == 0


def test_a_failed_report_records_the_reason(client, sent_message):
    _report(client, status="Failed", failureReason="AbsentSubscriber", retryCount="2")
    sent_message.refresh_from_db()
    assert sent_message.status == SmsStatus.FAILED and sent_message.failure_reason == "AbsentSubscriber"
    assert sent_message.retry_count == 2


def test_a_late_intermediate_report_does_not_undo_delivered(client, sent_message):
    _report(client, status="Success")
    _report(client, status="Buffered")
    sent_message.refresh_from_db()
    assert sent_message.status == SmsStatus.DELIVERED


def test_a_wrong_token_is_404_and_changes_nothing(client, sent_message):
    assert _report(client, token="wrong").status_code == 404
    sent_message.refresh_from_db()
    assert sent_message.status == SmsStatus.SENT and sent_message.delivery_reported_at is None


def test_without_the_setting_every_report_is_refused(client, sent_message, settings):
    settings.SMS_DELIVERY_REPORT_TOKEN = ""
    assert client.post("/sms/delivery-report/x/", {"id": "ATXid_abc123", "status": "Success"}).status_code == 404
    assert _report(client).status_code == 404
    sent_message.refresh_from_db()
    assert sent_message.status == SmsStatus.SENT


def test_an_unknown_id_is_200_and_changes_nothing(client, sent_message):
    assert _report(client, id="ATXid_never").status_code == 200
    assert _report(client, id="").status_code == 200
    sent_message.refresh_from_db()
    assert sent_message.status == SmsStatus.SENT and sent_message.delivery_reported_at is None


def test_odd_fields_never_500(client, sent_message):
    response = _report(client, status="Weird", retryCount="many", networkCode="x" * 50, failureReason="y" * 500)
    assert response.status_code == 200
    sent_message.refresh_from_db()
    assert sent_message.status == SmsStatus.SENT and sent_message.retry_count is None


def test_a_get_is_refused(client):
    assert client.get(reverse("sms_delivery_report", args=[TOKEN])).status_code == 405
