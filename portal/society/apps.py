from django.apps import AppConfig


class SocietyConfig(AppConfig):
    name = "portal.society"
    label = "society"
    verbose_name = "Society"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .list_exports import neutralise_wagtail_csv_exports

        # Every admin list's CSV export (snippets and Wagtail's own) neutralises formula-like cells (issue 12).
        neutralise_wagtail_csv_exports()
