"""Issue 15: the sign-in code by SMS as an option — a member with a mobile number chooses SMS codes at set-up, is
texted a code at sign-in and at "fresh code" prompts, through sms_send (kind sign_in_code, logged)."""

import re

import pytest
from django.urls import reverse

from portal.members import roles
from portal.members.otp import otp_devices_reset
from portal.notifications import sms
from portal.notifications.models import MessageKind, SmsDevice, SmsMessage, SmsStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PHONE = "+254712345678"


def _password_login(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302


def _last_code() -> str:
    return re.search(r"code is (\d{6})", sms.outbox[-1][1]).group(1)


def test_a_member_chooses_sms_codes_and_signs_in_with_a_texted_code(client, make_member):
    member = make_member("texted@example.com", phone_number=PHONE)
    _password_login(client, member.user)
    assert "Use SMS codes" in client.get(reverse("otp_setup")).content.decode()
    response = client.post(reverse("otp_setup_sms"), {"next": "/portal/"})
    assert response["Location"].startswith(reverse("otp_backup_codes"))
    device = SmsDevice.objects.get(user=member.user, confirmed=True)
    assert device.number == PHONE
    client.logout()

    _password_login(client, member.user)
    assert client.get("/portal/")["Location"].startswith(reverse("otp_verify"))
    page = client.get(reverse("otp_verify")).content.decode()
    assert "Text me a code" in page and "Email me a code" not in page
    client.post(reverse("otp_verify"), {"send_sms": "1", "next": "/portal/"})
    assert sms.outbox[-1][0] == PHONE
    row = SmsMessage.objects.get(kind=MessageKind.SIGN_IN_CODE)
    assert row.user == member.user and row.status == SmsStatus.SENT
    assert client.post(reverse("otp_verify"), {"otp_token": "000000", "next": "/portal/"}).status_code == 400
    SmsDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    ok = client.post(reverse("otp_verify"), {"otp_token": _last_code(), "next": "/portal/"})
    assert ok["Location"] == "/portal/"
    assert client.get(reverse("member_area:dashboard")).status_code == 200


def test_a_code_is_single_use(client, make_member):
    member = make_member("texted@example.com", phone_number=PHONE)
    SmsDevice.objects.create(user=member.user, name="SMS", number=PHONE, confirmed=True)
    _password_login(client, member.user)
    client.post(reverse("otp_verify"), {"send_sms": "1", "next": "/portal/"})
    code = _last_code()
    assert client.post(reverse("otp_verify"), {"otp_token": code, "next": "/portal/"}).status_code == 302
    client.logout()
    _password_login(client, member.user)
    assert client.post(reverse("otp_verify"), {"otp_token": code, "next": "/portal/"}).status_code == 400


def test_without_a_phone_sms_codes_are_refused(client, member):
    _password_login(client, member.user)
    response = client.post(reverse("otp_setup_sms"), {"next": "/portal/"})
    assert response["Location"].startswith(reverse("otp_setup"))
    assert not SmsDevice.objects.exists()


def test_staff_cannot_choose_sms_codes(client, staff_user):
    clerk = staff_user(roles.CLERKS)
    _password_login(client, clerk)
    assert "Use SMS codes" not in client.get(reverse("otp_setup")).content.decode()
    client.post(reverse("otp_setup_sms"))
    assert not SmsDevice.objects.exists()


class _DownGateway:
    def send(self, *, to, text):
        raise ConnectionError("gateway unreachable")


def test_a_gateway_that_is_down_says_so_with_a_503(client, make_member, settings):
    member = make_member("texted@example.com", phone_number=PHONE)
    SmsDevice.objects.create(user=member.user, name="SMS", number=PHONE, confirmed=True)
    settings.SMS_BACKEND = f"{__name__}._DownGateway"
    _password_login(client, member.user)
    response = client.post(reverse("otp_verify"), {"send_sms": "1", "next": "/portal/"})
    assert response.status_code == 503 and "could not text you a code" in response.content.decode()


def test_staff_reset_removes_the_sms_device(make_member, staff_user):
    member = make_member("texted@example.com", phone_number=PHONE)
    SmsDevice.objects.create(user=member.user, name="SMS", number=PHONE, confirmed=True)
    otp_devices_reset(user=member.user, by=staff_user(roles.ADMINISTRATORS))
    assert not SmsDevice.objects.exists()
