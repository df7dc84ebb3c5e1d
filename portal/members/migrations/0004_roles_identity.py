"""Grant the identity permissions (invitations, activity log) to the roles."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def sync(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from portal.members.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [("members", "0003_identity"), ("axes", "__latest__")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
