"""Issue 12: bad input of any shape is a 400 naming the field (or the query parameter), never a 500.

Amounts go through one parser (portal/society/money.py) on every money path; ids and dates in a query string go
through portal/api/params.py."""

import datetime
import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from portal.finance.ledger.models import JournalEntry
from portal.members import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def treasurer_api(staff_user):
    api = APIClient()
    api.force_authenticate(staff_user(roles.TREASURER))
    return api


@pytest.mark.parametrize("pk", ["abc", "", "1", "' OR 1=1 --"])
def test_statement_download_with_a_malformed_pk_is_a_400_naming_pk(treasurer_api, pk):
    response = treasurer_api.get("/api/reports/financial-statements/", {"output": "csv", "pk": pk})
    assert response.status_code == 400, response.content
    assert "pk" in response.json()


def test_statement_download_without_pk_is_a_400_naming_pk(treasurer_api):
    response = treasurer_api.get("/api/reports/financial-statements/?output=csv")
    assert response.status_code == 400 and "pk" in response.json()


def test_statement_download_of_an_unknown_pack_is_a_404(treasurer_api):
    response = treasurer_api.get("/api/reports/financial-statements/", {"output": "csv", "pk": str(uuid.uuid4())})
    assert response.status_code == 404


# --- amounts ----------------------------------------------------------------------------------------------------

BAD_AMOUNTS = ["1e20", "1e30", "99999999999999999999.99", "NaN", "Infinity", "-5", "1.234", ""]


@pytest.fixture
def money_setup(borrower, products, staff_user):
    """A member with deposits and a disbursed loan; a treasurer's client that may post and record repayments."""
    from django.utils import timezone

    from portal.loans.services import application_approve, application_submit, loan_disburse

    application = application_submit(
        member=borrower, product=products["development"], amount="100000", term_months=12, purpose="Build"
    )
    application_approve(application=application, by=staff_user(roles.LOANS_OFFICERS))
    treasurer = staff_user(roles.TREASURER)
    loan = loan_disburse(application=application, by=treasurer, date=timezone.localdate()).loan
    return {"member": borrower, "loan": loan, "treasurer": treasurer}


def _amount_paths(setup):
    """(client role, method, path, body builder) for each money path of the API: the body has `amount` set."""
    number = setup["member"].membership_number
    loan = setup["loan"]

    def row(amount, ref):
        return {"member": number, "amount": amount, "period": PERIOD, "reference": ref}

    return {
        "monthly": ("staff", "/api/contributions/monthly/", lambda a, ref: row(a, ref)),
        "share-capital": ("staff", "/api/contributions/share-capital/", lambda a, ref: row(a, ref)),
        "monthly-bulk": ("staff", "/api/contributions/monthly/bulk-create/", lambda a, ref: {"items": [row(a, ref)]}),
        "share-bulk": (
            "staff",
            "/api/contributions/share-capital/bulk-create/",
            lambda a, ref: {"items": [row(a, ref)]},
        ),
        "add-repayment": (
            "staff",
            f"/api/loans/loans/{loan.pk}/add-repayment/",
            lambda a, ref: {"amount": a, "reference": ref},
        ),
        "loan-application": (
            "member",
            "/api/loans/applications/",
            lambda a, ref: {"product": "development", "amount": a, "term_months": "12", "purpose": "Build"},
        ),
        "expense": (
            "staff",
            "/api/transactions/expenses/",
            lambda a, ref: {
                "category": "Rent and utilities",
                "amount": a,
                "reference": ref,
                "description": "Rent",
                "payee": "Jengo",
            },
        ),
    }


PATHS = ["monthly", "share-capital", "monthly-bulk", "share-bulk", "add-repayment", "loan-application", "expense"]
PERIOD = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")


def _client(setup, role):
    api = APIClient()
    api.force_authenticate(setup["member"].user if role == "member" else setup["treasurer"])
    return api


