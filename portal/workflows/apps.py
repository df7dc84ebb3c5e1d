from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "portal.workflows"
    label = "workflows"
    verbose_name = "Workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import handlers  # noqa: F401 - connects the workflow signal handlers
