"""Grant the SACCO settings permission again once it belongs to the society app (society 0001 renames the content
type): on a new database the earlier role migrations may run before that rename, and nothing would grant
`society.change_saccosettings` to the treasurer and the administrators."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


class Migration(migrations.Migration):
    dependencies = [("members", "0020_flush_expired_tokens_schedule"), ("society", "0001_initial")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
