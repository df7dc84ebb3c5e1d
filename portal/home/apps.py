from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "portal.home"
    label = "home"
    verbose_name = "Public site"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The cached navigation forgets itself on any page or site change, in every process (issue 17).
        from . import site_nav  # noqa: F401
