"""T2 expenses and income with categories, receipts and transaction costs; T3 batches validated then processed
all or nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from portal.contributions.models import MonthlyContribution
from portal.finance.banking.services import bank_account_primary
from portal.finance.cashbook.batches import BatchNotProcessable, batch_create, batch_process, batch_validate
from portal.finance.cashbook.models import BatchStatus, ExpenseCategory, IncomeCategory, SaccoExpense
from portal.finance.cashbook.services import expense_category_create, expense_record, income_record
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.members import roles

pytestmark = pytest.mark.django_db
D = Decimal
PDF = b"%PDF-1.4\n%receipt\n"
PERIOD = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")


def test_starter_categories_have_their_own_accounts():
    rent = ExpenseCategory.objects.get(name="Rent and utilities")
    assert rent.ledger_account.parent.code == "5000" and rent.ledger_account.code.startswith("50")
    assert IncomeCategory.objects.get(name="Entrance fees").ledger_account.parent.code == "4900"
    new = expense_category_create(name="Security")
    assert new.ledger_account.type == "expense"
    with pytest.raises(ValidationError):
        expense_category_create(name="security")


def test_expense_with_transaction_cost_and_receipt_posts_balanced():
    rent = ExpenseCategory.objects.get(name="Rent and utilities")
    receipt = SimpleUploadedFile("rent.pdf", PDF)
    expense, created = expense_record(
        category=rent,
        amount="45000",
        transaction_cost="105",
        payee="Landlord Ltd",
        description="November rent",
        reference="INV-11",
        receipt=receipt,
    )
    assert created and expense.receipt_content_type == "application/pdf"
    assert account_balance(code=rent.ledger_account.code) == D("45000.00")
    assert account_balance(code="5100") == D("105.00")
    assert account_balance(code=bank_account_primary().ledger_account.code) == D("-45105.00")
    again, created = expense_record(
        category=rent,
        amount="45000",
        transaction_cost="105",
        payee="Landlord Ltd",
        description="November rent",
        reference="INV-11",
    )
    assert not created and again.pk == expense.pk and JournalEntry.objects.count() == 1


def test_income_posts_dr_bank_cr_income_and_bad_input_names_fields():
    fees = IncomeCategory.objects.get(name="Entrance fees")
    income, _ = income_record(category=fees, amount="2000", payer="New member", description="Entrance fee")
    assert account_balance(code=fees.ledger_account.code) == D("2000.00")
    with pytest.raises(ValidationError) as exc:
        income_record(
            category=fees,
            amount="20.001",
            payer="",
            description="",
            transaction_cost="-1",
            receipt=SimpleUploadedFile("x.exe", b"MZ\x90\x00"),
        )
    assert {"amount", "payer", "description", "transaction_cost", "receipt"} <= set(exc.value.message_dict)
    assert JournalEntry.objects.count() == 1


def _batch(member, overrides=None):
    items = [
        {"kind": "contribution", "member": member.membership_number, "amount": "1000", "period": PERIOD},
        {"kind": "share_capital", "member": member.membership_number, "amount": "500"},
        {
            "kind": "expense",
            "category": "Stationery and printing",
            "amount": "1200",
            "counterparty": "Text Book Centre",
            "description": "Receipt books",
        },
        {
            "kind": "income",
            "category": "Sale of forms",
            "amount": "300",
            "counterparty": "Walk-in",
            "description": "Forms",
        },
    ]
    for line, values in (overrides or {}).items():
        items[line].update(values)
    return batch_create(name="Counter, Friday", bank_account=bank_account_primary(), items=items)


def test_a_valid_batch_validates_without_posting_then_processes_once(member, staff_user):
    batch = _batch(member)
    assert batch_validate(batch=batch) == [] and batch.status == BatchStatus.VALIDATED
    assert JournalEntry.objects.count() == 0
    treasurer = staff_user(roles.TREASURER)
    assert batch_process(batch=batch, processed_by=treasurer) == []
    assert batch.status == BatchStatus.PROCESSED and JournalEntry.objects.count() == 4
    assert account_balance(code="2000", member=member) == D("1000.00")
    assert all(item.entry_id for item in batch.items.all())
    with pytest.raises(BatchNotProcessable):
        batch_process(batch=batch, processed_by=treasurer)
    assert JournalEntry.objects.count() == 4


def test_one_bad_line_posts_nothing_and_is_named(member):
    batch = _batch(member, {0: {"period": "2026-13"}, 2: {"category": "Yachts"}})
    errors = batch_process(batch=batch, processed_by=None)
    assert [(e.line, e.field) for e in errors] == [(1, "period"), (3, "category")]
    assert batch.status == BatchStatus.INVALID and len(batch.errors) == 2
    assert JournalEntry.objects.count() == 0 and MonthlyContribution.objects.count() == 0


def test_api_expenses_income_and_batches_by_role(staff_user, member):
    api = APIClient()
    api.force_authenticate(member.user)
    assert api.get("/api/transactions/expenses/").status_code == 403
    api.force_authenticate(staff_user(roles.CLERKS))
    assert api.get("/api/transactions/expenses/").status_code == 200
    assert api.post("/api/transactions/expenses/", {}).status_code == 403
    treasurer = staff_user(roles.TREASURER)
    api.force_authenticate(treasurer)
    response = api.post(
        "/api/transactions/expenses/",
        {
            "category": "Audit fees",
            "amount": "30000",
            "payee": "Auditors LLP",
            "description": "2026 audit",
            "receipt": SimpleUploadedFile("inv.pdf", PDF),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["has_receipt"] is True and SaccoExpense.objects.count() == 1
    bad = api.post("/api/transactions/income/", {"category": "Nope", "amount": "x", "payer": "A", "description": "B"})
    assert bad.status_code == 400 and {"category", "amount"} <= set(bad.json())
    created = api.post(
        "/api/transactions/batches/",
        {
            "name": "Counter",
            "items": [{"kind": "contribution", "member": member.membership_number, "amount": "1000", "period": PERIOD}],
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["status"] == "validated"
    pk = created.json()["id"]
    processed = api.post(f"/api/transactions/batches/{pk}/process-batch/")
    assert processed.status_code == 200 and processed.json()["status"] == "processed"
    assert api.post(f"/api/transactions/batches/{pk}/process-batch/").status_code == 409


def test_treasurer_records_an_expense_in_the_admin_and_it_cannot_be_edited(client, staff_user):
    from tests.conftest import sign_in_verified

    treasurer = staff_user(roles.TREASURER)
    sign_in_verified(client, treasurer)
    rent = ExpenseCategory.objects.get(name="Rent and utilities")
    data = {
        "payee": "Jengo Properties",
        "category": rent.pk,
        "amount": "45000.005",
        "transaction_cost": "0",
        "bank_account": bank_account_primary().pk,
        "date": datetime.date.today().isoformat(),
        "description": "December rent",
        "reference": "INV-12",
    }
    response = client.post("/admin/snippets/finance/saccoexpense/add/", data)
    assert response.status_code == 200 and SaccoExpense.objects.count() == 0  # 3 decimals: the form says so
    data["amount"] = "45000.00"
    data["receipt"] = SimpleUploadedFile("rent.pdf", PDF)
    response = client.post("/admin/snippets/finance/saccoexpense/add/", data)
    assert response.status_code == 302, response.content[:2000]
    expense = SaccoExpense.objects.get()
    assert expense.entry.lines.count() == 2 and expense.receipt
    client.post(f"/admin/snippets/finance/saccoexpense/edit/{expense.pk}/", {**data, "amount": "1.00"})
    expense.refresh_from_db()
    assert expense.amount == D("45000.00")


def test_receipts_download_only_for_staff_who_may_read_them(client, staff_user, member):
    from tests.conftest import sign_in_verified

    expense, _ = expense_record(
        category=ExpenseCategory.objects.get(name="Audit fees"),
        amount="100",
        payee="A",
        description="B",
        receipt=SimpleUploadedFile("a.pdf", PDF),
    )
    url = f"/admin/ledger/receipts/expense/{expense.pk}/"
    sign_in_verified(client, member.user)
    assert client.get(url).status_code in (302, 403)
    sign_in_verified(client, staff_user(roles.AUDITORS))
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"


def test_treasurer_processes_a_batch_from_the_admin(client, staff_user, member):
    from tests.conftest import sign_in_verified

    batch = _batch(member)
    sign_in_verified(client, staff_user(roles.CLERKS))
    client.post(f"/admin/ledger/batches/{batch.pk}/process/")
    assert JournalEntry.objects.count() == 0  # clerks prepare, they do not process
    sign_in_verified(client, staff_user(roles.TREASURER))
    assert client.get(f"/admin/ledger/batches/{batch.pk}/process/").status_code == 200
    assert client.post(f"/admin/ledger/batches/{batch.pk}/process/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PROCESSED and JournalEntry.objects.count() == 4


def test_api_names_an_unknown_or_malformed_bank_account_and_records_nothing(staff_user, member):
    """Expenses, income and batches read the bank account through the API's one lookup (BankAccountField)."""
    api = APIClient()
    api.force_authenticate(staff_user(roles.TREASURER))
    unknown = "00000000-0000-4000-8000-000000000000"
    expense = {"category": "Audit fees", "amount": "300", "payee": "A", "description": "B"}
    for bank_account, message in ((unknown, "No such bank account."), ("nope", "Must be a valid UUID.")):
        response = api.post("/api/transactions/expenses/", {**expense, "bank_account": bank_account}, format="json")
        assert response.status_code == 400 and response.json() == {"bank_account": [message]}
        batch = {"name": "Counter", "bank_account": bank_account, "items": [{"kind": "expense", "amount": "1"}]}
        response = api.post("/api/transactions/batches/", batch, format="json")
        assert response.status_code == 400 and response.json() == {"bank_account": [message]}
    assert SaccoExpense.objects.count() == 0 and JournalEntry.objects.count() == 0
    named = api.post(
        "/api/transactions/expenses/", {**expense, "bank_account": str(bank_account_primary().pk)}, format="json"
    )
    assert named.status_code == 201 and named.json()["bank_account"] == bank_account_primary().name
