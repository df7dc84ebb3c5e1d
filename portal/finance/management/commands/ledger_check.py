"""`manage.py ledger_check`: every entry balanced, the trial balance's columns equal, the invariants the apps
register for their sub-ledgers (portal/finance/ledger/invariants.py: the savings summaries and member lines on
2000/3000 from contributions, the loan book against 1100, 1110 and 1120 from loans), every line dated like its
entry, and the journal's hash chain (ledger.chain: every link recomputed from its entry and lines, streamed in
chunks; `--hash SEQUENCE:HASH`, repeatable, also checks that the chain still produces a hash printed in an AGM pack).
Exits 1 on a problem.

Finance imports none of the apps whose invariants it runs: they register them in their AppConfig.ready()."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db.models import F, Q

from portal.finance.ledger.chain import chain_head, chain_problems
from portal.finance.ledger.invariants import invariant_problems
from portal.finance.ledger.models import JournalLine
from portal.finance.ledger.selectors import trial_balance, unbalanced_entries


class Command(BaseCommand):
    help = "Check the ledger: balanced entries and a trial balance whose debit and credit columns are equal."

    def add_arguments(self, parser):
        parser.add_argument(
            "--hash",
            action="append",
            default=[],
            metavar="SEQUENCE:HASH",
            help="A month-end hash from an AGM pack, e.g. 1234:9f86d0…; the chain must still produce it.",
        )

    def handle(self, *args, **options):
        expect = {}
        for given in options["hash"]:
            sequence, _, digest = given.partition(":")
            if not sequence.strip().isdigit() or len(digest.strip()) != 64:
                raise CommandError(f"--hash {given!r}: give SEQUENCE:HASH, the hash in 64 hexadecimal digits.")
            expect[int(sequence)] = digest.strip().lower()
        problems = []
        for entry in unbalanced_entries()[:50]:
            problems.append(f"entry {entry.pk} ({entry.date} {entry.memo}) does not balance")
        rows = trial_balance()
        debit = sum((r.debit for r in rows), Decimal("0"))
        credit = sum((r.credit for r in rows), Decimal("0"))
        if debit != credit:
            problems.append(f"trial balance columns differ: debits {debit}, credits {credit}")
        problems += invariant_problems()
        undated = JournalLine.objects.filter(Q(date__isnull=True) | ~Q(date=F("entry__date"))).count()
        if undated:
            problems.append(f"{undated} line(s) carry no date or another date than their entry (statements use it)")
        problems += chain_problems(expect=expect)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} ledger problem(s) found.")
        self.stdout.write(self.style.SUCCESS(f"Ledger OK: {len(rows)} accounts, debits = credits = {debit}."))
        head = chain_head()
        self.stdout.write(
            self.style.SUCCESS(f"Journal chain OK: {head.sequence} link(s), every hash recomputed; last {head.hash}.")
        )
