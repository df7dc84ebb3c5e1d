"""Grant the SASRA returns permissions of portal.members.roles (issue 18): read, approve and prepare, to the roles
that read, approve and prepare the financial statements."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0028_roles_guarantor_recovery"), ("reports", "0011_sasra_return")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
