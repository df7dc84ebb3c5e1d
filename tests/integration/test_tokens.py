"""Issue 12: refresh tokens rotate and are blacklisted; a password change or reset, a disabled login and an OTP
reset revoke every token of that user (refresh tokens at once, access tokens too)."""

import datetime

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from portal.members import roles
from tests.conftest import PASSWORD, api_token_pair, sign_in_verified

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"
PROFILE = "/api/members/profile/"


def _refresh(token):
    return APIClient().post("/api/auth/token/refresh/", {"refresh": token}, format="json")


def _with_access(access):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api.get(PROFILE)


def _assert_revoked(tokens):
    assert _refresh(tokens["refresh"]).status_code == 401
    assert _with_access(tokens["access"]).status_code == 401


def test_access_tokens_live_at_most_15_minutes(settings):
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] <= datetime.timedelta(minutes=15)
    assert settings.SIMPLE_JWT["BLACKLIST_AFTER_ROTATION"] is True


def test_a_rotated_refresh_token_is_refused(member):
    tokens = api_token_pair(APIClient(), member.user.email)
    assert _with_access(tokens["access"]).status_code == 200
    rotated = _refresh(tokens["refresh"])
    assert rotated.status_code == 200 and rotated.json()["refresh"] != tokens["refresh"]
    again = _refresh(tokens["refresh"])
    assert again.status_code == 401 and again.json()["code"] == "token_not_valid"
    assert _refresh(rotated.json()["refresh"]).status_code == 200  # the new one works, once


def test_web_password_change_revokes_api_tokens(client, member):
    tokens = api_token_pair(APIClient(), member.user.email)
    sign_in_verified(client, member.user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content
    _assert_revoked(tokens)
    assert OutstandingToken.objects.filter(user=member.user, blacklistedtoken__isnull=True).count() == 0


def test_web_password_reset_link_revokes_api_tokens(client, member):
    tokens = api_token_pair(APIClient(), member.user.email)
    from allauth.account.forms import default_token_generator as allauth_tokens
    from allauth.account.utils import user_pk_to_url_str

    key = allauth_tokens.make_token(member.user)
    url = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(member.user), "key": key})
    form_url = client.get(url)["Location"]  # allauth moves the key into the session, then shows the form
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content
    _assert_revoked(tokens)


def test_api_password_reset_revokes_api_tokens(member):
    tokens = api_token_pair(APIClient(), member.user.email)
    uid = urlsafe_base64_encode(force_bytes(member.user.pk))
    token = f"{uid}-{default_token_generator.make_token(member.user)}"
    response = APIClient().post(
        "/api/auth/reset-password/", {"token": token, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    _assert_revoked(tokens)


def test_disabling_the_login_revokes_api_tokens_for_good(member, staff_user):
    tokens = api_token_pair(APIClient(), member.user.email)
    admin = APIClient()
    admin.force_authenticate(staff_user(roles.ADMINISTRATORS))
    url = f"/api/auth/admin/toggle-user-status/{member.user.pk}/"
    assert admin.post(url, {"reason": "Left the SACCO"}, format="json").json()["is_active"] is False
    _assert_revoked(tokens)
    assert admin.post(url, {}, format="json").json()["is_active"] is True  # enabled again
    # The old tokens stay dead, the access token too (for what would be left of its 10 minutes): the owner signs
    # in again, and the new pair works.
    assert _refresh(tokens["refresh"]).status_code == 401
    _assert_revoked(tokens)
    fresh = api_token_pair(APIClient(), member.user.email)
    assert _with_access(fresh["access"]).status_code == 200


def test_otp_reset_revokes_api_tokens(member, staff_user):
    tokens = api_token_pair(APIClient(), member.user.email)
    admin = APIClient()
    admin.force_authenticate(staff_user(roles.ADMINISTRATORS))
    assert admin.post(f"/api/auth/admin/reset-user-otp/{member.user.pk}/").status_code == 200
    _assert_revoked(tokens)


def test_other_users_tokens_survive(member, other_member, staff_user):
    mine = api_token_pair(APIClient(), member.user.email)
    theirs = api_token_pair(APIClient(), other_member.user.email)
    admin = APIClient()
    admin.force_authenticate(staff_user(roles.ADMINISTRATORS))
    admin.post(f"/api/auth/admin/reset-user-otp/{member.user.pk}/")
    _assert_revoked(mine)
    assert _with_access(theirs["access"]).status_code == 200
    assert _refresh(theirs["refresh"]).status_code == 200


def test_a_token_without_the_second_factor_claims_is_refused(member):
    """Only verify-otp issues tokens; a bare simplejwt token (no device, no password hash) is not enough."""
    from rest_framework_simplejwt.tokens import RefreshToken

    bare = RefreshToken.for_user(member.user)
    assert _with_access(str(bare.access_token)).status_code == 401
    assert _refresh(str(bare)).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_refresh_token_sent_many_times_at_once_rotates_once(member):
    import threading

    from django.db import connection

    tokens = api_token_pair(APIClient(), member.user.email)
    barrier = threading.Barrier(6)
    answers = []

    def refresh():
        try:
            barrier.wait()
            answers.append(_refresh(tokens["refresh"]).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200] + [401] * 5


def test_expired_tokens_are_pruned_daily(member):
    from django_q.models import Schedule

    from portal.members.tokens import tokens_flush_expired

    assert Schedule.objects.filter(func="portal.members.tokens.tokens_flush_expired", schedule_type="D").exists()
    fresh = api_token_pair(APIClient(), member.user.email)
    OutstandingToken.objects.create(
        user=member.user,
        jti="expired-one",
        token="x",
        created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
        expires_at=datetime.datetime(2020, 1, 2, tzinfo=datetime.UTC),
    )
    tokens_flush_expired()
    assert not OutstandingToken.objects.filter(jti="expired-one").exists()
    assert _refresh(fresh["refresh"]).status_code == 200  # a live token is kept
