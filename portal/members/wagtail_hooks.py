"""Wagtail admin for members: a Member snippet with search, filters, export and an inspect view."""

from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList, Panel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import HeaderButton
from wagtail.log_actions import log
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, EditView, SnippetViewSet

from portal.society.admin_edit import ServiceEditView
from portal.society.light_listing import LightListingMixin
from portal.society.list_exports import ExportingIndexView
from portal.workflows.views import (
    ApprovalIndexView,
    ApprovalInspectView,
    ApprovalWorkflowActionView,
    ReviewEditView,
    decision_kept_answers_register,
)

from . import admin_menus, admin_views
from .form_stash import form_stash_take
from .invitations import invitation_create
from .models import ActivityLog, Invitation, KycDocument, Member
from .phone import PhoneNumberField
from .profile import member_profile_update
from .services import MemberStatusError, member_create, member_status_set


class PhoneNumberAdminForm(WagtailAdminModelForm):
    """Staff type numbers as people say them (0712 345 678); the form stores +254712345678 or names the field."""

    phone_number = PhoneNumberField(required=False)


class MemberCreateView(CreateView):
    """Creating a member goes through `member_create`, which issues the membership number."""

    def save_instance(self):
        data = self.form.cleaned_data
        instance = member_create(
            user=data["user"],
            join_date=data["join_date"],
            phone_number=data.get("phone_number", ""),
            national_id=data.get("national_id", ""),
            employer=data.get("employer", ""),
            payroll_number=data.get("payroll_number", ""),
        )
        log(instance=instance, action="wagtail.create", content_changed=True)
        return instance


class MemberEditView(ServiceEditView):
    """Staff edits go through the same services as everywhere else: a status change through
    `member_status_set` (reason required, logged), contacts and payroll through `member_profile_update` (which
    fields staff may change, validation, the activity log). Who the member is (user, join date) is not edited
    here: the form shows them read-only."""

    READ_ONLY = ("user", "join_date")

    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        for name in self.READ_ONLY:
            if name in form.fields:
                form.fields[name].disabled = True
        return form

    def call_service(self, *, instance, data, by):
        stored = Member.objects.get(pk=instance.pk)
        status, reason = data.get("status"), (data.get("status_reason") or "").strip()
        if status != stored.status or reason != stored.status_reason:
            try:
                member_status_set(member=stored, status=status, reason=reason, by=by, request=self.request)
            except MemberStatusError as exc:
                raise ValidationError({"status_reason": [str(exc)]}) from exc
        profile = [f for f in self.form.fields if f not in {"status", "status_reason", *self.READ_ONLY}]
        changes = {f: data.get(f) for f in profile if data.get(f) != getattr(stored, f)}
        if changes:
            member_profile_update(member=stored, changes=changes, by=by, request=self.request, via="admin")
        return Member.objects.get(pk=instance.pk)


class MemberIndexView(ExportingIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if self.request.user.has_perm("members.change_user"):
            buttons.append(
                MenuItem(
                    "Reset second factor", url=reverse("members_otp_reset", args=[instance.user_id]), icon_name="key"
                )
            )
        return buttons


class MemberViewSet(SnippetViewSet):
    model = Member
    icon = "group"
    menu_label = "Members"
    menu_order = 100
    add_to_admin_menu = True
    add_view_class = MemberCreateView
    edit_view_class = MemberEditView
    index_view_class = MemberIndexView
    inspect_view_enabled = True
    list_display = [
        "membership_number",
        Column("full_name", label="Name", accessor="full_name"),
        Column("email", label="Email", accessor="user.email"),
        "join_date",
        "status",
    ]
    list_export = [
        "membership_number",
        "user.first_name",
        "user.last_name",
        "user.email",
        "phone_number",
        "national_id",
        "employer",
        "payroll_number",
        "join_date",
        "status",
    ]
    export_filename = "members"
    list_filter = ["status", "join_date", "employer"]
    search_fields = ["membership_number", "national_id", "payroll_number", "phone_number"]
    ordering = ["membership_number"]
    list_per_page = 50
    inspect_view_fields = [
        "membership_number",
        "user",
        "join_date",
        "status",
        "status_reason",
        "phone_number",
        "national_id",
        "employer",
        "payroll_number",
        "created_at",
    ]

    edit_handler = ObjectList(
        [
            FieldPanel("user"),
            FieldRowPanel([FieldPanel("join_date"), FieldPanel("status")]),
            FieldPanel("status_reason"),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("phone_number"), FieldPanel("national_id")]),
                    FieldRowPanel([FieldPanel("employer"), FieldPanel("payroll_number")]),
                ],
                heading="Contacts and payroll",
            ),
        ],
        base_form_class=PhoneNumberAdminForm,
    )

    def get_queryset(self, request):
        return Member.objects.select_related("user")


