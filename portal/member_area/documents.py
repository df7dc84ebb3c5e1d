"""KYC pages: the member's documents page, and the permission-checked file download (never MEDIA_URL)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from portal.members.kyc import kyc_document_upload, kyc_status
from portal.members.models import KycDocument
from portal.members.selectors import member_for_user
from portal.society.private_files import private_file_response

from .forms import KycUploadForm
from .mixins import no_membership_response


@login_required
def documents_view(request):
    member = member_for_user(user=request.user)
    if member is None:
        return no_membership_response(request)
    form = KycUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            kyc_document_upload(
                member=member,
                document_type=form.cleaned_data["document_type"],
                upload=form.cleaned_data["file"],
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Uploaded. The office will review it and you will be notified."))
            return redirect("member_area:documents")
    documents = list(member.kyc_documents.select_related("decision"))
    return render(
        request,
        "portal/documents.html",
        {
            "member": member,
            "form": form,
            "documents": documents,
            "kyc_status": kyc_status(member=member, documents=documents),  # from the rows listed (issue 17)
        },
        status=400 if form.errors else 200,
    )


@login_required
def document_file_view(request, pk):
    """The file itself: for its member, or staff who may view KYC documents. Anyone else gets 404."""
    document = KycDocument.objects.select_related("member").filter(pk=pk).first()
    if document is None:
        raise Http404
    is_owner = document.member.user_id == request.user.pk
    is_reviewer = (
        request.user.is_staff and request.user.has_perm("members.view_kycdocument") and (request.user.is_verified())
    )
    if not (is_owner or is_reviewer):
        raise Http404
    # A download, never inline: an upload can be a valid PDF that also carries HTML (issue 12).
    return private_file_response(
        document.file.open("rb"),
        filename=f"{document.document_type}{document.file.name[-4:]}",
        content_type=document.content_type,
    )
