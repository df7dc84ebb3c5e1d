"""Grant the ledger permissions of portal.members.roles (read for treasurer, auditors, administrators)."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0007_roles_mass_email"), ("finance", "0002_chart_of_accounts_and_journal_guards")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
