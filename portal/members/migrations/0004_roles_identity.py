"""Grant the identity permissions (invitations, activity log, lockouts) to the roles."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0003_identity"), ("axes", "__latest__")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
