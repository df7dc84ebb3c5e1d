"""L1 loan products and S2 the public calculator: it reads the real products and computes on the server."""

from decimal import Decimal

import pytest

from portal.loans.demo import loans_seed
from portal.loans.models import LoanProduct

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_site(module_demo_site, db):
    """The demo website, seeded once for this module (tests/conftest.py: module_demo_site)."""
    return module_demo_site


@pytest.fixture
def calculator(demo_site):
    loans_seed()
    return "/savings-and-loans/loan-calculator/"


def test_the_page_lists_active_products(client, calculator):
    LoanProduct.objects.filter(slug="school-fees").update(active=False)
    html = client.get(calculator).content.decode()
    assert "Development loan" in html and "Emergency loan" in html and "School fees loan" not in html


def test_annuity_result_matches_the_worked_example(client, calculator):
    LoanProduct.objects.filter(slug="development").update(min_term_months=1)
    product = LoanProduct.objects.get(slug="development")
    response = client.get(calculator, {"product": product.pk, "amount": "100000", "months": "12"})
    schedule = response.context["schedule"]
    assert schedule.first_instalment == Decimal("8884.88") and schedule.total_interest == Decimal("6618.53")
    assert "KES 8,884.88" in response.content.decode()


def test_flat_product_shows_its_effective_rate(client, calculator):
    product = LoanProduct.objects.get(slug="emergency")
    response = client.get(calculator, {"product": product.pk, "amount": "100000", "months": "12"})
    assert response.context["effective_rate"] == Decimal("21.46")
    assert "21.46 % a year" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"amount": "1", "months": "12"}, "amount"),
        ({"amount": "50000", "months": "99"}, "months"),
        ({"amount": "abc", "months": "12"}, "amount"),
    ],
)
def test_out_of_range_input_names_the_field(client, calculator, params, field):
    product = LoanProduct.objects.get(slug="development")
    response = client.get(calculator, {"product": product.pk, **params})
    assert response.status_code == 200 and response.context["schedule"] is None
    assert field in response.context["form"].errors


def test_product_limits_are_validated(client):
    product = LoanProduct(name="Odd", slug="odd", summary="x", annual_rate=12, min_term_months=12, max_term_months=6)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        product.full_clean()
    assert "max_term_months" in exc.value.message_dict
