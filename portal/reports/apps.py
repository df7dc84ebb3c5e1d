from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "portal.reports"
    label = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.workflows import outcomes

        from .models import FinancialStatement

        # Approving publishes the pack (members then see it); nothing else happens on either outcome.
        outcomes.register(FinancialStatement)
