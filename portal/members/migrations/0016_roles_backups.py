"""Grant the backup permissions of portal.members.roles (administrators only)."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0015_roles_dividends"), ("reports", "0003_backup")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
