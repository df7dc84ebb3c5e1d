"""Shared code for data migrations that re-apply the role matrix after new models arrive."""

from django.contrib.auth.management import create_permissions


def sync_roles(apps, schema_editor):
    # Permissions are normally created after `migrate` finishes; create them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from portal.members.roles import roles_sync

    roles_sync(apps)


def sync_roles_and_prune(apps, schema_editor):
    """For a future migration that takes permissions out of the matrix: grant as `sync_roles` does, then remove
    from the role groups what the matrix no longer grants (the migrations above only ever granted, and keep
    doing so: pruning in them would rewrite what they did to an existing database)."""
    sync_roles(apps, schema_editor)
    from portal.members.roles import roles_prune

    roles_prune(apps)
