"""M1: invitation-only registration — create, email, accept once, expire, revoke, resend, CSV import."""

import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from portal.members import roles
from portal.members.invitations import invitation_accept, invitation_create, invitations_import_csv
from portal.members.models import ActivityLog, Invitation, Member, User
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "Mvua-ya-Masika-2026"


@pytest.fixture
def clerk(staff_user):
    return staff_user(roles.CLERKS)


def _invite(clerk, email="wanjiru@example.com", **extra):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        invitation = invitation_create(
            email=email,
            first_name="Wanjiru",
            last_name="Kamau",
            invited_by=clerk,
            employer="Teachers Service Commission",
            payroll_number="TSC900",
            **extra,
        )
    token = re.search(r"/accounts/invitation/([^/]+)/", mail.outbox[-1].body).group(1)
    return invitation, token


def _accept_data(**overrides):
    return {
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "national_id": "27654321",
        "phone_number": "+254712345678",
        "date_of_birth": "1990-04-01",
        "accept_bylaws": "on",
        **overrides,
    }


def test_invitation_emails_a_single_use_link_and_stores_only_a_hash(clerk):
    invitation, token = _invite(clerk)
    assert mail.outbox[-1].to == ["wanjiru@example.com"]
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert invitation.status == "pending"
    assert ActivityLog.objects.filter(action="invited", email="wanjiru@example.com", actor=clerk).exists()


def test_accepting_creates_user_member_and_verified_email_together(client, clerk):
    invitation, token = _invite(clerk)
    response = client.post(reverse("invitation_accept", args=[token]), _accept_data())
    assert response.status_code == 302 and response["Location"] == reverse("member_area:dashboard")
    user = User.objects.get(email="wanjiru@example.com")
    member = Member.objects.get(user=user)
    assert member.national_id == "27654321" and member.payroll_number == "TSC900"
    assert member.date_of_birth == datetime.date(1990, 4, 1)
    assert user.groups.filter(name=roles.MEMBERS).exists()
    assert EmailAddress.objects.get(user=user).verified
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.accepted_user == user
    # Signed in straight away
    assert "Habari, Wanjiru" in client.get(reverse("member_area:dashboard")).content.decode()


def test_a_used_link_gets_a_clear_page_and_creates_nothing_more(client, clerk):
    _, token = _invite(clerk)
    client.post(reverse("invitation_accept", args=[token]), _accept_data())
    client.logout()
    response = client.get(reverse("invitation_accept", args=[token]))
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    response = client.post(reverse("invitation_accept", args=[token]), _accept_data())
    assert response.status_code == 410
    assert User.objects.filter(email="wanjiru@example.com").count() == 1


def test_expired_and_forged_links_are_refused(client, clerk):
    invitation, token = _invite(clerk)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    expired = client.get(reverse("invitation_accept", args=[token]))
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    forged = client.get(reverse("invitation_accept", args=["x" * 43]))
    assert forged.status_code == 404 and "not valid" in forged.content.decode()
    assert not User.objects.filter(email="wanjiru@example.com").exists()


