"""The member area shell: allauth email login, a greeting with the membership number, closed sign-up."""

import pytest
from django.urls import reverse

from portal.members import roles
from tests.conftest import PASSWORD, sign_in_verified

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("member_area:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_member_signs_in_with_email_and_sees_their_number(client, member, other_member):
    response = client.post(reverse("account_login"), {"login": member.user.email, "password": PASSWORD}, follow=True)
    html = response.content.decode()
    assert response.request["PATH_INFO"] == reverse("member_area:dashboard")
    assert "Habari, Amina" in html
    assert member.membership_number in html
    assert other_member.membership_number not in html


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, member):
    wrong = client.post(reverse("account_login"), {"login": member.user.email, "password": "nope-nope-nope"})
    unknown = client.post(reverse("account_login"), {"login": "nobody@example.com", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert "not correct" in wrong.content.decode()
    assert "not correct" in unknown.content.decode()


def test_staff_without_a_member_record_land_in_the_admin(client, staff_user):
    user = staff_user(roles.CLERKS)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("wagtailadmin_home")
    # Staff must enrol a second factor before anything else
    assert client.get(reverse("wagtailadmin_home"))["Location"].startswith(reverse("otp_setup"))
    sign_in_verified(client, user)
    dashboard = client.get(reverse("member_area:dashboard"))
    assert "staff account without a member record" in dashboard.content.decode()


def test_wagtail_admin_login_goes_through_allauth(client):
    response = client.get(reverse("wagtailadmin_home"))
    assert response["Location"].startswith(reverse("account_login"))


def test_there_is_no_open_sign_up(client):
    response = client.get(reverse("account_signup"))
    assert "Sign Up Closed" in response.content.decode() or response.status_code == 403
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": "Str0ng-pass-word", "password2": "Str0ng-pass-word"},
    )
    from portal.members.models import User

    assert not User.objects.filter(email="new@example.com").exists()


def test_dashboard_stays_within_its_query_budget(client, member, django_assert_max_num_queries):
    client.force_login(member.user)
    # session, user, member, settings, the OTP device lookups (one per kind of device django-otp knows: app, backup
    # codes, email and, since issue 15, SMS), the unread count, the balances and the chart… and, with
    # WAGTAIL_I18N_ENABLED, the home page's translations for Wagtail's site root paths (cached; cold here).
    with django_assert_max_num_queries(22):
        assert client.get(reverse("member_area:dashboard")).status_code == 200
