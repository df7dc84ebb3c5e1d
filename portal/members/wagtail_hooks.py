"""Wagtail admin for members: a Member snippet with search, filters, export and an inspect view."""

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.log_actions import log
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, SnippetViewSet

from .models import Member
from .services import member_create


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


class MemberViewSet(SnippetViewSet):
    model = Member
    icon = "group"
    menu_label = "Members"
    menu_order = 100
    add_to_admin_menu = True
    create_view_class = MemberCreateView
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
        "user__first_name",
        "user__last_name",
        "user__email",
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

    panels = [
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
    ]

    def get_queryset(self, request):
        return Member.objects.select_related("user")


register_snippet(MemberViewSet)
