"""M10: a member reaches only their own records — every member-scoped API object and download gives another
member 404 — and each seed path under /api/members/ and /api/auth/ answers only the roles allowed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from portal.members import roles
from portal.members.kyc import kyc_document_upload

pytestmark = pytest.mark.django_db

MEMBER_SCOPED = ["/api/members/{pk}/", "/api/members/{pk}/documents/", "/api/members/{pk}/activity-logs/"]
STAFF_ROLES_WITH_VIEW = roles.STAFF_ROLES  # every staff role may read the member register


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("path", MEMBER_SCOPED)
def test_own_records_are_readable(api, member, path):
    api.force_authenticate(member.user)
    assert api.get(path.format(pk=member.pk)).status_code == 200


@pytest.mark.parametrize("path", MEMBER_SCOPED)
def test_another_members_records_are_404(api, member, other_member, path):
    api.force_authenticate(other_member.user)
    assert api.get(path.format(pk=member.pk)).status_code == 404


@pytest.mark.parametrize("path", MEMBER_SCOPED)
def test_anonymous_is_401(api, member, path):
    assert api.get(path.format(pk=member.pk)).status_code == 401


def test_member_detail_shows_only_that_member(api, member, other_member):
    api.force_authenticate(member.user)
    body = api.get(f"/api/members/{member.pk}/").json()
    assert body["membership_number"] == member.membership_number
    assert other_member.membership_number not in str(body)


@pytest.mark.parametrize("role", STAFF_ROLES_WITH_VIEW)
def test_staff_read_the_register_and_a_member(api, staff_user, member, other_member, role):
    api.force_authenticate(staff_user(role))
    listing = api.get("/api/members/")
    assert listing.status_code == 200 and listing.json()["count"] == 2
    assert api.get(f"/api/members/{member.pk}/").status_code == 200


def test_members_cannot_list_the_register(api, member):
    api.force_authenticate(member.user)
    assert api.get("/api/members/").status_code == 403


def test_register_search_and_filter(api, staff_user, member, other_member):
    api.force_authenticate(staff_user(roles.CLERKS))
    assert api.get("/api/members/", {"search": "Otieno"}).json()["count"] == 1
    assert api.get("/api/members/", {"status": "exited"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("role", "documents", "activity"),
    [
        (roles.CLERKS, 200, 200),
        (roles.AUDITORS, 200, 200),
        (roles.ADMINISTRATORS, 200, 200),
        (roles.LOANS_OFFICERS, 404, 404),
        (roles.CREDIT_COMMITTEE, 404, 404),
        (roles.TREASURER, 404, 404),
    ],
)
def test_kyc_and_activity_are_for_the_roles_that_need_them(api, staff_user, member, role, documents, activity):
    api.force_authenticate(staff_user(role))
    assert api.get(f"/api/members/{member.pk}/documents/").status_code == documents
    assert api.get(f"/api/members/{member.pk}/activity-logs/").status_code == activity


def test_staff_without_member_record_cannot_upload_documents(api, staff_user):
    api.force_authenticate(staff_user(roles.CLERKS))
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    response = api.post("/api/auth/upload-document/", {"document_type": "kra_pin", "file": upload}, format="multipart")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (roles.CLERKS, True),
        (roles.ADMINISTRATORS, True),
        (roles.AUDITORS, False),
        (roles.LOANS_OFFICERS, False),
        (roles.CREDIT_COMMITTEE, False),
        (roles.TREASURER, False),
    ],
)
def test_verify_document_only_for_kyc_reviewers(api, staff_user, member, role, allowed):
    document = kyc_document_upload(
        member=member, document_type="kra_pin", by=member.user, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")
    )
    api.force_authenticate(staff_user(role))
    response = api.post(f"/api/auth/admin/verify-document/{document.pk}/", {"action": "approve"})
    assert response.status_code == (200 if allowed else 403)


def test_a_member_cannot_verify_their_own_document(api, member):
    document = kyc_document_upload(
        member=member, document_type="kra_pin", by=member.user, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")
    )
    api.force_authenticate(member.user)
    assert api.post(f"/api/auth/admin/verify-document/{document.pk}/", {"action": "approve"}).status_code == 403
