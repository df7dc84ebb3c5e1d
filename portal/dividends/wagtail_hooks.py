"""Admin for dividends: declarations (approved in the "Dividend approval" workflow), member dividends (the dividend
report, exportable), and the *Declare dividends* form."""

from django.urls import path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import Panel
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from portal.finance.permissions import ReadOnlyPermissionPolicy
from portal.society.list_exports import ExportingIndexView
from portal.workflows.permissions import ReviewOnlyPermissionPolicy
from portal.workflows.views import (
    ApprovalIndexView,
    ApprovalInspectView,
    ApprovalWorkflowActionView,
    ReviewEditView,
)

from . import admin_views
from .models import DividendDeclaration, MemberDividend


class DeclarationPanel(Panel):
    class BoundPanel(Panel.BoundPanel):
        template_name = "dividends/admin/declaration_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["declaration"] = self.instance
            return context


class DeclarationIndexView(ApprovalIndexView):
    subject_label = "Declaration"


class DeclarationInspectView(ApprovalInspectView):
    """The read-only page of a declaration (the treasurer who prepared it reads it without deciding it): the
    summary, the terms and totals, the decisions so far."""

    detail_template_name = "dividends/admin/declaration_panel.html"

    def get_case_context(self) -> dict:
        return {"declaration": self.object}


class DividendDeclarationViewSet(SnippetViewSet):
    """Declarations in the "Dividend approval" workflow: year, terms, gross, step and days waiting. Approvers open
    one and choose Approve or Reject (each asks for confirmation); readers open a read-only page."""

    model = DividendDeclaration
    index_view_class = DeclarationIndexView
    edit_view_class = ReviewEditView
    workflow_action_view_class = ApprovalWorkflowActionView
    inspect_view_enabled = True
    inspect_view_class = DeclarationInspectView
    permission_policy = ReviewOnlyPermissionPolicy(DividendDeclaration)
    icon = "pick"
    menu_label = "Declarations"
    list_display = [
        Column("financial_year", label="Year"),  # replaced by the approval's summary columns (ApprovalIndexView)
        Column("state", label="Status"),
        "prepared_at",
    ]
    list_export = ["financial_year", "method", "share_capital_rate", "deposit_rate", "pool", "prepared_at"]
    export_filename = "dividend-declarations"
    panels = [DeclarationPanel(heading="Declaration")]


class MemberDividendViewSet(SnippetViewSet):
    """The dividend report: every member's amounts per year (filter by year, export CSV/XLSX)."""

    model = MemberDividend
    index_view_class = ExportingIndexView
    permission_policy = ReadOnlyPermissionPolicy(MemberDividend)
    icon = "list-ul"
    menu_label = "Member dividends"
    list_display = [
        Column("member", accessor="member.membership_number", label="Member"),
        Column("year", accessor="declaration.financial_year", label="Year"),
        "share_capital_basis",
        "dividend",
        "deposits_basis",
        "interest",
        "tax",
        "net",
    ]
    list_filter = ["declaration__financial_year"]
    search_fields = ["member__membership_number"]
    list_export = [
        "declaration.financial_year",
        "member.membership_number",
        "share_capital_basis",
        "dividend",
        "deposits_basis",
        "interest",
        "tax",
        "net",
    ]
    export_filename = "member-dividends"
    list_per_page = 100

    def get_queryset(self, request):
        return MemberDividend.objects.select_related("member", "declaration")


class DividendsGroup(SnippetViewSetGroup):
    items = (DividendDeclarationViewSet, MemberDividendViewSet)
    menu_icon = "pick"
    menu_label = "Dividends"
    menu_name = "dividends"
    menu_order = 170

    def get_submenu_items(self):
        class DeclareItem(MenuItem):
            def is_shown(self, request):
                return request.user.has_perm("dividends.prepare_dividenddeclaration")

        items = list(super().get_submenu_items())
        items.append(DeclareItem("Declare dividends", reverse_lazy("dividends_declare"), icon_name="plus", order=5))
        return items


register_snippet(DividendsGroup)


@hooks.register("register_admin_urls")
def dividends_admin_urls():
    return [path("dividends/declare/", admin_views.declare_view, name="dividends_declare")]