register_snippet(MemberViewSet)


class InvitationCreateView(CreateView):
    """Inviting goes through `invitation_create`: checks the address, issues the token, emails the link."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            self.produced_error_code = "invalid"
            self.produced_error_message = " ".join(exc.messages)
            return self.form_invalid(form)

    def save_instance(self):
        data = self.form.cleaned_data
        instance = invitation_create(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            phone_number=data.get("phone_number", ""),
            employer=data.get("employer", ""),
            payroll_number=data.get("payroll_number", ""),
            invited_by=self.request.user,
            request=self.request,
        )
        log(instance=instance, action="wagtail.create", content_changed=True)
        return instance


class InvitationEditView(EditView):
    """Invitations are not edited: a wrong address is revoked and invited again."""

    def dispatch(self, request, *args, **kwargs):
        messages.info(request, "Invitations cannot be edited. Revoke it and invite the person again.")
        return redirect("wagtailsnippets_members_invitation:list")


class InvitationIndexView(ExportingIndexView):
    @property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm("members.add_invitation"):
            buttons.append(
                HeaderButton("Invite a list (CSV)", url=reverse("members_invitation_import"), icon_name="upload")
            )
        return buttons

    def get_list_more_buttons(self, instance):
        buttons = [b for b in super().get_list_more_buttons(instance) if b.label != "Edit"]
        if instance.is_open or instance.status == "expired":
            buttons.append(
                MenuItem(
                    "Resend", url=reverse("members_invitation_resend", args=[instance.pk]), icon_name="mail", priority=5
                )
            )
        if not instance.accepted_at and not instance.revoked_at:
            buttons.append(
                MenuItem(
                    "Revoke",
                    url=reverse("members_invitation_revoke", args=[instance.pk]),
                    icon_name="cross",
                    priority=6,
                )
            )
        return buttons


class InvitationViewSet(SnippetViewSet):
    model = Invitation
    icon = "mail"
    menu_label = "Invitations"
    menu_order = 110
    add_to_admin_menu = True
    index_view_class = InvitationIndexView
    add_view_class = InvitationCreateView
    edit_view_class = InvitationEditView
    inspect_view_enabled = True
    list_display = ["email", "first_name", "last_name", "status", "expires_at", "send_count", "created_at"]
    list_filter = ["accepted_at", "revoked_at", "expires_at"]
    search_fields = ["email", "first_name", "last_name", "payroll_number"]
    list_export = ["email", "first_name", "last_name", "status", "expires_at", "sent_at", "accepted_at", "revoked_at"]
    export_filename = "invitations"
    edit_handler = ObjectList(
        [
            FieldPanel("email"),
            FieldRowPanel([FieldPanel("first_name"), FieldPanel("last_name")]),
            FieldPanel("phone_number"),
            FieldRowPanel([FieldPanel("employer"), FieldPanel("payroll_number")]),
        ],
        base_form_class=PhoneNumberAdminForm,
    )


register_snippet(InvitationViewSet)


class ActivityLogViewSet(SnippetViewSet):
    """The activity log, read only: staff search it by email, filter by action and date."""

    model = ActivityLog
    index_view_class = ExportingIndexView
    icon = "history"
    menu_label = "Activity log"
    menu_order = 900
    add_to_settings_menu = False
    add_to_admin_menu = True
    inspect_view_enabled = True
    list_display = ["created_at", "action", "email", "ip_address", "user_agent"]
    list_filter = ["action", "created_at"]
    search_fields = ["email", "ip_address"]
    list_export = ["created_at", "action", "email", "user.email", "actor.email", "ip_address", "user_agent", "detail"]
    export_filename = "activity-log"
    list_per_page = 100


register_snippet(ActivityLogViewSet)


class AccessAttemptIndexView(ExportingIndexView):
    def get_list_more_buttons(self, instance):
        buttons = [b for b in super().get_list_more_buttons(instance) if b.label not in {"Edit", "Delete"}]
        if self.request.user.has_perm("axes.delete_accessattempt"):
            buttons.append(
                MenuItem("Unlock", url=reverse("members_lockout_unlock", args=[instance.pk]), icon_name="lock-open")
            )
        return buttons


class AccessAttemptViewSet(SnippetViewSet):
    """Sign-in failures per email (django-axes). An email at the threshold is locked until unlocked or cooled off."""

    model = AccessAttempt
    icon = "lock"
    menu_label = "Locked accounts"
    menu_order = 910
    add_to_admin_menu = True
    index_view_class = AccessAttemptIndexView
    inspect_view_enabled = True
    list_display = ["username", "failures_since_start", "attempt_time", "ip_address", "user_agent"]
    list_filter = ["attempt_time"]
    search_fields = ["username", "ip_address"]
    list_export = ["username", "failures_since_start", "attempt_time", "ip_address", "user_agent"]
    export_filename = "sign-in-failures"


register_snippet(AccessAttemptViewSet)


class AccessFailureLogViewSet(SnippetViewSet):
    """Every failed sign-in, kept for the auditors."""

    model = AccessFailureLog
    index_view_class = ExportingIndexView
    icon = "warning"
    menu_label = "Failed sign-ins"
    menu_order = 920
    add_to_admin_menu = True
    inspect_view_enabled = True
    list_display = ["username", "attempt_time", "ip_address", "user_agent", "locked_out"]
    list_filter = ["locked_out", "attempt_time"]
    search_fields = ["username", "ip_address"]
    list_export = ["username", "attempt_time", "ip_address", "user_agent", "locked_out"]
    export_filename = "failed-sign-ins"
    list_per_page = 100


register_snippet(AccessFailureLogViewSet)


class KycFilePanel(Panel):
    """Shows the uploaded file through the permission-checked view (the file has no public URL)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtailadmin_custom/kyc_file_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["document"] = self.instance
            return context


