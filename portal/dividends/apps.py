from django.apps import AppConfig


class DividendsConfig(AppConfig):
    name = "portal.dividends"
    label = "dividends"
    verbose_name = "Dividends"
    default_auto_field = "django.db.models.BigAutoField"
