"""Grant the expense, income and batch permissions of portal.members.roles."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0010_roles_savings"), ("finance", "0006_starter_categories")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
