from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "portal.reports"
    label = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.workflows import outcomes

        from .models import FinancialStatement, SasraReturn

        # Approving publishes the pack (members then see it), or the SASRA returns (the AGM pack then prints them);
        # nothing else happens on either outcome.
        outcomes.register(FinancialStatement)
        outcomes.register(SasraReturn)

        # Issue 18: member statements carry a signed reference that /verify/ checks against the ledger.
        from django.utils.translation import gettext_lazy as _

        from portal.society.document_refs import document_kind_register

        from .member_statement import STATEMENT_KIND, member_statement_books

        document_kind_register(
            code=STATEMENT_KIND, name="member_statement", label=_("Member statement"), books=member_statement_books
        )
