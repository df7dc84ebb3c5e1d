"""Grant the mass email permissions of portal.members.roles."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0006_roles_kyc"), ("notifications", "0002_massemail_massemaildelivery")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
