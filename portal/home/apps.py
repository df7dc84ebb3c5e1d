from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "portal.home"
    label = "home"
    verbose_name = "Public site"
    default_auto_field = "django.db.models.BigAutoField"
