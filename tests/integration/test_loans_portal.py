"""The member's loan pages: how much can I borrow (with the numbers), apply behind a fresh code, my loan's
schedule — and nobody else's."""

import datetime

import pytest

from portal.loans.models import LoanApplication
from portal.loans.services import loan_repay
from portal.members import roles
from tests.conftest import sign_in_verified
from tests.factories import loan_disbursed, member_with_savings

pytestmark = pytest.mark.django_db


@pytest.fixture
def borrower(make_member):
    """Juma, ready to borrow (see tests/factories.member_with_savings), with this module's references."""
    return member_with_savings(
        make_member,
        email="juma@example.com",
        first_name="Juma",
        share_capital_reference="sc",
        deposit_reference="dep",
    )


def test_how_much_can_i_borrow_shows_the_numbers(client, borrower, products):
    sign_in_verified(client, borrower.user)
    html = client.get("/portal/loans/").content.decode()
    assert "Development loan: up to KES 360,000.00" in html
    assert "KES 120,000.00 × 3 = KES 360,000.00" in html


def test_applying_needs_a_fresh_code_and_names_bad_fields(client, borrower, products):
    sign_in_verified(client, borrower.user, fresh=False)
    data = {"product": products["development"].pk, "amount": "50000", "term_months": "12", "purpose": "Roof"}
    response = client.post("/portal/loans/apply/", data)
    assert response.status_code == 302 and "/verify" in response["Location"]
    sign_in_verified(client, borrower.user)
    bad = client.post("/portal/loans/apply/", {**data, "amount": "900000"})
    assert bad.status_code == 400 and "amount" in bad.context["form"].errors
    assert client.post("/portal/loans/apply/", data).status_code == 302
    assert LoanApplication.objects.get().amount == 50000


def test_my_loan_page_shows_the_schedule_and_others_get_404(client, borrower, other_member, products, staff_user):
    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    loan_repay(loan=loan, amount="8884.88", reference="R1")
    sign_in_verified(client, borrower.user)
    response = client.get(f"/portal/loans/{loan.pk}/")
    assert response.status_code == 200 and len(response.context["instalments"]) == 12
    from decimal import Decimal

    expected = sum((i.amount for i in loan.instalments.all()), Decimal("0")) - Decimal("8884.88")
    assert response.context["outstanding"] == expected
    assert f"KES {expected:,.2f}" in response.content.decode()
    sign_in_verified(client, other_member.user)
    assert client.get(f"/portal/loans/{loan.pk}/").status_code == 404
    sign_in_verified(client, staff_user(roles.CLERKS))
    assert client.get("/portal/loans/").status_code == 404


def test_statement_runs_the_balance_and_downloads_as_pdf(client, borrower, other_member, products, staff_user):
    from decimal import Decimal

    from portal.loans.statements import loan_statement

    loan = loan_disbursed(borrower=borrower, products=products, staff_user=staff_user)
    loan_repay(loan=loan, amount="8884.88", reference="R1", date=datetime.date(2026, 2, 15))
    rows = loan_statement(loan=loan)
    assert [r.balance for r in rows] == [Decimal("100000.00"), Decimal("101000.00"), Decimal("92115.12")]
    assert rows[-1].reference == "R1" and rows[-1].credit == Decimal("8884.88")
    sign_in_verified(client, borrower.user)
    pdf = client.get(f"/portal/loans/{loan.pk}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    sign_in_verified(client, other_member.user)
    assert client.get(f"/portal/loans/{loan.pk}/statement.pdf").status_code == 404
