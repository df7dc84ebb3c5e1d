"""Shared code for data migrations that re-apply the role matrix after new models arrive."""

from django.apps import apps as live_apps
from django.contrib.auth.management import create_permissions


class _LiveModelsOnly:
    """A historical app config showing only the models the project still has under the same label. Between society
    0001 and home 0005 the migration state holds SaccoSettings in both apps; a content type made for the one in
    `home` there would shadow the moved one (issue 18: new migrations put role syncs in that window)."""

    models_module = True

    def __init__(self, app_config):
        self._app_config = app_config
        self.label = app_config.label

    def get_models(self):
        for model in self._app_config.get_models():
            try:
                live_apps.get_model(model._meta.app_label, model._meta.model_name)
            except LookupError:
                continue
            yield model


class _LiveApps:
    """The historical registry as create_permissions reads it (it looks each app config up again by label)."""

    def __init__(self, apps):
        self._apps = apps

    def get_model(self, *args, **kwargs):
        return self._apps.get_model(*args, **kwargs)

    def get_app_config(self, label):
        return _LiveModelsOnly(self._apps.get_app_config(label))


def sync_roles(apps, schema_editor):
    # Permissions are normally created after `migrate` finishes; create them now so the groups can hold them.
    live = _LiveApps(apps)
    for app_config in apps.get_app_configs():
        create_permissions(_LiveModelsOnly(app_config), apps=live, verbosity=0)
    from portal.members.roles import roles_sync

    roles_sync(apps)


def sync_roles_and_prune(apps, schema_editor):
    """For a future migration that takes permissions out of the matrix: grant as `sync_roles` does, then remove
    from the role groups what the matrix no longer grants (the migrations above only ever granted, and keep
    doing so: pruning in them would rewrite what they did to an existing database)."""
    sync_roles(apps, schema_editor)
    from portal.members.roles import roles_prune

    roles_prune(apps)
