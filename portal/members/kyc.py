"""KYC documents (M9): upload checked by content, stored privately, reviewed in the "KYC review" workflow.

The member is verified when every required document type has a verified document.
"""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from portal.notifications.services import notify
from portal.society.file_types import sniff_content_type
from portal.workflows.services import workflow_act, workflow_submit

from .activity import activity_record
from .models import (
    REQUIRED_KYC_TYPES,
    ActivityAction,
    KycDecision,
    KycDocument,
    KycDocumentType,
    Member,
    User,
)


def _check_upload(upload, document_type: str) -> tuple[str, str]:
    errors = {}
    if document_type not in KycDocumentType.values:
        errors["document_type"] = [f"Choose one of: {', '.join(map(str, KycDocumentType.labels))}."]
    if upload is None:
        errors["file"] = ["Choose a file to upload."]
        raise ValidationError(errors)
    limit = settings.KYC_MAX_UPLOAD_BYTES
    if upload.size > limit:
        errors["file"] = [f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is {limit // 1024 // 1024} MB."]
    elif upload.size == 0:
        errors["file"] = ["The file is empty."]
    upload.seek(0)
    sniffed = sniff_content_type(upload.read(16))
    upload.seek(0)
    if sniffed is None and "file" not in errors:
        errors["file"] = ["Only PDF, JPEG or PNG files are accepted; this file's content is none of them."]
    if errors:
        raise ValidationError(errors)
    return sniffed


def kyc_document_upload(*, member: Member, document_type: str, upload, by: User, request=None) -> KycDocument:
    """Store the file privately, create the document and start its review; nothing remains if any step fails."""
    content_type, extension = _check_upload(upload, document_type)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = KycDocument(
        member=member,
        document_type=document_type,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
        live=False,
    )
    document.file.save(f"upload{extension}", upload, save=False)
    try:
        with transaction.atomic():
            document.save()
            workflow_submit(obj=document, by=by, missing=None)  # without a workflow the document stays a draft
            activity_record(
                action=ActivityAction.DOCUMENT_UPLOADED,
                request=request,
                user=member.user,
                actor=by,
                detail={"document": str(document.pk), "type": document_type},
            )
    except Exception:
        document.file.delete(save=False)
        raise
    return document


@transaction.atomic
def kyc_decision_record(*, document: KycDocument, status: str, reason: str, by: User | None) -> KycDecision:
    """Record the review outcome once (workflow handlers may fire twice) and tell the member."""
    decision, created = KycDecision.objects.get_or_create(
        document=document, defaults={"status": status, "reason": reason, "decided_by": by, "decided_at": timezone.now()}
    )
    if created:
        activity_record(
            action=ActivityAction.DOCUMENT_REVIEWED,
            user=document.member.user,
            actor=by,
            detail={"document": str(document.pk), "status": status, "reason": reason},
        )
        # Lazy texts (the lazy label, not get_document_type_display): notify renders them in the member's language.
        label = KycDocumentType(document.document_type).label
        verified = status == KycDecision.VERIFIED
        body = (
            format_lazy(gettext_lazy("Your {label} was verified."), label=label)
            if verified
            else format_lazy(
                gettext_lazy("Your {label} was not accepted: {reason}\nPlease upload it again."),
                label=label,
                reason=reason,
            )
        )
        if verified and kyc_status(member=document.member) == "verified":
            body = format_lazy(
                "{}\n{}", body, gettext_lazy("All your documents are verified: your membership is fully verified.")
            )
        notify(
            user=document.member.user,
            subject=format_lazy(
                gettext_lazy("{label}: verified") if verified else gettext_lazy("{label}: rejected"), label=label
            ),
            template="generic",
            context={"body": body},
            link="/portal/documents/",
        )
    return decision


def kyc_review_act(*, document: KycDocument, user: User, action: str, reason: str = "") -> None:
    """Approve or reject through the document's current workflow task (the seed's verify-document endpoint)."""
    workflow_act(
        obj=document,
        user=user,
        action=action,
        reason=reason,
        reason_message="Say why the document is rejected; the member sees it.",
        not_waiting=ValidationError({"document": ["This document is not waiting for review."]}),
        refused="Your role cannot review KYC documents.",
    )


def kyc_status(*, member: Member, documents: list | None = None) -> str:
    """verified (every required type verified), rejected (a required type's latest is rejected), or pending.
    `documents`: the member's documents with their decisions, already read (a page that lists them)."""
    latest = {}
    if documents is None:
        ordered = member.kyc_documents.select_related("decision").order_by("uploaded_at")
    else:
        ordered = sorted(documents, key=lambda document: document.uploaded_at)
    for document in ordered:
        latest[document.document_type] = document.review_status
    if all(latest.get(t) == KycDecision.VERIFIED for t in REQUIRED_KYC_TYPES):
        return "verified"
    if any(latest.get(t) == KycDecision.REJECTED for t in REQUIRED_KYC_TYPES):
        return "rejected"
    return "pending"
