"""Create the role groups (Members, Clerks, Loans officers, Credit committee, Treasurer, Auditors,
Administrators) with the permissions of portal.members.roles."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):
    # Permissions are normally created after `migrate` finishes; create them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    from portal.members.roles import roles_sync

    roles_sync(apps)
    # Wagtail's starter groups would sit beside the SACCO roles and confuse whoever assigns roles.
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=["Moderators", "Editors"], user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
        ("home", "0002_create_homepage"),
        ("auth", "__latest__"),
        ("wagtailcore", "__latest__"),
        ("wagtailadmin", "__latest__"),
        ("wagtaildocs", "__latest__"),
        ("wagtailimages", "__latest__"),
        ("wagtailredirects", "__latest__"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
