from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "portal.finance"
    label = "finance"
    verbose_name = "Finance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from portal.society.document_refs import document_kind_register

        from .receipts import RECEIPT_KIND, receipt_books

        # Issue 18: receipts carry a signed reference that /verify/ checks against the journal.
        document_kind_register(code=RECEIPT_KIND, name="receipt", label=_("Payment receipt"), books=receipt_books)
        from portal.workflows import outcomes

        from .yearend.models import SurplusAppropriation
        from .yearend.services import appropriation_post

        # Approved: posted once. Rejected: nothing to undo (another appropriation of the year may be prepared).
        outcomes.register(
            SurplusAppropriation,
            approved=lambda record, *, user, reason: appropriation_post(appropriation=record, approved_by=user),
        )