@pytest.fixture
def expense_category():
    from portal.finance.cashbook.models import ExpenseCategory
    from portal.finance.cashbook.services import expense_category_create

    return ExpenseCategory.objects.filter(name="Rent and utilities").first() or expense_category_create(
        name="Rent and utilities"
    )


@pytest.mark.parametrize("path", PATHS)
def test_a_bad_amount_is_a_400_naming_amount(money_setup, expense_category, path):
    """Every bad amount on the path, against one set-up (the loan in it is what costs): a refused amount posts
    nothing, so each amount meets the same books."""
    role, url, body = _amount_paths(money_setup)[path]
    api = _client(money_setup, role)
    before = JournalEntry.objects.count()
    for amount in BAD_AMOUNTS:
        response = api.post(url, body(amount, "REF-BAD"), format="json")
        assert response.status_code == 400, (amount, response.status_code, response.content[:300])
        assert "amount" in response.content.decode(), amount
        assert JournalEntry.objects.count() == before, amount  # nothing was posted


@pytest.mark.parametrize("path", PATHS)
def test_a_valid_amount_still_posts(money_setup, expense_category, path):
    role, url, body = _amount_paths(money_setup)[path]
    api = _client(money_setup, role)
    response = api.post(url, body("15000.50", "REF-OK"), format="json")
    assert response.status_code == 201, response.content[:300]


def test_the_largest_amount_the_column_holds_is_not_refused_for_its_size(money_setup, make_member):
    api = _client(money_setup, "staff")
    fresh = make_member("fresh@example.com")  # no share capital yet: the amount is also the member's total
    row = {"member": fresh.membership_number, "amount": "999999999999.99", "reference": "BIG"}
    assert api.post("/api/contributions/share-capital/", row, format="json").status_code == 201
    row["amount"], row["reference"] = "1000000000000.00", "BIGGER"
    too_big = api.post("/api/contributions/share-capital/", row, format="json")
    assert too_big.status_code == 400 and "amount" in too_big.content.decode()


@pytest.mark.postgres  # SQLite does not hold numbers to their column's digits
def test_an_amount_that_would_overflow_a_running_total_is_a_400(money_setup):
    """The member already has share capital: the largest amount fits its column but not the member's total."""
    api = _client(money_setup, "staff")
    row = {"member": money_setup["member"].membership_number, "amount": "999999999999.99", "reference": "BIG"}
    before = JournalEntry.objects.count()
    response = api.post("/api/contributions/share-capital/", row, format="json")
    assert response.status_code == 400 and "amount" in response.json(), response.content
    assert JournalEntry.objects.count() == before


@pytest.mark.parametrize("amount", [*BAD_AMOUNTS[:-1], "abc", "1,50"])
def test_eligibility_with_a_bad_amount_is_a_400_naming_amount(money_setup, amount):
    api = APIClient()
    api.force_authenticate(money_setup["member"].user)
    response = api.get("/api/loans/eligibility/", {"product": "development", "amount": amount})
    assert response.status_code == 400, response.content[:300]
    assert "amount" in response.json()


def test_eligibility_with_a_good_amount_answers(money_setup):
    api = APIClient()
    api.force_authenticate(money_setup["member"].user)
    response = api.get("/api/loans/eligibility/", {"product": "development", "amount": "1000"})
    assert response.status_code == 200 and "eligible" in response.json()


# --- the same amounts in the portal's and the admin's forms -----------------------------------------------------


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_portal_loan_application_names_a_bad_amount(client, money_setup, products, amount):
    from tests.conftest import sign_in_verified

    sign_in_verified(client, money_setup["member"].user)
    data = {"product": products["development"].pk, "amount": amount, "term_months": "12", "purpose": "Roof"}
    response = client.post("/portal/loans/apply/", data)
    assert response.status_code == 400 and "amount" in response.context["form"].errors


