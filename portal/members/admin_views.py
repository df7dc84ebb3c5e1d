"""Wagtail admin action views for invitations and accounts: each checks permission, then calls a service."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from portal.society.file_reader import FileRejected, upload_read

from .invitations import INVITATION_LIST_MAX_BYTES, invitation_resend, invitation_revoke, invitations_import_csv
from .lockout_services import lockout_unlock
from .models import Invitation, User
from .otp import otp_devices_reset

INVITATIONS_LIST = "wagtailsnippets_members_invitation:list"


def _require(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _confirm(request, *, title, message, action_label, obj):
    return TemplateResponse(
        request,
        "wagtailadmin_custom/confirm_action.html",
        {
            "title": title,
            "message": message,
            "action_label": action_label,
            "object": obj,
            "cancel_url": reverse(INVITATIONS_LIST),
        },
    )


def _invitation_action(request, pk, *, service, title, message, label, done):
    """Confirm on GET, act on POST through `service`, then back to the list with the outcome."""
    _require(request, "members.change_invitation")
    invitation = get_object_or_404(Invitation, pk=pk)
    if request.method != "POST":
        return _confirm(
            request, title=title.format(email=invitation.email), message=message, action_label=label, obj=invitation
        )
    try:
        service(invitation=invitation, by=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done.format(email=invitation.email))
    return redirect(INVITATIONS_LIST)


def invitation_resend_view(request, pk):
    return _invitation_action(
        request,
        pk,
        service=invitation_resend,
        title="Resend invitation to {email}",
        message="A new link is emailed; the previous link stops working.",
        label="Resend",
        done="Invitation resent to {email}.",
    )


def invitation_revoke_view(request, pk):
    return _invitation_action(
        request,
        pk,
        service=invitation_revoke,
        title="Revoke invitation to {email}",
        message="The link stops working at once. You can invite the person again later.",
        label="Revoke",
        done="Invitation to {email} revoked.",
    )


class InvitationCsvForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text="Header row: email, first_name, last_name, and optionally phone_number, employer, payroll_number. "
        "At most 2 MB; split longer lists.",
    )


def invitation_import_view(request):
    _require(request, "members.add_invitation")
    form = InvitationCsvForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = upload_read(upload, max_bytes=INVITATION_LIST_MAX_BYTES)
            created = invitations_import_csv(data=data, invited_by=request.user, request=request, file_name=upload.name)
        except FileRejected as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, f"{len(created)} invitations sent.")
            return redirect(INVITATIONS_LIST)
    return TemplateResponse(
        request,
        "wagtailadmin_custom/invitation_import.html",
        {"form": form, "errors": errors, "cancel_url": reverse(INVITATIONS_LIST)},
    )


def lockout_unlock_view(request, pk):
    """Unlock one locked email (deletes its axes attempt record) and log who did it."""
    from axes.models import AccessAttempt

    _require(request, "axes.delete_accessattempt")
    attempt = get_object_or_404(AccessAttempt, pk=pk)
    if request.method != "POST":
        return TemplateResponse(
            request,
            "wagtailadmin_custom/confirm_action.html",
            {
                "title": f"Unlock {attempt.username}",
                "message": "The person can sign in again at once.",
                "action_label": "Unlock",
                "cancel_url": reverse("wagtailsnippets_axes_accessattempt:list"),
            },
        )
    lockout_unlock(email=attempt.username, by=request.user, request=request)
    messages.success(request, f"{attempt.username} is unlocked.")
    return redirect("wagtailsnippets_axes_accessattempt:list")


def otp_reset_view(request, pk):
    """Remove a person's second-factor devices after staff have checked who they are (M11)."""
    _require(request, "members.change_user")
    user = get_object_or_404(User, pk=pk)
    if request.method != "POST":
        return TemplateResponse(
            request,
            "wagtailadmin_custom/confirm_action.html",
            {
                "title": f"Reset the second factor of {user.get_full_name() or user.email}",
                "message": "Their authenticator app, emailed codes and backup codes stop working. Do this only after "
                "checking their identity (national ID in person or a call-back to the registered phone).",
                "action_label": "Reset",
                "cancel_url": reverse("wagtailsnippets_members_member:list"),
            },
        )
    otp_devices_reset(user=user, by=request.user, request=request)
    messages.success(request, f"Second factor reset for {user.email}. They enrol again at their next sign-in.")
    return redirect("wagtailsnippets_members_member:list")
