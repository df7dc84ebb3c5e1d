"""Admin for loans: products (editable, L1); applications, the loan book, instalments and repayments (read only:
they change only through the loan services)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet, SnippetViewSetGroup

from portal.finance.permissions import ReadOnlyPermissionPolicy

from . import admin_views
from .models import Loan, LoanApplication, LoanInstalment, LoanProduct, LoanRepayment


class LoanProductViewSet(SnippetViewSet):
    model = LoanProduct
    icon = "form"
    menu_label = "Loan products"
    list_display = ["name", "annual_rate", "method", "min_term_months", "max_term_months", "max_amount", "active"]
    list_filter = ["method", "active"]
    search_fields = ["name"]
    list_export = [
        "name",
        "annual_rate",
        "method",
        "min_term_months",
        "max_term_months",
        "min_amount",
        "max_amount",
        "deposits_multiple",
        "guarantors_required",
        "processing_fee_percent",
        "insurance_fee_percent",
        "fee_treatment",
        "penalty_rate_monthly",
        "grace_months",
        "active",
    ]
    export_filename = "loan-products"


class ApplicationIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        user = self.request.user
        if instance.status == "submitted" and user.has_perm("loans.decide_loanapplication"):
            for decision, icon in (("approve", "check"), ("reject", "cross")):
                url = reverse("loans_application_decide", args=[instance.pk, decision])
                buttons.append(ListingMenuItem(decision.title(), url=url, icon_name=icon))
        if instance.status == "approved" and user.has_perm("loans.disburse_loan"):
            url = reverse("loans_application_disburse", args=[instance.pk])
            buttons.append(ListingMenuItem("Disburse", url=url, icon_name="arrow-up"))
        return buttons


class LoanIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if instance.status == "active" and self.request.user.has_perm("loans.record_repayment"):
            url = reverse("loans_loan_repayment", args=[instance.pk])
            buttons.append(ListingMenuItem("Record repayment", url=url, icon_name="plus"))
        url = reverse("loans_loan_statement", args=[instance.pk])
        buttons.append(ListingMenuItem("Statement (PDF)", url=url, icon_name="doc-full"))
        return buttons


class LoanApplicationViewSet(SnippetViewSet):
    index_view_class = ApplicationIndexView
    model = LoanApplication
    permission_policy = ReadOnlyPermissionPolicy(LoanApplication)
    icon = "doc-empty"
    menu_label = "Applications"
    inspect_view_enabled = True
    list_display = [
        "member",  # the first column carries the row's links and action buttons
        "product",
        "amount",
        "term_months",
        "status",
        "created_at",
    ]
    list_filter = ["status", "product"]
    search_fields = ["member__membership_number", "purpose"]
    list_export = [
        "member__membership_number",
        "product__name",
        "amount",
        "term_months",
        "purpose",
        "status",
        "decision_reason",
        "decided_by__email",
        "decided_at",
        "created_at",
    ]
    export_filename = "loan-applications"

    def get_queryset(self, request):
        return LoanApplication.objects.select_related("member", "product")


class LoanViewSet(SnippetViewSet):
    """The loan book."""

    model = Loan
    index_view_class = LoanIndexView
    permission_policy = ReadOnlyPermissionPolicy(Loan)
    icon = "form"
    menu_label = "Loan book"
    inspect_view_enabled = True
    list_display = [
        "member",  # the first column carries the row's links and action buttons
        "product",
        "principal",
        "annual_rate",
        "term_months",
        "disbursed_on",
        "status",
    ]
    list_filter = ["status", "product", "disbursed_on"]
    search_fields = ["member__membership_number"]
    list_export = [
        "member__membership_number",
        "product__name",
        "principal",
        "amount_paid_out",
        "processing_fee",
        "insurance_fee",
        "annual_rate",
        "method",
        "term_months",
        "disbursed_on",
        "status",
        "closed_on",
    ]
    export_filename = "loan-book"

    def get_queryset(self, request):
        return Loan.objects.select_related("member", "product")


class LoanInstalmentViewSet(SnippetViewSet):
    model = LoanInstalment
    permission_policy = ReadOnlyPermissionPolicy(LoanInstalment)
    icon = "date"
    menu_label = "Instalments"
    list_display = ["loan", "number", "due_date", "principal", "interest", "penalty", "principal_paid", "interest_paid"]
    list_filter = ["due_date"]
    list_export = [
        "loan__member__membership_number",
        "number",
        "due_date",
        "principal",
        "interest",
        "penalty",
        "principal_paid",
        "interest_paid",
        "penalty_paid",
    ]
    export_filename = "loan-instalments"

    def get_queryset(self, request):
        return LoanInstalment.objects.select_related("loan__product")


class LoanRepaymentViewSet(SnippetViewSet):
    model = LoanRepayment
    permission_policy = ReadOnlyPermissionPolicy(LoanRepayment)
    icon = "arrow-down"
    menu_label = "Repayments"
    list_display = ["date", "loan", "amount", "reference", "interest_part", "principal_part", "overpayment"]
    list_filter = ["date"]
    search_fields = ["reference", "loan__member__membership_number"]
    list_export = [
        "date",
        "loan__member__membership_number",
        "amount",
        "reference",
        "penalty_part",
        "interest_part",
        "principal_part",
        "overpayment",
    ]
    export_filename = "loan-repayments"

    def get_queryset(self, request):
        return LoanRepayment.objects.select_related("loan__product")


class LoansGroup(SnippetViewSetGroup):
    items = (LoanProductViewSet, LoanApplicationViewSet, LoanViewSet, LoanInstalmentViewSet, LoanRepaymentViewSet)
    menu_icon = "form"
    menu_label = "Loans"
    menu_name = "loans"
    menu_order = 160

    def get_submenu_items(self):
        from django.urls import reverse_lazy
        from wagtail.admin.menu import MenuItem

        class PortfolioMenuItem(MenuItem):
            def is_shown(self, request):
                return request.user.has_perm("loans.view_loan")

        items = list(super().get_submenu_items())
        items.append(
            PortfolioMenuItem("PAR and provisioning", reverse_lazy("loans_portfolio"), icon_name="table", order=900)
        )
        return items


register_snippet(LoansGroup)


@hooks.register("register_admin_urls")
def loans_admin_urls():
    return [
        path(
            "loans/applications/<uuid:pk>/disburse/",
            admin_views.application_disburse_view,
            name="loans_application_disburse",
        ),
        path(
            "loans/applications/<uuid:pk>/<str:decision>/",
            admin_views.application_decide_view,
            name="loans_application_decide",
        ),
        path("loans/portfolio/", admin_views.portfolio_report_view, name="loans_portfolio"),
        path("loans/loans/<uuid:pk>/repayment/", admin_views.loan_repayment_view, name="loans_loan_repayment"),
        path("loans/loans/<uuid:pk>/statement.pdf", admin_views.loan_statement_view, name="loans_loan_statement"),
    ]
