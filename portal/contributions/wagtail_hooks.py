"""Admin for savings: payments (read only, reversed through a button), check-off imports, schedules, summaries,
reminders, and the desk pages (record payments, check-off import, missing, incomplete, report)."""

from django.urls import path, reverse, reverse_lazy
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import HeaderButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from portal.finance.permissions import ReadOnlyPermissionPolicy
from portal.society.admin_edit import ServiceCreateView, ServiceEditView
from portal.society.list_exports import ExportingIndexView
from portal.society.money_fields import MoneyFormField

from . import admin_views
from .models import (
    CheckoffImport,
    CheckoffRow,
    ContributionReminder,
    MemberContributionSchedule,
    MemberShareSummary,
    MonthlyContribution,
    ShareCapitalPayment,
)
from .services import contribution_schedule_set, share_capital_term_set


class PaymentIndexView(ExportingIndexView):
    """Payments list: a *Record payments* button, and *Reverse* on each unreversed row for those allowed."""

    reverse_url_name = ""

    @property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm(admin_views.POST_PERM):
            buttons.append(HeaderButton("Record payments", url=reverse("contributions_bulk_entry"), icon_name="plus"))
        return buttons

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if self.request.user.has_perm(admin_views.REVERSE_PERM) and not instance.is_reversed:
            buttons.append(
                ListingMenuItem("Reverse", url=reverse(self.reverse_url_name, args=[instance.pk]), icon_name="undo")
            )
        return buttons


class ContributionIndexView(PaymentIndexView):
    reverse_url_name = "contributions_contribution_reverse"


class ShareCapitalIndexView(PaymentIndexView):
    reverse_url_name = "contributions_share_capital_reverse"


def _status(instance) -> str:
    return "Reversed" if instance.is_reversed else "Posted"


PAYMENT_EXPORT = [
    "member.membership_number",
    "member.user.first_name",
    "member.user.last_name",
    "amount",
    "date",
    "reference",
    "source",
    "bank_account.name",
    "entry.idempotency_key",
    "recorded_by.email",
    "recorded_at",
]


class MonthlyContributionViewSet(SnippetViewSet):
    model = MonthlyContribution
    permission_policy = ReadOnlyPermissionPolicy(MonthlyContribution)
    index_view_class = ContributionIndexView
    icon = "date"
    menu_label = "Monthly contributions"
    inspect_view_enabled = True
    list_display = [
        "member",  # the first column carries the row's links and action buttons
        Column("period_label", label="Period", accessor="period_label"),
        "amount",
        "date",
        "reference",  # the source (staff, check-off, M-Pesa…) is a filter, in the export and on the record (issue 17)
        Column("status", label="Status", accessor=_status),
    ]
    list_filter = ["period", "source", "date"]
    search_fields = ["reference", "member__membership_number"]
    list_export = [*PAYMENT_EXPORT[:4], "period", *PAYMENT_EXPORT[4:], "below_minimum_reason"]
    export_filename = "monthly-contributions"
    list_per_page = 50

    def get_queryset(self, request):
        return MonthlyContribution.objects.select_related("member__user", "entry__reversed_by", "bank_account")


class ShareCapitalPaymentViewSet(SnippetViewSet):
    model = ShareCapitalPayment
    permission_policy = ReadOnlyPermissionPolicy(ShareCapitalPayment)
    index_view_class = ShareCapitalIndexView
    icon = "pick"
    menu_label = "Share capital"
    inspect_view_enabled = True
    list_display = [
        "member",  # the first column carries the row's links and action buttons
        "amount",
        "date",
        "reference",  # the source (staff, check-off, M-Pesa…) is a filter, in the export and on the record (issue 17)
        Column("status", label="Status", accessor=_status),
    ]
    list_filter = ["source", "date"]
    search_fields = ["reference", "member__membership_number"]
    list_export = PAYMENT_EXPORT
    export_filename = "share-capital-payments"
    list_per_page = 50

    def get_queryset(self, request):
        return ShareCapitalPayment.objects.select_related("member__user", "entry__reversed_by", "bank_account")


class CheckoffIndexView(ExportingIndexView):
    @property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm(admin_views.POST_PERM):
            buttons.append(
                HeaderButton("Import a file", url=reverse("contributions_checkoff_import"), icon_name="upload")
            )
        return buttons


class CheckoffImportViewSet(SnippetViewSet):
    model = CheckoffImport
    permission_policy = ReadOnlyPermissionPolicy(CheckoffImport)
    index_view_class = CheckoffIndexView
    icon = "upload"
    menu_label = "Check-off imports"
    inspect_view_enabled = True
    list_display = ["file_name", Column("period", accessor="period_label"), "row_count", "total_amount", "posted_at"]
    list_filter = ["period", "bank_account"]
    search_fields = ["file_name", "sha256"]
    list_export = ["file_name", "period", "received_on", "row_count", "total_amount", "sha256", "posted_by.email"]
    export_filename = "checkoff-imports"


class CheckoffRowViewSet(SnippetViewSet):
    model = CheckoffRow
    index_view_class = ExportingIndexView
    permission_policy = ReadOnlyPermissionPolicy(CheckoffRow)
    icon = "list-ol"
    menu_label = "Check-off rows"
    list_display = [
        "checkoff",
        "row_number",
        Column("member", accessor="member.membership_number"),
        "share_capital",
        "deposits",
        "loan_repayment",
        "loan_allocated_at",
    ]
    list_filter = ["checkoff", "loan_allocated_at"]
    search_fields = ["member__membership_number"]
    list_export = [
        "checkoff.file_name",
        "row_number",
        "member.membership_number",
        "share_capital",
        "deposits",
        "loan_repayment",
        "loan_allocated_at",
    ]
    export_filename = "checkoff-rows"

    def get_queryset(self, request):
        return CheckoffRow.objects.select_related("checkoff", "member")