@pytest.mark.parametrize("amount", ["1e30", "NaN", "-5", "abc"])
def test_portal_loan_application_names_a_bad_guarantee(client, money_setup, products, amount):
    from tests.conftest import sign_in_verified

    sign_in_verified(client, money_setup["member"].user)
    data = {
        "product": products["development"].pk,
        "amount": "50000",
        "term_months": "12",
        "purpose": "Roof",
        "guarantor_1": "MB-000000-00001",
        "guarantee_1": amount,
    }
    response = client.post("/portal/loans/apply/", data)
    assert response.status_code == 400 and "guarantee_1" in response.context["form"].errors


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_admin_repayment_form_names_a_bad_amount(client, money_setup, amount):
    from portal.finance.banking.services import bank_account_primary
    from tests.conftest import sign_in_verified

    sign_in_verified(client, money_setup["treasurer"])
    loan = money_setup["loan"]
    body = {
        "amount": amount,
        "reference": "M1",
        "date": datetime.date.today().isoformat(),
        "bank_account": bank_account_primary().pk,
    }
    response = client.post(f"/admin/loans/loans/{loan.pk}/repayment/", body)
    assert response.status_code == 200 and "amount" in response.context["form"].errors
    assert loan.repayments.count() == 0


def test_calculator_names_a_bad_amount(client, demo_site, products):
    """Every bad amount against one demo website (seeding it is what costs; the calculator only reads)."""
    product = products["development"]
    for amount in BAD_AMOUNTS:
        params = {"product": product.pk, "amount": amount, "months": 12}
        response = client.get("/savings-and-loans/loan-calculator/", params)
        assert response.status_code == 200 and response.context["schedule"] is None, amount
        assert "amount" in response.context["form"].errors, amount


# --- ids and numbers in a query string or a body ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/reports/member-statements/?start=2026-01-01&end=2026-01-31&member=abc", "member"),
        ("/api/loans/eligibility/?product=development&member=abc", "member"),
        ("/api/loans/eligibility/?product=development&member=1", "member"),
        ("/api/loans/loans/due-payments/?days=abc", "days"),
        ("/api/loans/loans/due-payments/?days=99999999999999999999", "days"),
        ("/api/loans/loans/due-payments/?days=-1", "days"),
        ("/api/contributions/monthly/?year=abc", "year"),
        ("/api/contributions/monthly/?year=99999999", "year"),
        ("/api/contributions/share-capital/?year=0", "year"),
        ("/api/contributions/monthly/?period=9999-12", "period"),
        ("/api/contributions/monthly/missing-contributions/?period=9999-12", "period"),
        ("/api/contributions/monthly/generate-report/?period=9999-12&output=pdf", "period"),
        ("/api/contributions/monthly/generate-report/?kind=quarterly&year=99999999999999999999&quarter=1", "year"),
        ("/api/contributions/monthly/generate-report/?kind=quarterly&year=9999&quarter=4", "year"),
        ("/api/contributions/monthly/generate-report/?kind=quarterly&year=2026&quarter=x", "quarter"),
        ("/api/contributions/monthly/generate-report/?kind=quarterly&quarter=1", "year"),
    ],
)
def test_a_malformed_id_or_number_in_the_query_is_a_400_naming_it(money_setup, url, param):
    api = _client(money_setup, "staff")
    response = api.get(url)
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert param in response.json()


def test_a_well_formed_unknown_member_is_a_404(money_setup):
    api = _client(money_setup, "staff")
    url = f"/api/loans/eligibility/?product=development&member={uuid.uuid4()}"
    assert api.get(url).status_code == 404


def test_good_query_numbers_still_filter(money_setup):
    api = _client(money_setup, "staff")
    assert api.get("/api/loans/loans/due-payments/?days=30").status_code == 200
    assert api.get("/api/contributions/monthly/?year=2025").json()["count"] == 1


@pytest.mark.parametrize("product", ["99999999999999999999", "٣", "x" * 500])
def test_a_product_that_names_nothing_is_a_400_naming_product(money_setup, product):
    api = _client(money_setup, "member")
    response = api.get("/api/loans/eligibility/", {"product": product})
    assert response.status_code == 400 and "product" in response.json()


