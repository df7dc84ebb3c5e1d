"""`manage.py ledger_check`: every entry balanced, and the trial balance's columns equal. Exits 1 on a problem."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from portal.finance.ledger.selectors import trial_balance, unbalanced_entries


class Command(BaseCommand):
    help = "Check the ledger: balanced entries and a trial balance whose debit and credit columns are equal."

    def handle(self, *args, **options):
        problems = []
        for entry in unbalanced_entries()[:50]:
            problems.append(f"entry {entry.pk} ({entry.date} {entry.memo}) does not balance")
        rows = trial_balance()
        debit = sum((r.debit for r in rows), Decimal("0"))
        credit = sum((r.credit for r in rows), Decimal("0"))
        if debit != credit:
            problems.append(f"trial balance columns differ: debits {debit}, credits {credit}")
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} ledger problem(s) found.")
        self.stdout.write(self.style.SUCCESS(f"Ledger OK: {len(rows)} accounts, debits = credits = {debit}."))
