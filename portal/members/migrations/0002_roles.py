"""Create the role groups (Members, Clerks, Loans officers, Credit committee, Treasurer, Auditors,
Administrators) with the permissions of portal.members.roles."""

from django.db import migrations

from portal.members.migrations._helpers import sync_roles


def create_roles(apps, schema_editor):
    sync_roles(apps, schema_editor)
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
