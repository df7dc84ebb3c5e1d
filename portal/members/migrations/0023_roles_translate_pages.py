"""Grant "Translate" (simple_translation.submit_translation) to the page editors, clerks and administrators."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0022_user_language"), ("simple_translation", "0001_initial")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