class ScheduleForm(WagtailAdminModelForm):
    """The monthly amount through the one money parser; blank means the SACCO's minimum."""

    monthly_amount = MoneyFormField(required=False, help_text="Blank: the SACCO's minimum monthly contribution.")


class _ScheduleServiceMixin:
    """The amount and the term go through `contribution_schedule_set` and `share_capital_term_set`: the
    minimum-contribution rule, the money parser's checks and the audit entry live there, once."""

    def call_service(self, *, instance, data, by):
        member = instance.member if instance is not None else data["member"]
        contribution_schedule_set(member=member, monthly_amount=data.get("monthly_amount"), updated_by=by)
        return share_capital_term_set(member=member, term_months=data.get("share_capital_term_months"), updated_by=by)


class ScheduleCreateView(_ScheduleServiceMixin, ServiceCreateView):
    pass


class ScheduleEditView(_ScheduleServiceMixin, ServiceEditView):
    """Whose schedule it is does not change here: the member is shown read-only."""

    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        form.fields["member"].disabled = True
        return form


class ScheduleViewSet(SnippetViewSet):
    """Each member's own monthly amount and share capital term (editable: these are agreements, not money)."""

    model = MemberContributionSchedule
    index_view_class = ExportingIndexView
    add_view_class = ScheduleCreateView
    edit_view_class = ScheduleEditView
    icon = "date"
    menu_label = "Contribution schedules"
    list_display = [
        "member",  # the first column carries the row's links and action buttons
        "monthly_amount",
        "share_capital_term_months",
        "updated_at",
    ]
    list_filter = ["share_capital_term_months"]
    search_fields = ["member__membership_number"]
    list_export = ["member.membership_number", "monthly_amount", "share_capital_term_months", "updated_at"]
    export_filename = "contribution-schedules"
    edit_handler = ObjectList(
        [FieldPanel("member"), FieldPanel("monthly_amount"), FieldPanel("share_capital_term_months")],
        base_form_class=ScheduleForm,
    )


class ShareSummaryViewSet(SnippetViewSet):
    model = MemberShareSummary
    index_view_class = ExportingIndexView
    permission_policy = ReadOnlyPermissionPolicy(MemberShareSummary)
    icon = "table"
    menu_label = "Share summaries"
    list_display = ["member", "share_capital", "deposits", "updated_at"]
    search_fields = ["member__membership_number"]
    list_export = ["member.membership_number", "share_capital", "deposits", "updated_at"]
    export_filename = "share-summaries"

    def get_queryset(self, request):
        return MemberShareSummary.objects.select_related("member")


class ReminderViewSet(SnippetViewSet):
    model = ContributionReminder
    index_view_class = ExportingIndexView
    permission_policy = ReadOnlyPermissionPolicy(ContributionReminder)
    icon = "mail"
    menu_label = "Reminders sent"
    list_display = [
        "member",  # the first column carries the row's links and action buttons
        "period",
        "amount_due",
        "amount_paid",
        "sent_at",
    ]
    list_filter = ["period"]
    list_export = ["member.membership_number", "period", "amount_due", "amount_paid", "sent_at"]
    export_filename = "contribution-reminders"


class SavingsGroup(SnippetViewSetGroup):
    items = (
        MonthlyContributionViewSet,
        ShareCapitalPaymentViewSet,
        CheckoffImportViewSet,
        CheckoffRowViewSet,
        ScheduleViewSet,
        ShareSummaryViewSet,
        ReminderViewSet,
    )
    menu_icon = "pick"
    menu_label = "Savings"
    menu_name = "savings"
    menu_order = 150

    def get_submenu_items(self):
        class PermissionMenuItem(MenuItem):
            def __init__(self, *args, perm, **kwargs):
                super().__init__(*args, **kwargs)
                self.perm = perm

            def is_shown(self, request):
                return request.user.has_perm(self.perm)

        extra = [
            ("Record payments", "contributions_bulk_entry", "plus", admin_views.POST_PERM),
            ("Import check-off file", "contributions_checkoff_import", "upload", admin_views.POST_PERM),
            ("Missing contributions", "contributions_missing", "warning", admin_views.READ_PERM),
            ("Incomplete share capital", "contributions_incomplete", "warning", admin_views.READ_PERM),
            ("Contribution report", "contributions_report", "table", admin_views.READ_PERM),
        ]
        items = list(super().get_submenu_items())
        for order, (label, name, icon, perm) in enumerate(extra, start=len(items) + 1):
            items.append(PermissionMenuItem(label, reverse_lazy(name), icon_name=icon, order=order * 10, perm=perm))
        return items


register_snippet(SavingsGroup)


@hooks.register("register_admin_urls")
def savings_admin_urls():
    return [
        path("savings/record/", admin_views.bulk_entry_view, name="contributions_bulk_entry"),
        path("savings/checkoff/", admin_views.checkoff_import_view, name="contributions_checkoff_import"),
        path("savings/checkoff/runs/<uuid:pk>/", admin_views.checkoff_run_view, name="contributions_checkoff_run"),
        path("savings/missing/", admin_views.missing_view, name="contributions_missing"),
        path("savings/incomplete/", admin_views.incomplete_view, name="contributions_incomplete"),
        path("savings/report/", admin_views.report_view, name="contributions_report"),
        path(
            "savings/contributions/<uuid:pk>/reverse/",
            admin_views.contribution_reverse_view,
            name="contributions_contribution_reverse",
        ),
        path(
            "savings/share-capital/<uuid:pk>/reverse/",
            admin_views.share_capital_reverse_view,
            name="contributions_share_capital_reverse",
        ),
    ]
