"""Seed paths under /api/auth/ and the status paths: allowed for the right role, refused for the others."""

import re

import pytest
from django.core import mail, signing
from django.test import TestCase
from django_otp import devices_for_user
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from portal.members import roles
from portal.members.models import ActivityLog, Invitation, Member
from tests.conftest import PASSWORD, api_token_pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def _as(api, user):
    api.force_authenticate(user)
    return api


def test_otp_login_never_returns_tokens_before_the_second_factor(api, member):
    response = api.post("/api/auth/otp-login/", {"email": member.user.email, "password": PASSWORD}, format="json")
    body = response.json()
    assert response.status_code == 200
    assert body["otp_required"] is True and "access" not in body and "refresh" not in body
    assert body["methods"] == ["email"]  # an account without a device gets emailed codes


def test_totp_user_signs_in_with_the_app_code(api, member):
    device = TOTPDevice.objects.create(user=member.user, name="App", confirmed=True)
    step1 = api.post("/api/auth/otp-login/", {"email": member.user.email, "password": PASSWORD}, format="json").json()
    assert step1["methods"] == ["totp"]
    assert mail.outbox == []  # no email when an app is enrolled
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    step2 = api.post("/api/auth/verify-otp/", {"otp_session": step1["otp_session"], "code": code}, format="json")
    assert step2.status_code == 200 and step2.json()["access"]


@pytest.mark.parametrize(
    ("session", "field"),
    [
        ("forged", "otp_session"),
        (signing.dumps({"uid": "00000000-0000-0000-0000-000000000000"}, salt="x"), "otp_session"),
    ],
)
def test_verify_otp_refuses_forged_sessions(api, session, field):
    response = api.post("/api/auth/verify-otp/", {"otp_session": session, "code": "123456"}, format="json")
    assert response.status_code == 400 and field in response.json()


def test_verify_otp_refuses_a_wrong_code(api, member):
    with TestCase.captureOnCommitCallbacks(execute=True):
        step1 = api.post("/api/auth/otp-login/", {"email": member.user.email, "password": PASSWORD}, format="json")
    response = api.post(
        "/api/auth/verify-otp/", {"otp_session": step1.json()["otp_session"], "code": "000000"}, format="json"
    )
    assert response.status_code == 400 and "code" in response.json()
    assert ActivityLog.objects.filter(user=member.user, action="otp_failed").exists()


def test_refresh_rotates_after_otp_login(api, member):
    tokens = api_token_pair(api, member.user.email)
    response = api.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200 and response.json()["refresh"] != tokens["refresh"]


# --- invite and complete-registration ---------------------------------------------------------------

INVITE = {"email": "achieng@example.com", "first_name": "Achieng", "last_name": "Odhiambo"}


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (roles.CLERKS, True),
        (roles.ADMINISTRATORS, True),
        (roles.AUDITORS, False),
        (roles.TREASURER, False),
        (roles.LOANS_OFFICERS, False),
        (roles.CREDIT_COMMITTEE, False),
    ],
)
def test_invite_is_for_clerks_and_administrators(api, staff_user, role, allowed):
    response = _as(api, staff_user(role)).post("/api/auth/invite/", INVITE, format="json")
    assert response.status_code == (201 if allowed else 403)
    assert Invitation.objects.filter(email=INVITE["email"]).exists() is allowed


def test_members_and_anonymous_cannot_invite(api, member):
    assert api.post("/api/auth/invite/", INVITE, format="json").status_code == 401
    assert _as(api, member.user).post("/api/auth/invite/", INVITE, format="json").status_code == 403


def test_invite_bad_input_names_the_field(api, staff_user, member):
    clerk = _as(api, staff_user(roles.CLERKS))
    assert "email" in clerk.post("/api/auth/invite/", {**INVITE, "email": "nope"}, format="json").json()
    duplicate = clerk.post("/api/auth/invite/", {**INVITE, "email": member.user.email}, format="json")
    assert duplicate.status_code == 400 and "already has an account" in duplicate.json()["email"][0]


