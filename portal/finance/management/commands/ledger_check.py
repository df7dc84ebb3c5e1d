"""`manage.py ledger_check`: every entry balanced, the trial balance's columns equal, member-level lines on the
control accounts adding up to the control account, the savings summary cache equal to the ledger, and the loan
book's outstanding principal equal to 1100 Loans to members, and every line dated like its entry.
Exits 1 on a problem."""

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
        problems += control_account_problems()
        from django.db.models import F, Q

        from portal.finance.ledger.models import JournalLine

        undated = JournalLine.objects.filter(Q(date__isnull=True) | ~Q(date=F("entry__date"))).count()
        if undated:
            problems.append(f"{undated} line(s) carry no date or another date than their entry (statements use it)")
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} ledger problem(s) found.")
        self.stdout.write(self.style.SUCCESS(f"Ledger OK: {len(rows)} accounts, debits = credits = {debit}."))


def control_account_problems() -> list[str]:
    """Σ member deposits = GL 2000 and Σ member share capital = GL 3000 (every line there names a member), and
    each member's cached summary equals their ledger balance."""
    from django.db.models import Sum

    from portal.contributions.models import MemberShareSummary
    from portal.finance.ledger.models import JournalLine
    from portal.finance.money import to_cents

    problems = []
    for code, label in (("2000", "Member deposits"), ("3000", "Share capital")):
        orphan = JournalLine.objects.filter(account__code=code, member__isnull=True).count()
        if orphan:
            problems.append(f"{orphan} line(s) on {code} {label} name no member, so the sub-ledger cannot match")
    ledger = {}
    rows = (
        JournalLine.objects.filter(account__code__in=["2000", "3000"])
        .values("member_id", "account__code")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    )
    for row in rows:
        ledger[(row["member_id"], row["account__code"])] = to_cents(str(row["c"] or 0)) - to_cents(str(row["d"] or 0))
    mismatched = 0
    for summary in MemberShareSummary.objects.all().iterator():
        if summary.deposits != ledger.get(
            (summary.member_id, "2000"), Decimal("0")
        ) or summary.share_capital != ledger.get((summary.member_id, "3000"), Decimal("0")):
            mismatched += 1
    if mismatched:
        problems.append(f"{mismatched} member summaries differ from the ledger; run the share recalculation")
    problems += _loans_control_problems()
    return problems


def _loans_control_problems() -> list[str]:
    """Σ outstanding principal of the loan book = GL 1100 Loans to members."""
    from django.db.models import Sum

    from portal.finance.ledger.selectors import account_balance
    from portal.finance.money import to_cents
    from portal.loans.models import LoanInstalment

    totals = LoanInstalment.objects.aggregate(due=Sum("principal"), paid=Sum("principal_paid"))
    book = to_cents(str(totals["due"] or 0)) - to_cents(str(totals["paid"] or 0))
    ledger = account_balance(code="1100")
    if book != ledger:
        return [f"the loan book's outstanding principal {book} differs from 1100 Loans to members {ledger}"]
    return []
