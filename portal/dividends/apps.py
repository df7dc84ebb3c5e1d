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

        # Issue 18: dividend advices carry a signed reference that /verify/ checks against the books.
        from django.utils.translation import gettext_lazy as _

        from portal.society.document_refs import document_kind_register

        from .advice import ADVICE_KIND, dividend_advice_books

        document_kind_register(
            code=ADVICE_KIND, name="dividend_advice", label=_("Dividend advice"), books=dividend_advice_books
        )