class KycDocumentIndexView(LightListingMixin, ApprovalIndexView):
    subject_label = "Member"


class KycDocumentInspectView(ApprovalInspectView):
    """The read-only page of a document (auditors read KYC without deciding it): the summary, the file, the
    decisions so far."""

    detail_template_name = "wagtailadmin_custom/kyc_file_panel.html"

    def get_case_context(self) -> dict:
        return {"document": self.object}


class KycDocumentViewSet(SnippetViewSet):
    """KYC documents waiting for review or reviewed: member, document, step and days waiting. Reviewers open one
    and choose Approve or Reject (each asks for confirmation and a comment); readers open a read-only page."""

    model = KycDocument
    index_view_class = KycDocumentIndexView
    edit_view_class = ReviewEditView
    workflow_action_view_class = ApprovalWorkflowActionView
    icon = "doc-full"
    menu_label = "KYC documents"
    menu_order = 120
    add_to_admin_menu = True
    inspect_view_enabled = True
    inspect_view_class = KycDocumentInspectView
    list_display = [
        "member",  # replaced by the approval's summary columns (ApprovalIndexView): member, document, step, wait
        "uploaded_at",
        Column("review_status", label="Review"),
    ]
    list_filter = ["document_type", "uploaded_at"]
    search_fields = ["member__membership_number"]
    list_export = ["member.membership_number", "document_type", "uploaded_at", "content_type", "size", "sha256"]
    export_filename = "kyc-documents"
    panels = [
        FieldPanel("member", read_only=True),
        FieldPanel("document_type", read_only=True),
        KycFilePanel(heading="File"),
    ]

    def get_queryset(self, request):
        return KycDocument.objects.select_related("member__user", "decision")


register_snippet(KycDocumentViewSet)


@hooks.register("register_admin_urls")
def member_admin_urls():
    return [
        path("invitations/import/", admin_views.invitation_import_view, name="members_invitation_import"),
        path("invitations/<uuid:pk>/resend/", admin_views.invitation_resend_view, name="members_invitation_resend"),
        path("invitations/<uuid:pk>/revoke/", admin_views.invitation_revoke_view, name="members_invitation_revoke"),
        path("users/<uuid:pk>/reset-otp/", admin_views.otp_reset_view, name="members_otp_reset"),
        path("lockouts/<int:pk>/unlock/", admin_views.lockout_unlock_view, name="members_lockout_unlock"),
    ]


# Menus by role (portal/members/admin_menus.py): the CMS for the site's editors, the society's work for everyone.
hooks.register("construct_main_menu", admin_menus.main_menu_by_role)
hooks.register("construct_settings_menu", admin_menus.settings_menu_by_role)

# A comment typed on the approval decision page is kept across the fresh-code detour (portal/members/middleware.py
# keeps it); the decision page takes it back through the form stash.
decision_kept_answers_register(form_stash_take)
