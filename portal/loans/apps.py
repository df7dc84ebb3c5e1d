from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "portal.loans"
    label = "loans"
    verbose_name = "Loans"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.finance.ledger import invariants
        from portal.workflows import outcomes

        from .approval import review_finished
        from .invariants import loan_book_problems
        from .models import LoanReview

        invariants.register("loan book = 1100, 1110, 1120", loan_book_problems)

        # Issue 17: the member dashboard's cached figures are forgotten when a loan, application or guarantee changes.
        from .figures import figures_signals_connect

        figures_signals_connect()

        # The approval workflow's end writes the decision on the application.
        outcomes.register(
            LoanReview,
            approved=lambda review, *, user, reason: review_finished(
                review=review, approved=True, user=user, reason=reason
            ),
            rejected=lambda review, *, user, reason: review_finished(
                review=review, approved=False, user=user, reason=reason
            ),
        )

        # Issue 16: a restructure is carried out, a write-off posted, when the committee approves.
        from .models import LoanRestructure, LoanWriteOff
        from .restructure import restructure_apply, restructure_reject
        from .write_off import write_off_post, write_off_reject

        outcomes.register(
            LoanRestructure,
            approved=lambda record, *, user, reason: restructure_apply(restructure=record, user=user, reason=reason),
            rejected=lambda record, *, user, reason: restructure_reject(restructure=record, user=user, reason=reason),
        )
        outcomes.register(
            LoanWriteOff,
            approved=lambda record, *, user, reason: write_off_post(write_off=record, user=user, reason=reason),
            rejected=lambda record, *, user, reason: write_off_reject(write_off=record, user=user, reason=reason),
        )

        # Issue 18: loan statements carry a signed reference that /verify/ checks against the ledger.
        from django.utils.translation import gettext_lazy as _

        from portal.society.document_refs import document_kind_register

        from .statements import LOAN_STATEMENT_KIND, loan_statement_books

        document_kind_register(
            code=LOAN_STATEMENT_KIND, name="loan_statement", label=_("Loan statement"), books=loan_statement_books
        )
