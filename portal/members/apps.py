from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "portal.members"
    label = "members"
    verbose_name = "Members"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.workflows import outcomes

        from . import signals  # noqa: F401 - connects the auth signal handlers
        from .kyc import kyc_decision_record
        from .models import KycDecision, KycDocument

        # A KYC document's review ends in a decision the member is told of (approving records no reason).
        outcomes.register(
            KycDocument,
            approved=lambda document, *, user, reason: kyc_decision_record(
                document=document, status=KycDecision.VERIFIED, reason="", by=user
            ),
            rejected=lambda document, *, user, reason: kyc_decision_record(
                document=document, status=KycDecision.REJECTED, reason=reason, by=user
            ),
        )
