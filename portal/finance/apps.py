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
