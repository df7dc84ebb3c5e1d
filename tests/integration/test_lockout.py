"""M3: lockout after N failed sign-ins (SaccoSettings), the same answer for unknown emails, staff unlock, logs."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.urls import reverse
from rest_framework.test import APIClient

from portal.home.models import SaccoSettings
from portal.members import roles
from portal.members.models import ActivityLog
from tests.conftest import PASSWORD, sign_in_verified

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def threshold_three():
    sacco = SaccoSettings.load()
    sacco.lockout_threshold = 3
    sacco.lockout_minutes = 15
    sacco.save()


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_account_locks_after_the_threshold_even_with_the_right_password(client, member):
    for _ in range(3):
        _login(client, member.user.email, "wrong-password-x")
    response = _login(client, member.user.email, PASSWORD)
    assert response.status_code == 429
    assert "locked for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert ActivityLog.objects.filter(user=member.user, action="locked_out").exists()
    # three wrong passwords, then the right one refused while locked
    assert ActivityLog.objects.filter(user=member.user, action="login_failed").count() == 4


def test_unknown_email_gets_exactly_the_same_answers(client, member):
    known = [_login(client, member.user.email, "wrong-password-x") for _ in range(4)]
    unknown = [_login(client, "nobody@example.com", "wrong-password-x") for _ in range(4)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [200, 200, 429, 429]
    strip = lambda r: r.content.decode().replace(member.user.email, "").replace("nobody@example.com", "")  # noqa: E731
    assert strip(known[-1]) == strip(unknown[-1])


def test_a_success_before_the_threshold_resets_the_count(client, member):
    _login(client, member.user.email, "wrong-password-x")
    _login(client, member.user.email, "wrong-password-x")
    assert _login(client, member.user.email, PASSWORD).status_code == 302
    client.logout()
    assert not AccessAttempt.objects.filter(username=member.user.email, failures_since_start__gt=0).exists()


def test_locking_one_email_does_not_lock_another_from_the_same_office(client, member, other_member):
    for _ in range(3):
        _login(client, member.user.email, "wrong-password-x")
    assert _login(client, other_member.user.email, PASSWORD).status_code == 302


def test_api_token_endpoint_shares_the_lockout(member):
    api = APIClient()
    for _ in range(3):
        api.post("/api/auth/otp-login/", {"email": member.user.email, "password": "wrong"}, format="json")
    response = api.post("/api/auth/otp-login/", {"email": member.user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "account_locked"


def test_staff_see_locked_accounts_and_unlock_them(client, member, staff_user):
    for _ in range(3):
        _login(client, member.user.email, "wrong-password-x")
    clerk = staff_user(roles.CLERKS)
    staff = type(client)()
    sign_in_verified(staff, clerk)
    listing = staff.get(reverse("wagtailsnippets_axes_accessattempt:list"))
    assert member.user.email in listing.content.decode()
    assert AccessFailureLog.objects.filter(username=member.user.email).count() == 3
    attempt = AccessAttempt.objects.get(username=member.user.email)
    assert staff.post(reverse("members_lockout_unlock", args=[attempt.pk])).status_code == 302
    assert ActivityLog.objects.filter(user=member.user, action="unlocked", actor=clerk).exists()
    assert _login(client, member.user.email, PASSWORD).status_code == 302


def test_auditors_see_but_cannot_unlock(client, member, staff_user):
    for _ in range(3):
        _login(client, member.user.email, "wrong-password-x")
    sign_in_verified(client, staff_user(roles.AUDITORS))
    assert client.get(reverse("wagtailsnippets_axes_accessattempt:list")).status_code == 200
    attempt = AccessAttempt.objects.get(username=member.user.email)
    client.post(reverse("members_lockout_unlock", args=[attempt.pk]))
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
