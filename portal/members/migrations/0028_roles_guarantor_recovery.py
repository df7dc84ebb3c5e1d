"""Grant the guarantor recovery and substitution permissions of portal.members.roles (issue 16)."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0027_roles_member_exit"), ("loans", "0012_guarantor_recovery_and_substitution")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
