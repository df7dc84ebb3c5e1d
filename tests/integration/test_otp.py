"""M2 and M11: second factor at sign-in for staff (always) and enrolled members; backup codes; staff reset."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.members import roles
from portal.members.models import ActivityLog
from portal.members.otp import otp_devices_reset
from tests.conftest import PASSWORD, sign_in_verified

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice, drift=0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def _password_login(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_staff_must_enrol_an_app_before_the_admin(client, staff_user):
    clerk = staff_user(roles.CLERKS)
    _password_login(client, clerk)
    response = client.get(reverse("wagtailadmin_home"))
    assert response["Location"].startswith(reverse("otp_setup"))
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"<svg" in page.content  # the QR code
    assert b"Use email codes" not in page.content  # staff must use an app
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    response = client.post(reverse("otp_setup"), {"otp_token": _code(device), "next": "/admin/"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("otp_backup_codes"))
    codes_page = client.get(response["Location"]).content.decode()
    assert len(re.findall(r"<code>\d{8}</code>", codes_page)) == 10
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert ActivityLog.objects.filter(user=clerk, action="otp_enrolled").exists()


def test_enrolled_member_is_asked_for_a_code_at_every_sign_in(client, member):
    device = TOTPDevice.objects.create(user=member.user, name="App", confirmed=True)
    _password_login(client, member.user)
    response = client.get(reverse("member_area:dashboard"))
    assert response["Location"].startswith(reverse("otp_verify"))
    wrong = client.post(reverse("otp_verify"), {"otp_token": "000000", "next": "/portal/"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert ActivityLog.objects.filter(user=member.user, action="otp_failed").exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    ok = client.post(reverse("otp_verify"), {"otp_token": _code(device), "next": "/portal/"})
    assert ok["Location"] == "/portal/"
    assert client.get(reverse("member_area:dashboard")).status_code == 200
    client.logout()
    _password_login(client, member.user)
    assert client.get(reverse("member_area:dashboard"))["Location"].startswith(reverse("otp_verify"))


def test_members_without_a_device_are_not_forced_but_can_enrol_email_codes(client, member):
    _password_login(client, member.user)
    assert client.get(reverse("member_area:dashboard")).status_code == 200
    response = client.post(reverse("otp_setup_email"), {"next": "/portal/"})
    assert response["Location"].startswith(reverse("otp_backup_codes"))
    assert EmailDevice.objects.filter(user=member.user, confirmed=True).exists()
    client.logout()
    _password_login(client, member.user)
    assert client.get("/portal/")["Location"].startswith(reverse("otp_verify"))
    client.post(reverse("otp_verify"), {"send_email": "1", "next": "/portal/"})
    code = re.search(r"code is (\d{6})", mail.outbox[-1].body).group(1)
    assert client.post(reverse("otp_verify"), {"otp_token": code, "next": "/portal/"})["Location"] == "/portal/"


def test_a_backup_code_works_once(client, member):
    TOTPDevice.objects.create(user=member.user, name="App", confirmed=True)
    static = StaticDevice.objects.create(user=member.user, name="Backup codes", confirmed=True)
    static.token_set.create(token="12345678")
    _password_login(client, member.user)
    assert client.post(reverse("otp_verify"), {"otp_token": "12345678", "next": "/portal/"}).status_code == 302
    client.logout()
    _password_login(client, member.user)
    assert client.post(reverse("otp_verify"), {"otp_token": "12345678", "next": "/portal/"}).status_code == 400


def test_verify_refuses_an_offsite_next_url(client, member):
    device = TOTPDevice.objects.create(user=member.user, name="App", confirmed=True)
    _password_login(client, member.user)
    response = client.post(reverse("otp_verify"), {"otp_token": _code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("member_area:dashboard")


def test_staff_reset_removes_devices_and_is_logged(member, staff_user):
    TOTPDevice.objects.create(user=member.user, name="App", confirmed=True)
    EmailDevice.objects.create(user=member.user, name="Email", confirmed=True)
    admin = staff_user(roles.ADMINISTRATORS)
    assert otp_devices_reset(user=member.user, by=admin) == 2
    assert not TOTPDevice.objects.filter(user=member.user).exists()
    assert ActivityLog.objects.filter(user=member.user, action="otp_reset", actor=admin).exists()


def test_security_and_activity_pages_show_only_my_own(client, member, other_member):
    from portal.members.activity import activity_record

    activity_record(action="password_changed", user=other_member.user)
    activity_record(action="profile_changed", user=member.user)
    client.force_login(member.user)
    assert "Turn on two-step sign-in" in client.get(reverse("member_area:security")).content.decode()
    page = client.get(reverse("member_area:activity")).content.decode()
    assert "<td>Profile changed</td>" in page
    assert "Password changed" not in page


def test_staff_devices_page_requires_verification_to_add_another_device(client, staff_user):
    clerk = staff_user(roles.CLERKS)
    sign_in_verified(client, clerk)
    client.logout()
    _password_login(client, clerk)
    response = client.get(reverse("otp_setup"))
    assert response["Location"].startswith(reverse("otp_verify"))
