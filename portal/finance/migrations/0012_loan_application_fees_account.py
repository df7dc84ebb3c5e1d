"""Issue 16: the loan application fee has its own income account, beside 4100 processing and 4110 insurance fees
(portal/loans/fees.py). Created if missing, like the starter chart (0002); never changed if it exists."""

from django.db import migrations

ACCOUNTS = [("4130", "Loan application fees", "income", False)]


def create(apps, schema_editor):
    Account = apps.get_model("finance", "Account")
    for code, name, type_, contra in ACCOUNTS:
        Account.objects.get_or_create(code=code, defaults={"name": name, "type": type_, "is_contra": contra})


class Migration(migrations.Migration):
    dependencies = [("finance", "0011_journal_refuses_truncate")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
