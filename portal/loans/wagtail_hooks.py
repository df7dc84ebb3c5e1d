"""Admin for loans: products as snippets (L1)."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import LoanProduct


class LoanProductViewSet(SnippetViewSet):
    model = LoanProduct
    icon = "form"
    menu_label = "Loan products"
    menu_order = 160
    add_to_admin_menu = True
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


register_snippet(LoanProductViewSet)
