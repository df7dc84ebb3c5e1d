"""Grant the dividend permissions of portal.members.roles."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0014_roles_reports"), ("dividends", "0001_initial")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
