"""Admin for loans: products (editable, L1); applications, the loan book, instalments and repayments (read only:
they change only through the loan services)."""

from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from portal.finance.permissions import ReadOnlyPermissionPolicy

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


class LoanApplicationViewSet(SnippetViewSet):
    model = LoanApplication
    permission_policy = ReadOnlyPermissionPolicy(LoanApplication)
    icon = "doc-empty"
    menu_label = "Applications"
    inspect_view_enabled = True
    list_display = [
        Column("member", accessor="member.membership_number"),
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
    permission_policy = ReadOnlyPermissionPolicy(Loan)
    icon = "form"
    menu_label = "Loan book"
    inspect_view_enabled = True
    list_display = [
        Column("member", accessor="member.membership_number"),
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


register_snippet(LoansGroup)
