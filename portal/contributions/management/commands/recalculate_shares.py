"""`manage.py recalculate_shares`: rebuild every member's share summary (share capital, deposits) from the ledger."""

from django.core.management.base import BaseCommand

from portal.contributions.services import shares_recalculate


class Command(BaseCommand):
    help = "Rebuild the member share summary cache from the ledger (C5)."

    def handle(self, *args, **options):
        count = shares_recalculate()
        self.stdout.write(self.style.SUCCESS(f"Recalculated {count} member summaries from the ledger."))
