"""Issue 16: guarantees that shrink. With *SACCO settings → guarantees shrink* on, a paid-out loan's guarantee holds
original × outstanding principal ÷ principal disbursed (half up to the cent); free deposits, the dashboard and the
API follow, so a guarantor can guarantee again. Off (the default), a guarantee holds its full amount.

The loan: Juma borrows KES 120,000 (development, one month; fees deducted, so the principal is 120,000.00 and the
instalment 120,000.00 + 1,200.00 interest) on 15 January 2026. Akinyi (deposits 60,000) guarantees 40,000; Baraka
(deposits 40,000) guarantees 30,000. On 10 February Juma pays 51,199.99: interest 1,200.00 first, then principal
49,999.99, so 70,000.01 principal is left."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from rest_framework.test import APIClient

from portal.loans.eligibility import free_deposits
from portal.loans.guarantee_shrink import guarantees_held, shrunk_amount
from portal.loans.invariants import loan_book_problems
from portal.loans.member_position import member_loan_position
from portal.loans.services import application_approve, guarantee_accept, loan_disburse, loan_repay
from portal.members import roles
from portal.society.policy import sacco_settings
from tests.conftest import sign_in_verified
from tests.factories import application_with_guarantors, member_with_savings

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 2, 12)


def _shrink(on: bool):
    settings = sacco_settings()
    settings.guarantees_shrink = on
    settings.save()


def _loan(people, products, staff_user):
    application = application_with_guarantors(
        borrower=people["juma"],
        product=products["development"],
        amount="120000",
        term_months=1,
        guarantors=[(people["akinyi"], "40000", "Akinyi"), (people["baraka"], "30000", "Baraka")],
    )
    for name in ("akinyi", "baraka"):
        guarantee_accept(guarantee=application.guarantees.get(guarantor=people[name]), by_member=people[name])
    application_approve(application=application, by=staff_user(roles.LOANS_OFFICERS))
    return application


def test_the_formula_to_the_cent():
    # 40,000 × 70,000.01 ÷ 120,000 = 23,333.33666… → 23,333.34 (half up)
    assert shrunk_amount(amount=D("40000.00"), outstanding=D("70000.01"), principal=D("120000.00")) == D("23333.34")
    # 30,000 × 70,000.01 ÷ 120,000 = 17,500.0025 → 17,500.00
    assert shrunk_amount(amount=D("30000.00"), outstanding=D("70000.01"), principal=D("120000.00")) == D("17500.00")
    assert shrunk_amount(amount=D("100.00"), outstanding=D("0.00"), principal=D("500.00")) == D("0.00")
    assert shrunk_amount(amount=D("100.00"), outstanding=D("500.00"), principal=D("500.00")) == D("100.00")


def test_guarantees_shrink_with_repayment_only_when_the_setting_is_on(people, products, staff_user):
    application = _loan(people, products, staff_user)
    _shrink(True)
    # Approved but not paid out: held in full even with the setting on. 60,000 − 40,000 = 20,000.
    assert free_deposits(member=people["akinyi"]) == D("20000.00")
    loan = loan_disburse(application=application, by=None, date=datetime.date(2026, 1, 15)).loan
    loan_repay(loan=loan, amount="51199.99", reference="BANK-1", date=datetime.date(2026, 2, 10))
    held = guarantees_held(application.guarantees.all())
    assert sorted(held.values()) == [D("17500.00"), D("23333.34")]  # see test_the_formula_to_the_cent
    # Akinyi: 60,000.00 − 23,333.34 = 36,666.66; Baraka: 40,000.00 − 17,500.00 = 22,500.00
    assert free_deposits(member=people["akinyi"]) == D("36666.66")
    assert free_deposits(member=people["baraka"]) == D("22500.00")
    position = member_loan_position(member=people["akinyi"], today=TODAY)
    assert position.guarantees_shrink and position.guaranteed_held == D("23333.34")

    _shrink(False)
    assert free_deposits(member=people["akinyi"]) == D("20000.00")  # 60,000 − 40,000: the full promise
    position = member_loan_position(member=people["akinyi"], today=TODAY)
    assert not position.guarantees_shrink and position.guaranteed_held == D("40000.00")
    call_command("ledger_check")
    assert loan_book_problems() == []


def test_a_shrunk_guarantee_lets_the_guarantor_guarantee_again(make_member, people, products, staff_user):
    application = _loan(people, products, staff_user)
    loan = loan_disburse(application=application, by=None, date=datetime.date(2026, 1, 15)).loan
    loan_repay(loan=loan, amount="51199.99", reference="BANK-1", date=datetime.date(2026, 2, 10))
    other = member_with_savings(make_member, email="wafula@example.com", deposits="10000")

    def ask(amount):
        return application_with_guarantors(
            borrower=other,
            product=products["development"],
            amount="30000",
            guarantors=[(people["akinyi"], amount, "Akinyi"), (people["baraka"], "10000", "Baraka")],
        )

    with pytest.raises(ValidationError, match="at most KES 20,000.00"):  # off: 60,000 − 40,000
        ask("25000")
    _shrink(True)
    with pytest.raises(ValidationError, match="at most KES 36,666.66"):  # on: 60,000 − 23,333.34
        ask("36666.67")
    assert ask("36666.66").guarantees.count() == 2


def test_the_dashboard_and_the_api_follow_the_setting(client, people, products, staff_user):
    application = _loan(people, products, staff_user)
    loan = loan_disburse(application=application, by=None, date=datetime.date(2026, 1, 15)).loan
    loan_repay(loan=loan, amount="51199.99", reference="BANK-1", date=datetime.date(2026, 2, 10))
    sign_in_verified(client, people["akinyi"].user)
    page = client.get("/portal/").content.decode()
    assert "KES 40,000.00</strong>. A guarantee holds its full amount" in page
    _shrink(True)
    page = client.get("/portal/").content.decode()
    assert "KES 23,333.34</strong>. A guarantee holds only its share" in page
    api = APIClient()
    api.force_authenticate(people["akinyi"].user)
    body = api.get("/api/members/dashboard/").json()
    assert body["guarantees_held"] == "23333.34", body
