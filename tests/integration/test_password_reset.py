"""M4: password reset by emailed link (web) or token (API), with the second factor for app users."""

import re

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from portal.members.models import ActivityLog

pytestmark = pytest.mark.django_db
NEW = "Jua-Kali-Mpya-2027"


def _request_token(api, email):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api.post("/api/auth/reset-password-request/", {"email": email}, format="json")
    assert response.status_code == 202
    return re.search(r"^(\S+-\S+)$", mail.outbox[-1].body, re.M).group(1)


def test_api_reset_with_token(member):
    api = APIClient()
    token = _request_token(api, member.user.email)
    response = api.post("/api/auth/reset-password/", {"token": token, "new_password": NEW}, format="json")
    assert response.status_code == 200
    member.user.refresh_from_db()
    assert member.user.check_password(NEW)
    assert ActivityLog.objects.filter(user=member.user, action="password_reset").exists()
    # single use
    again = api.post("/api/auth/reset-password/", {"token": token, "new_password": NEW + "x"}, format="json")
    assert again.status_code == 400 and "token" in again.json()


def test_unknown_email_gets_the_same_answer_and_no_mail():
    api = APIClient()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api.post("/api/auth/reset-password-request/", {"email": "nobody@example.com"}, format="json")
    assert response.status_code == 202 and mail.outbox == []


def test_app_users_must_give_their_code(member):
    device = TOTPDevice.objects.create(user=member.user, name="App", confirmed=True)
    api = APIClient()
    token = _request_token(api, member.user.email)
    refused = api.post("/api/auth/reset-password/", {"token": token, "new_password": NEW}, format="json")
    assert refused.status_code == 400 and "otp_code" in refused.json()
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    ok = api.post("/api/auth/reset-password/", {"token": token, "new_password": NEW, "otp_code": code}, format="json")
    assert ok.status_code == 200


def test_weak_new_password_is_refused_with_the_field_named(member):
    api = APIClient()
    token = _request_token(api, member.user.email)
    response = api.post("/api/auth/reset-password/", {"token": token, "new_password": "12345"}, format="json")
    assert response.status_code == 400 and "new_password" in response.json()


def test_web_reset_link_then_sign_in_still_asks_for_the_second_factor(client, member):
    TOTPDevice.objects.create(user=member.user, name="App", confirmed=True)
    client.post(reverse("account_reset_password"), {"email": member.user.email})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(form_page.request["PATH_INFO"], {"password1": NEW, "password2": NEW})
    member.user.refresh_from_db()
    assert member.user.check_password(NEW)
    assert ActivityLog.objects.filter(user=member.user, action="password_reset").exists()
    client.post(reverse("account_login"), {"login": member.user.email, "password": NEW})
    assert client.get(reverse("member_area:dashboard"))["Location"].startswith(reverse("otp_verify"))
