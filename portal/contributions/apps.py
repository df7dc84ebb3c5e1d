from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "portal.contributions"
    label = "contributions"
    verbose_name = "Savings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.finance.cashbook.batches import batch_line_posters
        from portal.finance.cashbook.models import BatchItemKind
        from portal.finance.ledger import invariants

        from .batch_lines import contribution_lines_post, share_capital_lines_post
        from .invariants import member_lines_problems, savings_summary_problems

        invariants.register("2000 and 3000 lines name a member", member_lines_problems)
        invariants.register("savings summaries = ledger", savings_summary_problems)
        batch_line_posters.register(BatchItemKind.CONTRIBUTION, contribution_lines_post)
        batch_line_posters.register(BatchItemKind.SHARE_CAPITAL, share_capital_lines_post)
