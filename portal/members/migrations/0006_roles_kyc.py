"""Grant the KYC document permissions of portal.members.roles."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0005_kycdocument_kycdecision")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