def test_complete_registration_through_the_api(api, staff_user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        _as(api, staff_user(roles.CLERKS)).post("/api/auth/invite/", INVITE, format="json")
    token = re.search(r"/accounts/invitation/([^/]+)/", mail.outbox[-1].body).group(1)
    anonymous = APIClient()
    body = {
        "token": token,
        "password": "Mvua-ya-Masika-2026",
        "national_id": "23456789",
        "phone_number": "+254711222333",
        "accept_bylaws": True,
    }
    response = anonymous.post("/api/auth/complete-registration/", body, format="json")
    assert response.status_code == 201
    assert response.json()["membership_number"] == Member.objects.get(user__email=INVITE["email"]).membership_number
    again = anonymous.post("/api/auth/complete-registration/", body, format="json")
    assert again.status_code == 410 and again.json()["reason"] == "used"
    forged = anonymous.post("/api/auth/complete-registration/", {**body, "token": "forged"}, format="json")
    assert forged.status_code == 404


def test_complete_registration_requires_the_bylaws(api, staff_user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        _as(api, staff_user(roles.CLERKS)).post("/api/auth/invite/", INVITE, format="json")
    token = re.search(r"/accounts/invitation/([^/]+)/", mail.outbox[-1].body).group(1)
    response = APIClient().post(
        "/api/auth/complete-registration/",
        {
            "token": token,
            "password": "Mvua-ya-Masika-2026",
            "national_id": "23456789",
            "phone_number": "+254711222333",
            "accept_bylaws": False,
        },
        format="json",
    )
    assert response.status_code == 400 and "accept_bylaws" in response.json()
    assert not Member.objects.exists()


# --- status and OTP reset -----------------------------------------------------------------------------


def test_toggle_active_needs_a_reason_and_is_logged(api, staff_user, member):
    clerk = staff_user(roles.CLERKS)
    _as(api, clerk)
    assert api.post(f"/api/members/{member.pk}/toggle-active/", {}, format="json").status_code == 400
    response = api.post(f"/api/members/{member.pk}/toggle-active/", {"reason": "Transferred to Mombasa"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "inactive"
    assert ActivityLog.objects.filter(user=member.user, action="status_changed", actor=clerk).exists()
    assert api.post(f"/api/members/{member.pk}/toggle-active/", {}, format="json").json()["status"] == "active"


@pytest.mark.parametrize("role", [roles.AUDITORS, roles.LOANS_OFFICERS, roles.TREASURER])
def test_toggle_active_is_refused_to_other_roles(api, staff_user, member, role):
    response = _as(api, staff_user(role)).post(
        f"/api/members/{member.pk}/toggle-active/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 403


def test_a_member_cannot_change_their_own_status(api, member):
    response = _as(api, member.user).post(f"/api/members/{member.pk}/toggle-active/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.status == "active"


def test_admin_disables_a_login_and_resets_otp(api, staff_user, member):
    admin = staff_user(roles.ADMINISTRATORS)
    TOTPDevice.objects.create(user=member.user, name="App", confirmed=True)
    _as(api, admin)
    response = api.post(f"/api/auth/admin/reset-user-otp/{member.user.pk}/", format="json")
    assert response.status_code == 200 and response.json()["devices_removed"] == 1
    disabled = api.post(f"/api/auth/admin/toggle-user-status/{member.user.pk}/", {"reason": "Deceased"}, format="json")
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    own = api.post(f"/api/auth/admin/toggle-user-status/{admin.pk}/", {"reason": "oops"}, format="json")
    assert own.status_code == 400


@pytest.mark.parametrize("role", [roles.CLERKS, roles.AUDITORS, roles.TREASURER])
def test_only_administrators_reset_otp_or_disable_logins(api, staff_user, member, role):
    _as(api, staff_user(role))
    assert api.post(f"/api/auth/admin/reset-user-otp/{member.user.pk}/").status_code == 403
    assert api.post(f"/api/auth/admin/toggle-user-status/{member.user.pk}/", {"reason": "x"}).status_code == 403


def test_unknown_ids_are_404_for_staff(api, staff_user):
    _as(api, staff_user(roles.ADMINISTRATORS))
    missing = "00000000-0000-0000-0000-000000000000"
    assert api.post(f"/api/auth/admin/reset-user-otp/{missing}/").status_code == 404
    assert api.post(f"/api/members/{missing}/toggle-active/", {"reason": "x"}).status_code == 404


# --- issue 12: throttle behind proxies, mail server down, member ids on the admin paths -----------------------


def _otp_login_with_forwarded_for(api, n, forwarded_for):
    return api.post(
        "/api/auth/otp-login/",
        {"email": f"nobody{n}@example.com", "password": "wrong"},  # a new email each time: never the lockout
        format="json",
        HTTP_X_FORWARDED_FOR=forwarded_for,
        REMOTE_ADDR="198.51.100.9",
    )


def test_a_new_x_forwarded_for_does_not_reset_the_sign_in_throttle(api):
    """No proxy configured (NUM_PROXIES=0): the header is the client's word and is ignored."""
    answers = [_otp_login_with_forwarded_for(api, n, f"10.0.{n}.1").status_code for n in range(36)]
    assert answers[:30] == [401] * 30
    assert set(answers[30:]) == {429}


def test_behind_one_proxy_only_the_address_the_proxy_saw_counts(api, settings):
    """NUM_PROXIES=1: the client may prepend anything; the proxy appends the real address, which is the key."""
    settings.NUM_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    answers = [_otp_login_with_forwarded_for(api, n, f"10.0.{n}.1, 203.0.113.7").status_code for n in range(35)]
    assert answers[:30] == [401] * 30 and set(answers[30:]) == {429}
    other_client = _otp_login_with_forwarded_for(api, 99, "10.9.9.9, 203.0.113.8")
    assert other_client.status_code == 401  # another real address has its own allowance


class FailingEmailBackend:
    """A mail server that is down."""

    exception = None

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise self.exception


class RefusingSmtpBackend(FailingEmailBackend):
    import smtplib

    exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class UnreachableSmtpBackend(FailingEmailBackend):
    exception = ConnectionRefusedError(111, "Connection refused")


@pytest.mark.parametrize("backend", ["RefusingSmtpBackend", "UnreachableSmtpBackend"])
def test_otp_login_answers_503_when_the_code_cannot_be_emailed(api, member, settings, backend):
    settings.EMAIL_BACKEND = f"tests.integration.test_api_auth.{backend}"
    response = api.post("/api/auth/otp-login/", {"email": member.user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "email_unavailable"
    assert "could not send the email" in response.json()["detail"]
    assert response["Retry-After"] == "60"


@pytest.mark.parametrize("backend", ["RefusingSmtpBackend", "UnreachableSmtpBackend"])
def test_web_email_me_a_code_says_the_mail_is_down(client, member, settings, backend):
    from django_otp.plugins.otp_email.models import EmailDevice

    EmailDevice.objects.create(user=member.user, name="Email", confirmed=True)
    assert client.post("/accounts/login/", {"login": member.user.email, "password": PASSWORD}).status_code == 302
    settings.EMAIL_BACKEND = f"tests.integration.test_api_auth.{backend}"
    response = client.post("/accounts/otp/verify/", {"send_email": "1"})
    assert response.status_code == 503
    assert "could not send the email" in response.content.decode()


def test_admin_paths_take_a_member_id_as_well_as_a_user_id(api, staff_user, member, other_member):
    _as(api, staff_user(roles.ADMINISTRATORS))
    TOTPDevice.objects.create(user=member.user, name="App", confirmed=True)
    reset = api.post(f"/api/auth/admin/reset-user-otp/{member.pk}/", format="json")
    assert reset.status_code == 200
    assert reset.json()["devices_removed"] == 1
    assert reset.json()["id"] == str(member.user.pk) and reset.json()["member_id"] == str(member.pk)
    disabled = api.post(f"/api/auth/admin/toggle-user-status/{member.pk}/", {"reason": "Left"}, format="json")
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    member.user.refresh_from_db()
    other_member.user.refresh_from_db()
    assert member.user.is_active is False and other_member.user.is_active is True
    by_user_id = api.post(f"/api/auth/admin/toggle-user-status/{member.user.pk}/", format="json")
    assert by_user_id.status_code == 200 and by_user_id.json()["is_active"] is True


def test_the_schema_says_the_admin_paths_take_a_member_id(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/auth/admin/reset-user-otp/{user_id}/", "/api/auth/admin/toggle-user-status/{user_id}/"):
        (parameter,) = [p for p in schema["paths"][path]["post"]["parameters"] if p["name"] == "user_id"]
        assert "member's `id`" in parameter["description"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # autocommit, as in production
@pytest.mark.parametrize("backend", ["RefusingSmtpBackend", "UnreachableSmtpBackend"])
def test_password_reset_requests_survive_a_mail_server_that_is_down(api, client, member, settings, backend):
    settings.EMAIL_BACKEND = f"tests.integration.test_api_auth.{backend}"
    known = api.post("/api/auth/reset-password-request/", {"email": member.user.email}, format="json")
    unknown = api.post("/api/auth/reset-password-request/", {"email": "nobody@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    web = client.post("/accounts/password/reset/", {"email": member.user.email}, follow=True)
    assert web.status_code == 200
    assert "could not send the email" in web.content.decode()


def test_a_staff_account_without_an_app_is_not_enrolled_for_emailed_codes_by_the_api(staff_user, mailoutbox):
    """The web never lets staff choose emailed codes (they set up an authenticator app at their first admin
    sign-in); the API's sign-in must not do it behind their back (found while seeding the demo, issue 14)."""
    clerk = staff_user(roles.CLERKS)
    api = APIClient()
    response = api.post("/api/auth/otp-login/", {"email": clerk.email, "password": PASSWORD}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "authenticator_required"
    assert list(devices_for_user(clerk, confirmed=None)) == [] and mailoutbox == []
