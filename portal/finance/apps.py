from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "portal.finance"
    label = "finance"
    verbose_name = "Finance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.workflows import outcomes

        from .yearend.models import SurplusAppropriation
        from .yearend.services import appropriation_post

        # Approved: posted once. Rejected: nothing to undo (another appropriation of the year may be prepared).
        outcomes.register(
            SurplusAppropriation,
            approved=lambda record, *, user, reason: appropriation_post(appropriation=record, approved_by=user),
        )
