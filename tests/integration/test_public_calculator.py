"""The public calculator shows the fees, what is paid out, and a flat loan's effective rate, to the cent; its inputs
are form fields with messages beside them; counts read as English ("1 guarantor", "1 month")."""

import re
from decimal import Decimal

import pytest

from portal.loans.demo import loans_seed
from portal.loans.models import LoanProduct

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_site(module_demo_site, db):
    """The demo website, seeded once for this module (tests/conftest.py: module_demo_site)."""
    return module_demo_site


CALCULATOR = "/savings-and-loans/loan-calculator/"


@pytest.fixture
def products(demo_site):
    loans_seed()
    return {p.slug: p for p in LoanProduct.objects.all()}


def _cell(html: str, css: str) -> str:
    return re.search(rf'class="[^"]*{css}[^"]*">([^<]+)<', html)[1]


def test_deducted_fees_and_the_payout(client, products):
    response = client.get(CALCULATOR, {"product": products["development"].pk, "amount": "100,000", "months": "12"})
    html = response.content.decode()
    assert _cell(html, "calc-processing") == "KES 1,000.00"
    assert _cell(html, "calc-insurance") == "KES 500.00"
    assert _cell(html, "calc-fees-total") == "KES 1,500.00"
    assert _cell(html, "calc-paid-out") == "KES 98,500.00"
    assert _cell(html, "calc-instalment") == "KES 8,884.88"
    assert _cell(html, "calc-total") == "KES 106,618.53"


def test_capitalised_fees_on_a_flat_loan_and_its_effective_rate(client, products):
    response = client.get(CALCULATOR, {"product": products["emergency"].pk, "amount": "100000", "months": "12"})
    html = response.content.decode()
    assert response.context["fees"].principal == Decimal("101500.00")
    assert _cell(html, "calc-paid-out") == "KES 100,000.00"
    assert _cell(html, "calc-principal") == "KES 101,500.00"
    assert _cell(html, "calc-instalment") == "KES 9,473.33"
    assert "<strong>21.46 % a year</strong>" in html


def test_inputs_are_thumb_sized_form_fields_with_errors_beside_them(client, products):
    html = client.get(CALCULATOR, {"product": products["development"].pk, "amount": "abc", "months": "x"}).content
    html = html.decode()
    assert 'id="id_amount_error"' in html and 'id="id_months_error"' in html
    assert 'inputmode="decimal"' in html and 'inputmode="numeric"' in html
    assert '<div class="field field--error">' in html


def test_counts_read_as_english(client, products):
    LoanProduct.objects.filter(slug="development").update(min_term_months=1)
    html = client.get(CALCULATOR, {"product": products["development"].pk, "amount": "20000", "months": "1"})
    html = html.content.decode()
    assert "1 guarantor<" in html and "1 guarantors" not in html  # the school fees loan
    assert "None needed" in html  # the emergency loan
    assert "over 1 month<" in html and "1 months" not in html
