"""M9: KYC uploads checked by content and size, stored privately, reviewed through the Wagtail workflow."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from rest_framework.test import APIClient

from portal.members import roles
from portal.members.kyc import kyc_document_upload, kyc_review_act, kyc_status
from portal.members.models import REQUIRED_KYC_TYPES, ActivityLog, KycDocument

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.PRIVATE_MEDIA_ROOT


def _pdf(name="id.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _upload(member, document_type="national_id_front", upload=None):
    return kyc_document_upload(member=member, document_type=document_type, upload=upload or _pdf(), by=member.user)


def test_upload_stores_privately_and_enters_review(member, private_root, settings):
    document = _upload(member)
    stored = private_root / document.file.name
    assert stored.exists() and stored.read_bytes() == PDF
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))
    assert document.content_type == "application/pdf" and len(document.sha256) == 64
    assert document.current_workflow_task_state is not None  # waiting in "KYC check"
    assert document.review_status == "pending"
    assert ActivityLog.objects.filter(user=member.user, action="document_uploaded").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 100, "content is none of them"),  # an .exe renamed .pdf
        ("photo.png", b"GIF89a" + b"\x00" * 20, "content is none of them"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_forged_or_empty_uploads_are_refused_and_nothing_is_stored(member, private_root, name, content, message):
    with pytest.raises(ValidationError, match=message):
        _upload(member, upload=SimpleUploadedFile(name, content))
    assert not KycDocument.objects.exists()
    assert not any(p.is_file() for p in private_root.rglob("*")) if private_root.exists() else True


def test_oversized_upload_is_refused(member, settings, private_root):
    settings.KYC_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError, match="the limit is"):
        _upload(member, upload=_pdf(content=PDF + b"0" * 2048))
    assert not KycDocument.objects.exists()


def test_unknown_document_type_is_refused(member):
    with pytest.raises(ValidationError, match="Choose one of"):
        _upload(member, document_type="selfie")


def test_reviewer_approves_through_the_workflow_and_the_member_is_notified(member, staff_user):
    clerk = staff_user(roles.CLERKS)
    documents = [_upload(member, t) for t in REQUIRED_KYC_TYPES]
    with TestCase.captureOnCommitCallbacks(execute=True):
        for document in documents:
            kyc_review_act(document=document, user=clerk, action="approve")
    assert kyc_status(member=member) == "verified"
    assert member.user.notifications.filter(subject__contains="verified").count() == 4
    assert all(KycDocument.objects.get(pk=d.pk).decision.decided_by == clerk for d in documents)


def test_reject_needs_a_reason_and_the_member_sees_it(member, staff_user):
    clerk = staff_user(roles.CLERKS)
    document = _upload(member)
    with pytest.raises(ValidationError, match="Say why"):
        kyc_review_act(document=document, user=clerk, action="reject")
    kyc_review_act(document=document, user=clerk, action="reject", reason="The photo is blurred")
    document.refresh_from_db()
    assert document.decision.status == "rejected" and document.decision.reason == "The photo is blurred"
    assert kyc_status(member=member) == "rejected"


@pytest.mark.parametrize("role", [roles.AUDITORS, roles.LOANS_OFFICERS, roles.TREASURER, roles.CREDIT_COMMITTEE])
def test_other_roles_cannot_review(member, staff_user, role):
    from django.core.exceptions import PermissionDenied

    document = _upload(member)
    with pytest.raises(PermissionDenied):
        kyc_review_act(document=document, user=staff_user(role), action="approve")


def test_file_is_served_only_to_its_member_and_reviewers(client, member, other_member, staff_user):
    from tests.conftest import sign_in_verified

    document = _upload(member)
    url = reverse("member_area:document_file", args=[document.pk])
    client.force_login(member.user)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"
    client.force_login(other_member.user)
    assert client.get(url).status_code == 404
    sign_in_verified(client, staff_user(roles.LOANS_OFFICERS))  # staff without KYC permission
    assert client.get(url).status_code == 404
    sign_in_verified(client, staff_user(roles.CLERKS))
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302  # to sign in


def test_portal_upload_page_shows_errors_and_status(client, member):
    client.force_login(member.user)
    bad = client.post(
        reverse("member_area:documents"),
        {"document_type": "kra_pin", "file": SimpleUploadedFile("pin.pdf", b"MZ" + b"\0" * 50)},
    )
    assert bad.status_code == 400 and "content is none of them" in bad.content.decode()
    ok = client.post(reverse("member_area:documents"), {"document_type": "kra_pin", "file": _pdf("pin.pdf")})
    assert ok.status_code == 302
    page = client.get(reverse("member_area:documents")).content.decode()
    assert "KRA PIN certificate" in page and "In review" in page


def test_api_upload_list_and_verify(member, other_member, staff_user):
    api = APIClient()
    api.force_authenticate(member.user)
    missing = api.post("/api/auth/upload-document/", {"document_type": "passport_photo"}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()
    forged = api.post(
        "/api/auth/upload-document/",
        {"document_type": "passport_photo", "file": SimpleUploadedFile("x.png", b"MZ" + b"\0" * 40)},
        format="multipart",
    )
    assert forged.status_code == 400 and "content is none of them" in forged.json()["file"][0]
    upload = SimpleUploadedFile("me.png", PNG, content_type="image/png")
    response = api.post(
        "/api/auth/upload-document/", {"document_type": "passport_photo", "file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    document_id = response.json()["id"]
    listing = api.get(f"/api/members/{member.pk}/documents/").json()
    assert listing["results"][0]["review_status"] == "pending"
    api.force_authenticate(other_member.user)
    assert api.get(f"/api/members/{member.pk}/documents/").status_code == 404
    assert api.post(f"/api/auth/admin/verify-document/{document_id}/", {"action": "approve"}).status_code == 403
    api.force_authenticate(staff_user(roles.CLERKS))
    assert api.post(f"/api/auth/admin/verify-document/{document_id}/", {"action": "reject"}).status_code == 400
    verified = api.post(f"/api/auth/admin/verify-document/{document_id}/", {"action": "approve"})
    assert verified.status_code == 200 and verified.json()["review_status"] == "verified"
    again = api.post(f"/api/auth/admin/verify-document/{document_id}/", {"action": "approve"})
    assert again.status_code == 400  # no longer waiting for review


def test_reviewer_approves_in_the_wagtail_admin(client, member, staff_user):
    from tests.conftest import sign_in_verified

    document = _upload(member)
    clerk = staff_user(roles.CLERKS)
    sign_in_verified(client, clerk)
    edit_url = reverse("wagtailsnippets_members_kycdocument:edit", args=[document.pk])
    page = client.get(edit_url)
    assert page.status_code == 200 and "Open the file" in page.content.decode()
    task_state = document.current_workflow_task_state
    action_url = reverse(
        "wagtailsnippets_members_kycdocument:workflow_action", args=[document.pk, "approve", task_state.id]
    )
    # Posted as a plain page, Wagtail's action URL decides nothing: it sends to the decision page (issue 14).
    response = client.post(action_url, {})
    decide = f"/admin/approvals/members/kycdocument/{document.pk}/decide/approve/"
    assert response.status_code == 302 and response["Location"] == decide
    assert KycDocument.objects.get(pk=document.pk).review_status == "pending"
    # From Wagtail's own modal (its confirmation, with a comment) it decides.
    response = client.post(action_url, {"comment": ""}, headers={"x-requested-with": "XMLHttpRequest"})
    assert response.status_code == 200
    document.refresh_from_db()
    assert document.decision.status == "verified"


def test_approve_from_the_edit_page_finishes_the_review(client, member, staff_user):
    """Regression: the edit view used to save a new revision first, which (with reapproval on edit) restarted
    the review instead of finishing it."""
    from tests.conftest import sign_in_verified

    document = _upload(member)
    sign_in_verified(client, staff_user(roles.CLERKS))
    url = reverse("wagtailsnippets_members_kycdocument:edit", args=[document.pk])
    response = client.post(url, {"action-workflow-action": "true", "workflow-action-name": "approve"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.decision.status == "verified"
    assert document.workflow_states.get().status == "approved"
    assert document.revisions.count() == 1


def test_reject_from_the_edit_page_needs_and_keeps_the_reason(client, member, staff_user):
    import json

    from tests.conftest import sign_in_verified

    document = _upload(member)
    sign_in_verified(client, staff_user(roles.CLERKS))
    url = reverse("wagtailsnippets_members_kycdocument:edit", args=[document.pk])
    client.post(
        url,
        {
            "action-workflow-action": "true",
            "workflow-action-name": "reject",
            "workflow-action-extra-data": json.dumps({"comment": "Expired ID"}),
        },
    )
    document.refresh_from_db()
    assert document.decision.status == "rejected" and document.decision.reason == "Expired ID"


def test_an_approval_needs_a_fresh_code(client, member, staff_user):
    from tests.conftest import sign_in_verified

    document = _upload(member)
    sign_in_verified(client, staff_user(roles.CLERKS), fresh=False)
    url = reverse("wagtailsnippets_members_kycdocument:edit", args=[document.pk])
    response = client.post(url, {"action-workflow-action": "true", "workflow-action-name": "approve"}, HTTP_REFERER=url)
    assert response["Location"].startswith(reverse("otp_verify"))
    document.refresh_from_db()
    assert document.review_status == "pending"
