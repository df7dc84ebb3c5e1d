"""Grant the saved-report permissions of portal.members.roles to every staff role."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0017_roles_reconciliation"), ("reports", "0005_savedreport_report")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
