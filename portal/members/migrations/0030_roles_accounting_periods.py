"""Grant the accounting period permissions of portal.members.roles (issue 18)."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0029_roles_sasra_returns"), ("finance", "0017_accounting_periods")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
