"""Grant the bank reconciliation permissions of portal.members.roles."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0016_roles_backups"), ("finance", "0009_bank_reconciliation")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
