"""T4: bank accounts, each with its ledger account, exactly one primary; admin and API by role."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework.test import APIClient

from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_create, bank_account_primary, bank_account_set_primary
from portal.members import roles

pytestmark = pytest.mark.django_db


def test_starter_accounts_exist_with_the_bank_primary():
    assert bank_account_primary().ledger_account.code == "1010"
    assert BankAccount.objects.get(kind="mpesa").ledger_account.code == "1011"


def test_new_account_gets_the_next_free_ledger_code_and_primary_moves():
    equity = bank_account_create(
        name="Equity Bank — Moi Avenue", kind="bank", bank_name="Equity Bank", account_number="0180291234567"
    )
    assert equity.ledger_account.code == "1012" and equity.ledger_account.type == "asset"
    bank_account_set_primary(bank_account=equity)
    assert list(BankAccount.objects.filter(is_primary=True)) == [equity]


def test_duplicate_names_are_refused():
    with pytest.raises(ValidationError, match="already exists"):
        bank_account_create(name="main bank account", kind="bank")


@pytest.mark.parametrize(
    ("role", "create", "read"),
    [
        (roles.TREASURER, 201, 200),
        (roles.ADMINISTRATORS, 201, 200),
        (roles.AUDITORS, 403, 200),
        (roles.CLERKS, 403, 403),
        (roles.CREDIT_COMMITTEE, 403, 403),
        (roles.LOANS_OFFICERS, 403, 403),
    ],
)
def test_api_by_role(staff_user, role, create, read):
    api = APIClient()
    api.force_authenticate(staff_user(role))
    assert api.get("/api/transactions/bank-accounts/").status_code == read
    response = api.post("/api/transactions/bank-accounts/", {"name": "KCB Nairobi", "kind": "bank"}, format="json")
    assert response.status_code == create


def test_api_set_as_primary_and_member_refused(staff_user, member):
    api = APIClient()
    mpesa = BankAccount.objects.get(kind="mpesa")
    api.force_authenticate(member.user)
    assert api.post(f"/api/transactions/bank-accounts/{mpesa.pk}/set-as-primary/").status_code == 403
    api.force_authenticate(staff_user(roles.TREASURER))
    response = api.post(f"/api/transactions/bank-accounts/{mpesa.pk}/set-as-primary/")
    assert response.status_code == 200 and response.json()["is_primary"] is True
    assert BankAccount.objects.filter(is_primary=True).count() == 1
    bad = api.post("/api/transactions/bank-accounts/", {"name": "", "kind": "gold"}, format="json")
    assert bad.status_code == 400 and {"name", "kind"} <= set(bad.json())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_switches_leave_exactly_one_primary():
    accounts = [bank_account_create(name=f"Bank {i}", kind="bank") for i in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def switch(account):
        try:
            barrier.wait()
            for _ in range(10):
                bank_account_set_primary(bank_account=account)
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=switch, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert BankAccount.objects.filter(is_primary=True).count() == 1
