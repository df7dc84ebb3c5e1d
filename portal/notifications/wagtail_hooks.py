"""Admin for mass email: compose, send (queued to django-q2), watch progress, read the delivery log."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from portal.society.admin_edit import ServiceCreateView, ServiceEditView
from portal.society.list_exports import ExportingIndexView

from .drafts import mass_email_draft_create, mass_email_draft_update
from .mass_email import mass_email_queue, mass_email_recipients
from .models import MassEmail, MassEmailDelivery


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


register_snippet(MassEmailViewSet)
register_snippet(MassEmailDeliveryViewSet)


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
