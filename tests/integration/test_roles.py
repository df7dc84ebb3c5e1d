"""M10 (foundation part): the role groups exist with exactly the permissions of the matrix."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from portal.members import roles
from portal.members.roles import ROLE_COLLECTION_PERMISSIONS, ROLE_PAGE_PERMISSIONS, ROLE_PERMISSIONS, roles_sync
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db

# Wagtail grants "choose image" to every group with admin access (wagtailimages migration 0026).
WAGTAIL_IMPLICIT = {"wagtailimages.choose_image"}


def _perms(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_every_role_exists_and_wagtail_starter_groups_are_gone():
    names = set(Group.objects.values_list("name", flat=True))
    assert set(roles.ALL_ROLES) <= names
    assert not {"Moderators", "Editors"} & names


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_group_permissions_match_the_matrix(role):
    group = Group.objects.get(name=role)
    expected = set(ROLE_PERMISSIONS[role])
    if roles.ACCESS_ADMIN in expected:
        expected |= WAGTAIL_IMPLICIT
    assert _perms(group) == expected
    page_perms = {gp.permission.codename for gp in group.page_permissions.select_related("permission")}
    assert page_perms == set(ROLE_PAGE_PERMISSIONS.get(role, []))
    collection_perms = {
        f"{cp.permission.content_type.app_label}.{cp.permission.codename}"
        for cp in group.collection_permissions.select_related("permission__content_type")
    }
    expected_collection = set(ROLE_COLLECTION_PERMISSIONS.get(role, []))
    if roles.ACCESS_ADMIN in ROLE_PERMISSIONS[role]:
        expected_collection |= WAGTAIL_IMPLICIT
    assert collection_perms == expected_collection


def test_roles_sync_is_idempotent():
    before = {g.name: _perms(g) for g in Group.objects.all()}
    assert roles_sync() == []
    assert {g.name: _perms(g) for g in Group.objects.all()} == before


def test_members_cannot_enter_the_admin(client, member):
    client.force_login(member.user)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"] or "/login" in response["Location"]


@pytest.mark.parametrize("role", roles.STAFF_ROLES)
def test_every_staff_role_reaches_the_admin_and_the_member_list(client, staff_user, role):
    sign_in_verified(client, staff_user(role))
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert client.get(reverse("wagtailsnippets_members_member:list")).status_code == 200


@pytest.mark.parametrize(
    ("role", "can_edit"),
    [
        (roles.CLERKS, True),
        (roles.ADMINISTRATORS, True),
        (roles.AUDITORS, False),
        (roles.LOANS_OFFICERS, False),
        (roles.CREDIT_COMMITTEE, False),
        (roles.TREASURER, False),
    ],
)
def test_only_clerks_and_administrators_edit_members(client, staff_user, member, role, can_edit):
    sign_in_verified(client, staff_user(role))
    response = client.get(reverse("wagtailsnippets_members_member:edit", args=[member.pk]))
    if can_edit:
        assert response.status_code == 200
    else:
        assert response.status_code in (302, 403)
    # Everyone with view permission can inspect the record read-only.
    assert client.get(reverse("wagtailsnippets_members_member:inspect", args=[member.pk])).status_code == 200


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(roles.TREASURER, True), (roles.ADMINISTRATORS, True), (roles.CLERKS, False), (roles.AUDITORS, False)],
)
def test_sacco_settings_are_edited_by_treasurer_and_administrators_only(client, staff_user, role, allowed):
    sign_in_verified(client, staff_user(role))
    response = client.get(reverse("wagtailsettings:edit", args=["society", "saccosettings"]), follow=True)
    reached_form = response.status_code == 200 and "saccosettings" in response.request["PATH_INFO"]
    assert reached_form is allowed


def test_clerk_adds_a_member_in_the_admin_and_the_number_is_issued(client, staff_user, make_user):
    from portal.members.models import Member

    person = make_user("kibet@example.com", first_name="Kibet", last_name="Rotich")
    sign_in_verified(client, staff_user(roles.CLERKS))
    response = client.post(
        reverse("wagtailsnippets_members_member:add"),
        {
            "user": person.pk,
            "join_date": "2026-02-03",
            "status": "active",
            "status_reason": "",
            "phone_number": "",
            "national_id": "",
            "employer": "",
            "payroll_number": "",
            "date_of_birth": "",
            "postal_address": "",
            "bank_name": "",
            "bank_branch": "",
            "bank_account_name": "",
            "bank_account_number": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Member.objects.get(user=person).membership_number == "MB-202602-00001"


def test_status_change_in_the_admin_needs_a_reason_and_is_logged(client, staff_user, member):
    from portal.members.models import ActivityLog

    clerk = staff_user(roles.CLERKS)
    sign_in_verified(client, clerk)
    url = reverse("wagtailsnippets_members_member:edit", args=[member.pk])
    form = {
        "user": member.user.pk,
        "join_date": "2024-03-15",
        "status": "on_hold",
        "status_reason": "",
        "phone_number": "",
        "national_id": "",
        "employer": "",
        "payroll_number": "",
        "date_of_birth": "",
        "postal_address": "",
        "bank_name": "",
        "bank_branch": "",
        "bank_account_name": "",
        "bank_account_number": "",
    }
    response = client.post(url, form)
    assert response.status_code == 200 and "A reason is required" in response.content.decode()
    member.refresh_from_db()
    assert member.status == "active"
    client.post(url, {**form, "status_reason": "Loan default under review"})
    member.refresh_from_db()
    assert member.status == "on_hold"
    assert ActivityLog.objects.filter(user=member.user, action="status_changed", actor=clerk).exists()
    client.post(
        url, {**form, "status": "on_hold", "status_reason": "Loan default under review", "payroll_number": "TSC4242"}
    )
    entry = ActivityLog.objects.get(user=member.user, action="profile_changed", actor=clerk)
    assert entry.detail == {"fields": ["payroll_number"], "via": "admin"}


def test_administrator_resets_a_member_second_factor_from_the_admin(client, staff_user, member):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=member.user, name="App", confirmed=True)
    sign_in_verified(client, staff_user(roles.ADMINISTRATORS))
    assert client.post(reverse("members_otp_reset", args=[member.user.pk])).status_code == 302
    assert not TOTPDevice.objects.filter(user=member.user).exists()
