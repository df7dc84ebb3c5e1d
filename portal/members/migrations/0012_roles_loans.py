"""Grant the loan permissions of portal.members.roles."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0011_roles_cashbook"), ("loans", "0001_initial")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