@pytest.mark.parametrize("bank_account", ["abc", "1", "3f2b8c1e-0000-4000-8000-000000000001"])
@pytest.mark.parametrize("path", ["monthly", "monthly-bulk", "add-repayment"])
def test_a_bad_bank_account_in_a_body_is_a_400_naming_it(money_setup, path, bank_account):
    role, url, body = _amount_paths(money_setup)[path]
    api = _client(money_setup, role)
    before = JournalEntry.objects.count()
    response = api.post(url, {**body("1500", "REF-BANK"), "bank_account": bank_account}, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert "bank_account" in response.json()
    assert JournalEntry.objects.count() == before


def test_an_expense_category_id_too_long_for_the_column_is_a_400(money_setup, expense_category):
    api = _client(money_setup, "staff")
    body = {"category": "9" * 30, "amount": "100", "payee": "X", "description": "x"}
    response = api.post("/api/transactions/expenses/", body, format="json")
    assert response.status_code == 400 and "category" in response.json()


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_admin_expense_form_names_a_bad_amount(client, money_setup, expense_category, amount):
    from portal.finance.banking.services import bank_account_primary
    from portal.finance.cashbook.models import SaccoExpense
    from tests.conftest import sign_in_verified

    sign_in_verified(client, money_setup["treasurer"])
    data = {
        "payee": "Jengo Properties",
        "category": expense_category.pk,
        "amount": amount,
        "transaction_cost": "1e30",
        "bank_account": bank_account_primary().pk,
        "date": datetime.date.today().isoformat(),
        "description": "Rent",
        "reference": "INV-1",
    }
    response = client.post("/admin/snippets/finance/saccoexpense/add/", data)
    assert response.status_code == 200 and SaccoExpense.objects.count() == 0
    errors = response.context["form"].errors
    assert "amount" in errors and "transaction_cost" in errors


def test_admin_expense_form_takes_grouped_amounts(client, money_setup, expense_category):
    from portal.finance.banking.services import bank_account_primary
    from portal.finance.cashbook.models import SaccoExpense
    from tests.conftest import sign_in_verified

    sign_in_verified(client, money_setup["treasurer"])
    data = {
        "payee": "Jengo Properties",
        "category": expense_category.pk,
        "amount": "45,000.50",
        "transaction_cost": "",
        "bank_account": bank_account_primary().pk,
        "date": datetime.date.today().isoformat(),
        "description": "Rent",
        "reference": "INV-2",
    }
    assert client.post("/admin/snippets/finance/saccoexpense/add/", data).status_code == 302
    expense = SaccoExpense.objects.get()
    assert expense.amount == Decimal("45000.50") and expense.transaction_cost == Decimal("0.00")


@pytest.mark.parametrize(("amount", "ok"), [("1e30", False), ("NaN", False), ("-5", False), ("2,500.00", True)])
def test_admin_contribution_schedule_reads_the_monthly_amount_with_the_money_parser(
    client, make_user, make_member, amount, ok
):
    from portal.contributions.models import MemberContributionSchedule
    from tests.conftest import sign_in_verified

    member = make_member("saver@example.com")
    admin = make_user("root@sacco.example", role=roles.ADMINISTRATORS, is_superuser=True)
    sign_in_verified(client, admin)
    data = {"member": member.pk, "monthly_amount": amount, "share_capital_term_months": 12}
    response = client.post("/admin/snippets/contributions/membercontributionschedule/add/", data)
    schedule = MemberContributionSchedule.objects.filter(member=member).first()
    if ok:
        assert response.status_code == 302 and schedule.monthly_amount == Decimal("2500.00")
    else:
        assert response.status_code == 200 and "monthly_amount" in response.context["form"].errors
        assert schedule is None or schedule.monthly_amount is None