def test_revoked_link_is_refused(client, clerk):
    from portal.members.invitations import invitation_revoke

    invitation, token = _invite(clerk)
    invitation_revoke(invitation=invitation, by=clerk)
    response = client.get(reverse("invitation_accept", args=[token]))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_resend_issues_a_new_link_and_kills_the_old_one(client, clerk):
    from django.test import TestCase

    from portal.members.invitations import invitation_resend

    invitation, old_token = _invite(clerk)
    with TestCase.captureOnCommitCallbacks(execute=True):
        invitation_resend(invitation=invitation, by=clerk)
    new_token = re.search(r"/accounts/invitation/([^/]+)/", mail.outbox[-1].body).group(1)
    assert new_token != old_token
    assert client.get(reverse("invitation_accept", args=[old_token])).status_code == 404
    assert client.get(reverse("invitation_accept", args=[new_token])).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password2": "different-password-1"}, "password2", "do not match"),
        ({"password1": "1234567890", "password2": "1234567890"}, "password1", "entirely numeric"),
        ({"national_id": "12ab"}, "national_id", "6 to 9 digits"),
        ({"accept_bylaws": ""}, "accept_bylaws", "required"),
        ({"phone_number": ""}, "phone_number", "required"),
    ],
)
def test_bad_registration_input_names_the_field_and_creates_nothing(client, clerk, overrides, field, message):
    _, token = _invite(clerk)
    response = client.post(reverse("invitation_accept", args=[token]), _accept_data(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not User.objects.filter(email="wanjiru@example.com").exists()
    assert not Member.objects.exists()


def test_no_second_open_invitation_or_existing_account(clerk, member):
    _invite(clerk)
    with pytest.raises(ValidationError, match="open invitation"):
        invitation_create(email="WANJIRU@example.com", first_name="W", last_name="K", invited_by=clerk)
    with pytest.raises(ValidationError, match="already has an account"):
        invitation_create(email=member.user.email, first_name="A", last_name="W", invited_by=clerk)


def test_csv_import_invites_everyone_or_nobody(clerk, member):
    good = (
        b"email,first_name,last_name,employer,payroll_number\n"
        b"a@example.com,Achieng,Otieno,KPLC,K1\n"
        b"b@example.com,Kibet,Rotich,,\n"
    )
    assert len(invitations_import_csv(data=good, invited_by=clerk)) == 2
    bad = (
        "email,first_name,last_name\n"
        "c@example.com,Chebet,Korir\n"
        f"{member.user.email},Amina,Wanjiru\n"
        "not-an-email,Peter,Mwangi\n"
        "d@example.com,,Njoroge\n"
        "c@example.com,Chebet,Again\n"
    ).encode()
    with pytest.raises(ValidationError) as caught:
        invitations_import_csv(data=bad, invited_by=clerk)
    messages = caught.value.messages
    assert "Row 3, email: amina@example.com already has an account." in messages
    assert "Row 4, email: Enter a valid email address." in messages
    assert "Row 5, first_name: is required" in messages
    assert "Row 6, email: c@example.com is also on row 2" in messages
    assert not Invitation.objects.filter(email="c@example.com").exists()


def test_invitation_accept_service_is_atomic(clerk, monkeypatch):
    _, token = _invite(clerk)

    def boom(**kwargs):
        raise RuntimeError("member creation failed")

    monkeypatch.setattr("portal.members.invitations.member_create", boom)
    with pytest.raises(RuntimeError):
        invitation_accept(
            token=token,
            password=GOOD_PASSWORD,
            national_id="27654321",
            phone_number="+254700000000",
            accept_bylaws=True,
        )
    assert not User.objects.filter(email="wanjiru@example.com").exists()
    assert not EmailAddress.objects.exists()
    assert Invitation.objects.get().status == "pending"  # the link still works after the failure


def test_staff_invite_from_the_wagtail_admin(client, clerk):
    sign_in_verified(client, clerk)
    response = client.post(
        reverse("wagtailsnippets_members_invitation:add"),
        {
            "email": "new@example.com",
            "first_name": "Zawadi",
            "last_name": "Mugo",
            "phone_number": "",
            "employer": "",
            "payroll_number": "",
        },
    )
    assert response.status_code == 302
    assert Invitation.objects.get(email="new@example.com").invited_by == clerk
    assert client.get(reverse("wagtailsnippets_members_invitation:list")).status_code == 200


def test_admin_refuses_a_duplicate_invitation_with_a_form_error(client, clerk):
    _invite(clerk)
    sign_in_verified(client, clerk)
    response = client.post(
        reverse("wagtailsnippets_members_invitation:add"),
        {"email": "wanjiru@example.com", "first_name": "W", "last_name": "K"},
    )
    assert response.status_code == 200
    assert "already has an open invitation" in response.content.decode()


def test_admin_csv_import_lists_row_errors(client, clerk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sign_in_verified(client, clerk)
    upload = SimpleUploadedFile("list.csv", b"email,first_name,last_name\nbad,X,Y\n", content_type="text/csv")
    response = client.post(reverse("members_invitation_import"), {"file": upload})
    assert "Row 2, email: Enter a valid email address." in response.content.decode()
    assert not Invitation.objects.exists()


def test_auditors_cannot_invite(client, staff_user):
    sign_in_verified(client, staff_user(roles.AUDITORS))
    response = client.get(reverse("members_invitation_import"))
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def test_resend_and_revoke_from_the_admin(client, clerk):
    invitation, _ = _invite(clerk)
    sign_in_verified(client, clerk)
    assert "Resend" in client.get(reverse("members_invitation_resend", args=[invitation.pk])).content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("members_invitation_resend", args=[invitation.pk]))
    assert Invitation.objects.get(pk=invitation.pk).send_count == 2
    client.post(reverse("members_invitation_revoke", args=[invitation.pk]))
    assert Invitation.objects.get(pk=invitation.pk).status == "revoked"
    response = client.post(reverse("members_invitation_resend", args=[invitation.pk]), follow=True)
    assert "cannot be resent" in response.content.decode()
