"""Grant the bank account permissions of portal.members.roles."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0008_roles_ledger"), ("finance", "0004_starter_bank_accounts")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
