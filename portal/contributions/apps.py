from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "portal.contributions"
    label = "contributions"
    verbose_name = "Savings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.finance.ledger import invariants

        from .invariants import member_lines_problems, savings_summary_problems

        invariants.register("2000 and 3000 lines name a member", member_lines_problems)
        invariants.register("savings summaries = ledger", savings_summary_problems)
