"""Accounting periods in the admin and the API (issue 18): the *Periods* screen under Ledger — who may read it, who
may act, maker-checker through the buttons — and a date in a closed month typed into an admin form or an API call
coming back as an error on the date field, never a 500."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from portal.contributions.admin_views import CheckoffUploadForm
from portal.contributions.services import MONTHLY, PaymentItem, payments_validate
from portal.finance.banking.services import bank_account_primary
from portal.finance.cashbook.models import ExpenseCategory, SaccoExpense
from portal.finance.ledger.services import Line, ledger_post
from portal.finance.periods.models import AccountingPeriod, PeriodState
from portal.finance.periods.services import period_close_approve, period_close_request
from portal.members import roles
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 5, 10)
MARCH = datetime.date(2026, 3, 1)
URL = "/admin/ledger/periods/"


def _denied(response) -> bool:
    """Wagtail answers a PermissionDenied in its admin with a redirect to the dashboard (and a message)."""
    return response.status_code == 403 or (response.status_code == 302 and response.url == "/admin/")


@pytest.fixture
def books(clock_at):
    """Today is 10 May 2026; one entry in March."""
    clock_at(TODAY)
    ledger_post(
        memo="Deposit",
        lines=[Line("1010", debit=Decimal("100.00")), Line("2000", credit=Decimal("100.00"))],
        idempotency_key="m1",
        date=datetime.date(2026, 3, 15),
    )


@pytest.fixture
def treasurer(staff_user):
    return staff_user(roles.TREASURER)


@pytest.fixture
def march_closed(books, treasurer, staff_user):
    period_close_request(month=MARCH, by=treasurer)
    period_close_approve(month=MARCH, by=staff_user(roles.ADMINISTRATORS))


def test_a_clerk_cannot_see_or_close_a_month_and_an_auditor_only_reads(client, staff_user, books):
    sign_in_verified(client, staff_user(roles.CLERKS))
    assert _denied(client.get(URL))
    assert _denied(client.post(URL, {"month": "2026-03-01", "action": "close_request"}))
    assert not AccountingPeriod.objects.exists()
    sign_in_verified(client, staff_user(roles.AUDITORS))
    page = client.get(URL)
    assert page.status_code == 200 and b"March 2026" in page.content and b"Request close" not in page.content
    assert _denied(client.post(URL, {"month": "2026-03-01", "action": "close_request"}))
    assert not AccountingPeriod.objects.exists()


def test_treasurer_requests_and_another_approves_through_the_screen(client, staff_user, books):
    treasurer, admin = staff_user(roles.TREASURER), staff_user(roles.ADMINISTRATORS)
    sign_in_verified(client, treasurer)
    page = client.get(URL)
    assert page.status_code == 200 and b"Request close" in page.content
    assert client.post(URL, {"month": "2026-03-01", "action": "close_request"}).status_code == 302
    response = client.post(URL, {"month": "2026-03-01", "action": "close_approve"}, follow=True)
    assert b"not the one who requested it" in response.content
    assert AccountingPeriod.objects.get(month=MARCH).state == PeriodState.CLOSE_REQUESTED
    sign_in_verified(client, admin)
    client.post(URL, {"month": "2026-03-01", "action": "close_approve"})
    assert AccountingPeriod.objects.get(month=MARCH).state == PeriodState.CLOSED
    response = client.post(URL, {"month": "2026-03-01", "action": "reopen_request", "reason": ""}, follow=True)
    assert b"reason for reopening" in response.content
    assert AccountingPeriod.objects.get(month=MARCH).state == PeriodState.CLOSED
    client.post(URL, {"month": "2026-03-01", "action": "reopen_request", "reason": "Missed bank charge"})
    period = AccountingPeriod.objects.get(month=MARCH)
    assert period.state == PeriodState.REOPEN_REQUESTED and period.request_reason == "Missed bank charge"


def test_an_expense_dated_in_a_closed_month_is_a_form_error_on_the_date(client, treasurer, march_closed):
    sign_in_verified(client, treasurer)
    data = {
        "payee": "Jengo Properties",
        "category": ExpenseCategory.objects.get(name="Rent and utilities").pk,
        "amount": "45000.00",
        "transaction_cost": "0",
        "bank_account": bank_account_primary().pk,
        "date": "2026-03-31",
        "description": "March rent",
        "reference": "INV-12",
    }
    response = client.post("/admin/snippets/finance/saccoexpense/add/", data)
    assert response.status_code == 200 and not SaccoExpense.objects.exists()
    errors = response.context["form"].errors
    assert "2026-03-31" in errors["date"][0] and "March 2026, a closed month" in errors["date"][0]
    data["date"] = "2026-05-02"
    assert client.post("/admin/snippets/finance/saccoexpense/add/", data).status_code == 302
    assert SaccoExpense.objects.get().entry.date == datetime.date(2026, 5, 2)


def test_an_api_expense_dated_in_a_closed_month_is_a_400_naming_the_date(treasurer, march_closed):
    api = APIClient()
    api.force_authenticate(treasurer)
    body = {"category": "Audit fees", "amount": "300", "payee": "Auditors LLP", "description": "March audit"}
    response = api.post("/api/transactions/expenses/", {**body, "date": "2026-03-20"}, format="json")
    assert response.status_code == 400, response.content
    assert "2026-03-20" in response.json()["date"][0] and "open month" in response.json()["date"][0]
    assert not SaccoExpense.objects.exists()
    assert api.post("/api/transactions/expenses/", body, format="json").status_code == 201


def test_check_off_and_counter_payments_name_the_date_field(march_closed, member):
    form = CheckoffUploadForm(data={"period": "2026-03", "received_on": "2026-03-28"})
    assert not form.is_valid() and "March 2026, a closed month" in form.errors["received_on"][0]
    checked = payments_validate(
        kind=MONTHLY,
        items=[
            PaymentItem(member=member, amount="1000", period="2026-03", date=datetime.date(2026, 3, 28), row=1),
            PaymentItem(member=member, amount="1000", period="2026-04", date=datetime.date(2026, 5, 4), row=2),
        ],
    )
    first, second = (c.errors for c in checked)
    assert [(e.row, e.field) for e in first] == [(1, "date")] and "2026-03-28" in first[0].message
    assert second == []
