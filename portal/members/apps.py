from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "portal.members"
    label = "members"
    verbose_name = "Members"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.audit import readers
        from portal.notifications.mass_email import mass_email_audiences
        from portal.notifications.models import MassEmailAudience
        from portal.workflows import outcomes

        from . import language, signals  # noqa: F401 - connect the sign-in signal handlers
        from .kyc import kyc_decision_record
        from .mass_email_audiences import mass_email_members
        from .models import KycDecision, KycDocument
        from .roles import audit_trail_reader

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
        # Auditors and administrators read the audit trail; the register says who gets a mass email.
        readers.register(audit_trail_reader)
        for audience in MassEmailAudience.values:
            mass_email_audiences.register(audience, mass_email_members)
