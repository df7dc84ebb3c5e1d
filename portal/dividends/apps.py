from django.apps import AppConfig


class DividendsConfig(AppConfig):
    name = "portal.dividends"
    label = "dividends"
    verbose_name = "Dividends"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.workflows import outcomes

        from .models import DividendDeclaration
        from .services import dividend_post

        # Approved: posted once. Rejected: nothing to undo (dividend_prepare gives the year to the next one).
        outcomes.register(
            DividendDeclaration,
            approved=lambda declaration, *, user, reason: dividend_post(declaration=declaration, approved_by=user),
        )
