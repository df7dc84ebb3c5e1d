"""Grant the year-end close and surplus appropriation permissions of portal.members.roles (issue 18)."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0030_roles_accounting_periods"), ("finance", "0019_year_end_close")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
