"""Accounts for members leaving (issue 16): 2400 Refunds payable to exited members (what an exited member, or a
deceased member's nominees, are owed until it is paid out) and 1130 Insurance claims receivable (a deceased
member's insured loan, cleared against the claim on the insurer)."""

from django.db import migrations

ACCOUNTS = [
    ("1130", "Insurance claims receivable", "asset"),
    ("2400", "Refunds payable to exited members", "liability"),
]


def create(apps, schema_editor):
    Account = apps.get_model("finance", "Account")
    for code, name, kind in ACCOUNTS:
        Account.objects.get_or_create(code=code, defaults={"name": name, "type": kind})


class Migration(migrations.Migration):
    dependencies = [("finance", "0014_recoveries_account")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
