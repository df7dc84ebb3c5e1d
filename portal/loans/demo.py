"""Demo loan products and the public calculator page (idempotent by slug)."""

from decimal import Decimal

from wagtail.models import Page

from .models import FeeTreatment, LoanCalculatorPage, LoanProduct
from .schedule import Method

PRODUCTS = [
    {
        "slug": "development",
        "name": "Development loan",
        "summary": "For building, land and business: up to four years at a reducing balance.",
        "annual_rate": Decimal("12.0000"),
        "method": Method.ANNUITY,
        "min_term_months": 6,
        "max_term_months": 48,
        "min_amount": Decimal("10000.00"),
        "max_amount": Decimal("3000000.00"),
        "guarantors_required": 2,
    },
    {
        "slug": "school-fees",
        "name": "School fees loan",
        "summary": "Fees paid straight to the school, repaid within the year.",
        "annual_rate": Decimal("10.0000"),
        "method": Method.EQUAL_PRINCIPAL,
        "min_term_months": 3,
        "max_term_months": 12,
        "min_amount": Decimal("5000.00"),
        "max_amount": Decimal("500000.00"),
        "guarantors_required": 1,
    },
    {
        "slug": "emergency",
        "name": "Emergency loan",
        "summary": "Hospital bills and other emergencies, decided within a day.",
        "annual_rate": Decimal("12.0000"),
        "method": Method.FLAT,
        "min_term_months": 1,
        "max_term_months": 12,
        "min_amount": Decimal("2000.00"),
        "max_amount": Decimal("100000.00"),
        "guarantors_required": 0,
        "fee_treatment": FeeTreatment.CAPITALISED,
    },
]


def loans_seed() -> None:
    for fields in PRODUCTS:
        LoanProduct.objects.get_or_create(slug=fields["slug"], defaults=fields)
    parent = Page.objects.filter(slug="savings-and-loans").first()
    if parent is not None and not LoanCalculatorPage.objects.exists():
        page = LoanCalculatorPage(
            title="Loan calculator",
            slug="loan-calculator",
            show_in_menus=True,
            intro="See what a loan costs before you apply: the instalment, the interest and every due date.",
        )
        parent.add_child(instance=page)
        page.save_revision().publish()
