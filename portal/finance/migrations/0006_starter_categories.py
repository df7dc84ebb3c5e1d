"""Starter expense and income categories, each with its own ledger account (5001+ under 5000, 4901+ under 4900);
bank and transaction charges use 5100 itself."""

from django.db import migrations

EXPENSES = ["Rent and utilities", "Salaries and wages", "Stationery and printing", "Meetings and AGM", "Audit fees"]
INCOME = ["Entrance fees", "Interest on bank deposits", "Sale of forms"]


def create(apps, schema_editor):
    Account = apps.get_model("finance", "Account")
    ExpenseCategory = apps.get_model("finance", "ExpenseCategory")
    IncomeCategory = apps.get_model("finance", "IncomeCategory")
    for model, parent_code, first, names, kind in (
        (ExpenseCategory, "5000", 5001, EXPENSES, "expense"),
        (IncomeCategory, "4900", 4901, INCOME, "income"),
    ):
        parent = Account.objects.get(code=parent_code)
        for offset, name in enumerate(names):
            if model.objects.filter(name=name).exists():
                continue
            account, _ = Account.objects.get_or_create(
                code=str(first + offset), defaults={"name": name, "type": kind, "parent": parent}
            )
            model.objects.create(name=name, ledger_account=account)
    charges = Account.objects.get(code="5100")
    if not ExpenseCategory.objects.filter(ledger_account=charges).exists():
        ExpenseCategory.objects.create(name="Bank and transaction charges", ledger_account=charges)


class Migration(migrations.Migration):
    dependencies = [("finance", "0005_cashbook")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
