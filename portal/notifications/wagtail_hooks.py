"""Admin for mass email: compose, send (queued to django-q2), watch progress, read the delivery log."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from portal.society.admin_edit import ServiceCreateView, ServiceEditView
from portal.society.list_exports import ExportingIndexView

from .drafts import mass_email_draft_create, mass_email_draft_update
from .mass_email import mass_email_queue, mass_email_recipients
from .models import MassEmail, MassEmailDelivery, SmsMessage


def _draft(data: dict) -> dict:
    return {
        "subject": data["subject"],
        "body": data["body"],
        "audience": data["audience"],
        "employer": data.get("employer", ""),
    }


class MassEmailCreateView(ServiceCreateView):
    """Writing a draft goes through `mass_email_draft_create` (its checks and the audit entry)."""

    def call_service(self, *, instance, data, by):
        return mass_email_draft_create(by=by, **_draft(data))


class MassEmailEditView(ServiceEditView):
    """Changing a draft goes through `mass_email_draft_update`, which refuses an email already queued or sent."""

    def call_service(self, *, instance, data, by):
        return mass_email_draft_update(mass_email=instance, by=by, **_draft(data))


class MassEmailIndexView(ExportingIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if instance.status != MassEmail.DRAFT:
            buttons = [b for b in buttons if b.label != "Edit"]
        elif self.request.user.has_perm("notifications.change_massemail"):
            buttons.append(
                MenuItem("Send", url=reverse("notifications_mass_email_send", args=[instance.pk]), icon_name="mail")
            )
        buttons.append(
            MenuItem(
                "Delivery log",
                icon_name="list-ul",
                url=reverse("wagtailsnippets_notifications_massemaildelivery:list") + f"?mass_email={instance.pk}",
            )
        )
        return buttons


class MassEmailViewSet(SnippetViewSet):
    model = MassEmail
    icon = "mail"
    menu_label = "Mass email"
    menu_order = 130
    add_to_admin_menu = True
    index_view_class = MassEmailIndexView
    add_view_class = MassEmailCreateView
    edit_view_class = MassEmailEditView
    inspect_view_enabled = True
    list_display = ["subject", "audience", "status", Column("progress", label="Progress"), "failed_count", "created_at"]
    list_filter = ["status", "audience"]
    list_export = [
        "subject",
        "audience",
        "employer",
        "status",
        "total",
        "sent_count",
        "failed_count",
        "created_by.email",
        "created_at",
        "queued_at",
        "finished_at",
    ]
    export_filename = "mass-emails"
    search_fields = ["subject"]
    inspect_view_fields = [
        "subject",
        "body",
        "audience",
        "employer",
        "status",
        "total",
        "sent_count",
        "failed_count",
        "created_by",
        "queued_at",
        "finished_at",
    ]
    panels = [
        FieldPanel("subject"),
        FieldPanel("body"),
        FieldRowPanel([FieldPanel("audience"), FieldPanel("employer")]),
    ]


class MassEmailDeliveryViewSet(SnippetViewSet):
    """Per-recipient delivery log, read only."""

    model = MassEmailDelivery
    index_view_class = ExportingIndexView
    icon = "list-ul"
    menu_label = "Email deliveries"
    add_to_admin_menu = False
    list_display = ["email", "mass_email", "status", "sent_at", "error"]
    list_filter = ["status", "mass_email"]
    search_fields = ["email"]
    list_export = ["email", "mass_email.subject", "status", "sent_at", "error"]
    export_filename = "email-deliveries"


class SmsLogPermissionPolicy(ModelPermissionPolicy):
    """The SMS log is read only for everyone (rows are written by `sms_send` and delivery reports alone), and
    readable by whoever reads the email delivery log (the member desk, the auditors): the same kind of record."""

    READ_ACTIONS = {"view"}

    def user_has_permission(self, user, action):
        if action not in self.READ_ACTIONS or not user.is_active:
            return False
        return user.is_superuser or user.has_perm("notifications.view_massemaildelivery")

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        if not self.READ_ACTIONS.intersection(actions):
            return get_user_model().objects.none()
        codename = Q(codename="view_massemaildelivery", content_type__app_label="notifications")
        return (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(
                Q(is_superuser=True)
                | Q(user_permissions__in=_permissions(codename))
                | Q(groups__permissions__in=_permissions(codename))
            )
            .distinct()
        )

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions)


def _permissions(query):
    return Permission.objects.filter(query)


class SmsMessageViewSet(SnippetViewSet):
    """Every SMS the portal sent: to whom, what kind, the gateway's status and the delivery report. Read only."""

    model = SmsMessage
    permission_policy = SmsLogPermissionPolicy(SmsMessage)
    index_view_class = ExportingIndexView
    icon = "mobile-alt"
    menu_label = "SMS log"
    menu_order = 131
    add_to_admin_menu = True
    inspect_view_enabled = True
    list_display = ["to", "kind", "status", "provider_status", "created_at", "delivery_reported_at", "failure_reason"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "provider_message_id"]
    list_export = [
        "to",
        "user.email",
        "kind",
        "status",
        "provider_status",
        "provider_message_id",
        "cost",
        "failure_reason",
        "network_code",
        "created_at",
        "sent_at",
        "delivery_reported_at",
    ]
    export_filename = "sms-log"
    inspect_view_fields = [
        "to",
        "user",
        "kind",
        "text",
        "status",
        "provider_status",
        "provider_message_id",
        "cost",
        "failure_reason",
        "network_code",
        "retry_count",
        "created_at",
        "sent_at",
        "delivery_reported_at",
    ]


register_snippet(MassEmailViewSet)
register_snippet(MassEmailDeliveryViewSet)
register_snippet(SmsMessageViewSet)


def mass_email_send_view(request, pk):
    if not request.user.has_perm("notifications.change_massemail"):
        raise PermissionDenied
    mass_email = get_object_or_404(MassEmail, pk=pk)
    if request.method != "POST":
        count = mass_email_recipients(audience=mass_email.audience, employer=mass_email.employer).count()
        return TemplateResponse(
            request,
            "wagtailadmin_custom/confirm_action.html",
            {
                "title": f"Send “{mass_email.subject}”",
                "message": f"It goes to {count} members, in the background. You can watch the progress in the list.",
                "action_label": f"Send to {count} members",
                "cancel_url": reverse("wagtailsnippets_notifications_massemail:list"),
            },
        )
    mass_email_queue(mass_email=mass_email, by=request.user)
    messages.success(request, f"“{mass_email.subject}” is queued for {mass_email.deliveries.count()} members.")
    return redirect("wagtailsnippets_notifications_massemail:list")


@hooks.register("register_admin_urls")
def notification_admin_urls():
    return [path("mass-email/<uuid:pk>/send/", mass_email_send_view, name="notifications_mass_email_send")]
