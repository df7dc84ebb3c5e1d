"""Grant the loan approval permissions of portal.members.roles."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0012_roles_loans"), ("loans", "0005_loanreview")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
