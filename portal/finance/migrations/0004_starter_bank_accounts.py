"""Register the starter chart's 1010 (bank) and 1011 (M-Pesa) as bank accounts, the bank one primary."""

from django.db import migrations


def create(apps, schema_editor):
    Account = apps.get_model("finance", "Account")
    BankAccount = apps.get_model("finance", "BankAccount")
    for code, name, kind, primary in [
        ("1010", "Main bank account", "bank", True),
        ("1011", "M-Pesa paybill", "mpesa", False),
    ]:
        account = Account.objects.filter(code=code).first()
        if account and not BankAccount.objects.filter(ledger_account=account).exists():
            BankAccount.objects.create(
                name=name,
                kind=kind,
                ledger_account=account,
                is_primary=primary and not BankAccount.objects.filter(is_primary=True).exists(),
            )


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_bank_accounts")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
