"""Grant the membership exit permissions of portal.members.roles (issue 16)."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0026_member_exit")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
