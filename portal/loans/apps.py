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
