"""Admin for reports: the *Reports* menu (financial statements for any period, approval snapshots)."""

from django.urls import path, reverse, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import Panel
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from portal.audit.selectors import audit_readable
from portal.members.admin_menus import cms_editor
from portal.workflows.permissions import ReviewOnlyPermissionPolicy
from portal.workflows.views import (
    ApprovalIndexView,
    ApprovalInspectView,
    ApprovalWorkflowActionView,
    ReviewEditView,
)

from . import admin_views
from .dashboard import SaccoPanel, WorkSummaryItem, work_items
from .models import FinancialStatement
from .saved_report_admin import ReportViewSet, SavedReportViewSet, report_download_view, saved_report_run_view


class StatementPanel(Panel):
    class BoundPanel(Panel.BoundPanel):
        template_name = "reports/admin/statement_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["statement"] = self.instance
            return context


class StatementIndexView(ApprovalIndexView):
    subject_label = "Statements"

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        url = reverse("reports_statement_download", args=[instance.pk, "pdf"])
        buttons.append(ListingMenuItem("PDF", url=url, icon_name="doc-full"))
        return buttons


class StatementInspectView(ApprovalInspectView):
    """The read-only page of a pack (the treasurer who prepared it reads it without approving it): the summary,
    the statements and their downloads, the decisions so far."""

    detail_template_name = "reports/admin/statement_panel.html"

    def get_case_context(self) -> dict:
        return {"statement": self.object}


class FinancialStatementViewSet(SnippetViewSet):
    """Prepared statement packs: pack, period, step and days waiting; approvers open one and approve (two distinct
    approvers, not the preparer; each decision asks for confirmation); readers open a read-only page."""

    model = FinancialStatement
    index_view_class = StatementIndexView
    edit_view_class = ReviewEditView
    workflow_action_view_class = ApprovalWorkflowActionView
    inspect_view_enabled = True
    inspect_view_class = StatementInspectView
    permission_policy = ReviewOnlyPermissionPolicy(FinancialStatement)
    icon = "doc-full-inverse"
    menu_label = "Statement approvals"
    list_display = [
        "title",  # replaced by the approval's summary columns (ApprovalIndexView): pack, period, step, wait
        Column("approval_status", label="Status"),
        "prepared_at",
    ]
    list_filter = ["live", "period_end"]
    list_export = ["title", "period_start", "period_end", "live", "prepared_at"]
    export_filename = "financial-statements"
    panels = [StatementPanel(heading="Statements")]


class ReportsGroup(SnippetViewSetGroup):
    items = (FinancialStatementViewSet, SavedReportViewSet, ReportViewSet)
    menu_icon = "table"
    menu_label = "Reports"
    menu_name = "reports"
    menu_order = 180

    def get_submenu_items(self):
        class LedgerReportItem(MenuItem):
            def is_shown(self, request):
                return request.user.has_perm(admin_views.VIEW_LEDGER)

        class AuditTrailItem(MenuItem):
            def is_shown(self, request):
                return audit_readable(request.user)

        class BackupsItem(MenuItem):
            def is_shown(self, request):
                return request.user.has_perm("reports.view_backup")

        items = list(super().get_submenu_items())
        items.append(
            LedgerReportItem(
                "Financial statements", reverse_lazy("reports_financial_statements"), icon_name="table", order=10
            )
        )
        items.append(AuditTrailItem("Audit trail", reverse_lazy("audit_trail"), icon_name="history", order=800))
        items.append(BackupsItem("Backups", reverse_lazy("reports_backups"), icon_name="download", order=900))
        return items


register_snippet(ReportsGroup)


@hooks.register("register_admin_urls")
def reports_admin_urls():
    return [
        path(
            "reports/financial-statements/", admin_views.financial_statements_view, name="reports_financial_statements"
        ),
        path("reports/backups/", admin_views.backups_view, name="reports_backups"),
        path("reports/saved/<uuid:pk>/run/", saved_report_run_view, name="reports_saved_run"),
        path("reports/runs/<uuid:pk>/download/", report_download_view, name="reports_run_download"),
        path("reports/backups/<uuid:pk>/download/", admin_views.backup_download_view, name="reports_backup_download"),
        path(
            "reports/financial-statements/<uuid:pk>/<str:output>/",
            admin_views.financial_statement_download_view,
            name="reports_statement_download",
        ),
        *admin_views.export_job_urls(),
    ]


# Wagtail's home panels about pages: for the site's editors only (portal/members/admin_menus.py).
CMS_HOME_PANELS = {"recent_edits", "locked_pages"}


@hooks.register("construct_homepage_panels")
def sacco_figures_panel(request, panels):
    """The society's figures on the admin home, for roles that read the ledger (treasurer, auditors, admins);
    the page panels only for those who edit the site."""
    if not cms_editor(request.user):
        panels[:] = [panel for panel in panels if getattr(panel, "name", "") not in CMS_HOME_PANELS]
    if request.user.has_perm(admin_views.VIEW_LEDGER):
        panels.append(SaccoPanel())


@hooks.register("construct_homepage_summary_items", order=100)  # after Wagtail's own items are added
def work_summary_items(request, summary_items):
    """The dashboard opens with the role's work (counts and links); page, image and document counts only for
    the site's editors, after the work."""
    if not cms_editor(request.user):
        summary_items.clear()
    work = [WorkSummaryItem(request, item, order=i) for i, item in enumerate(work_items(request.user), start=1)]
    summary_items[:0] = work
