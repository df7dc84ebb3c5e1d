"""M6: profile changes — members edit contacts, staff edit identity, bank details need a fresh code,
nominees sum to 100 %, and nobody promotes themselves."""

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase

from portal.members import roles
from portal.members.models import ActivityLog
from portal.members.profile import member_bank_details_update, member_nominees_replace, member_profile_update

pytestmark = pytest.mark.django_db


def test_member_edits_contacts_and_it_is_logged(member):
    changed = member_profile_update(member=member, changes={"phone_number": "+254722000111"}, by=member.user)
    assert changed == ["phone_number"]
    assert ActivityLog.objects.get(user=member.user, action="profile_changed").detail == {"fields": ["phone_number"]}


@pytest.mark.parametrize("field", ["national_id", "payroll_number", "employer", "status", "membership_number"])
def test_member_cannot_edit_identity_status_or_number(member, field):
    with pytest.raises(ValidationError) as caught:
        member_profile_update(member=member, changes={field: "X"}, by=member.user)
    assert caught.value.message_dict == {field: ["You cannot change this field."]}


def test_staff_edit_identity_fields(member, staff_user):
    clerk = staff_user(roles.CLERKS)
    assert member_profile_update(member=member, changes={"payroll_number": "TSC777"}, by=clerk) == ["payroll_number"]
    with pytest.raises(ValidationError):
        member_profile_update(member=member, changes={"status": "exited"}, by=clerk)  # status has its own service


def test_another_member_cannot_edit_my_profile(member, other_member):
    with pytest.raises(ValidationError, match="only change your own"):
        member_profile_update(member=member, changes={"phone_number": "+254700000000"}, by=other_member.user)


def test_bank_change_is_logged_and_emailed(member):
    from django.core import mail

    with TestCase.captureOnCommitCallbacks(execute=True):
        member_bank_details_update(
            member=member,
            changes={"bank_name": "Co-operative Bank", "bank_account_number": "0112233445566"},
            by=member.user,
        )
    assert ActivityLog.objects.filter(user=member.user, action="bank_details_changed").exists()
    assert "bank details" in mail.outbox[-1].subject


def test_nominee_shares_must_sum_to_100(member):
    with pytest.raises(ValidationError) as caught:
        member_nominees_replace(
            member=member,
            by=member.user,
            nominees=[
                {"full_name": "Baraka Wanjiru", "relationship": "Son", "share_percent": "60"},
                {"full_name": "Neema Wanjiru", "relationship": "Daughter", "share_percent": "30"},
            ],
        )
    assert "add up to 90 %" in caught.value.message_dict["nominees"][0]
    with pytest.raises(ValidationError) as caught:
        member_nominees_replace(
            member=member, by=member.user, nominees=[{"full_name": "", "relationship": "Son", "share_percent": "-5"}]
        )
    assert set(caught.value.message_dict) == {"nominees[1].full_name", "nominees[1].share_percent"}
    created = member_nominees_replace(
        member=member,
        by=member.user,
        nominees=[
            {"full_name": "Baraka Wanjiru", "relationship": "Son", "share_percent": "66.67"},
            {"full_name": "Neema Wanjiru", "relationship": "Daughter", "share_percent": "33.33"},
        ],
    )
    assert len(created) == 2 and member.nominees.count() == 2


def test_portal_profile_saves_contacts_and_nominees(client, member):
    from django.urls import reverse

    client.force_login(member.user)
    assert client.get(reverse("member_area:profile")).status_code == 200
    client.post(
        reverse("member_area:profile"),
        {"save_contacts": "1", "phone_number": "+254733000000", "postal_address": "P.O. Box 1, Nyeri"},
    )
    member.refresh_from_db()
    assert member.phone_number == "+254733000000"
    data = {
        "save_nominees": "1",
        "nominees-TOTAL_FORMS": "2",
        "nominees-INITIAL_FORMS": "0",
        "nominees-0-full_name": "Baraka",
        "nominees-0-relationship": "Son",
        "nominees-0-share_percent": "50",
        "nominees-1-full_name": "Neema",
        "nominees-1-relationship": "Daughter",
        "nominees-1-share_percent": "40",
    }
    response = client.post(reverse("member_area:profile"), data)
    assert response.status_code == 400 and "add up to 90" in response.content.decode()
    data["nominees-1-share_percent"] = "50"
    assert client.post(reverse("member_area:profile"), data).status_code == 302
    assert member.nominees.count() == 2


def test_portal_bank_details_need_a_fresh_code(client, member):
    from django.urls import reverse
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import sign_in_verified

    device = sign_in_verified(client, member.user, fresh=False)
    response = client.get(reverse("member_area:bank_details"))
    assert response["Location"].startswith(reverse("otp_verify"))  # verified at sign-in is not fresh enough
    device = TOTPDevice.objects.get(pk=device.pk)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    client.post(reverse("otp_verify"), {"otp_token": code, "next": reverse("member_area:bank_details")})
    bad = client.post(
        reverse("member_area:bank_details"),
        {"bank_name": "KCB", "bank_account_name": "Amina", "bank_account_number": "12 34"},
    )
    assert bad.status_code == 400 and "6 to 20 digits" in bad.content.decode()
    ok = client.post(
        reverse("member_area:bank_details"),
        {"bank_name": "KCB", "bank_account_name": "Amina W", "bank_account_number": "1234567890"},
    )
    assert ok.status_code == 302
    member.refresh_from_db()
    assert member.bank_account_number == "1234567890"


def test_staff_without_member_record_get_404_on_profile(client, staff_user):
    from django.urls import reverse

    from tests.conftest import sign_in_verified

    sign_in_verified(client, staff_user(roles.CLERKS))
    assert client.get(reverse("member_area:profile")).status_code == 404
