"""Grant the restructure and write-off permissions of portal.members.roles (issue 16)."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0024_roles_loan_reversal"), ("loans", "0010_restructure_write_off")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
