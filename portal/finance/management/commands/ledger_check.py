"""`manage.py ledger_check`: every entry balanced, the trial balance's columns equal, member-level lines on the
control accounts adding up to the control account, the savings summary cache equal to the ledger, the loan
book equal to its control accounts (outstanding principal = 1100 Loans to members, accrued unpaid interest = 1110
Interest receivable, unpaid penalties = 1120 Penalties receivable), and every line dated like its entry.
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
    """The loan book equals its control accounts:
    - Σ outstanding principal of the instalments = GL 1100 Loans to members;
    - Σ interest recognised (instalments marked `interest_accrued`) − Σ interest paid = GL 1110 Interest receivable
      (interest is posted Dr 1110 when it falls due, or when a repayment reaches it first, and Cr 1110 when paid);
    - Σ penalties charged − Σ penalties paid = GL 1120 Penalties receivable (an instalment's penalty grows exactly
      by what the daily job posts to 1120);
    - every line on these three accounts names a loan, so a posting that no instalment stands behind (e.g. a
      hand-made Dr 1110) is named even when it happens to be offset elsewhere."""
    from django.db.models import Q, Sum

    from portal.finance.ledger.models import JournalLine
    from portal.finance.ledger.selectors import account_balance
    from portal.finance.money import to_cents
    from portal.loans.models import LoanInstalment

    def total(value) -> Decimal:
        return to_cents(str(value or 0))

    totals = LoanInstalment.objects.aggregate(
        principal=Sum("principal"),
        principal_paid=Sum("principal_paid"),
        interest=Sum("interest", filter=Q(interest_accrued=True)),
        interest_paid=Sum("interest_paid"),
        penalty=Sum("penalty"),
        penalty_paid=Sum("penalty_paid"),
    )
    checks = [
        ("1100", "Loans to members", "outstanding principal", "principal"),
        ("1110", "Interest receivable", "accrued, unpaid interest", "interest"),
        ("1120", "Penalties receivable", "charged, unpaid penalties", "penalty"),
    ]
    problems = []
    for code, name, what, part in checks:
        book = total(totals[part]) - total(totals[f"{part}_paid"])
        ledger = account_balance(code=code)
        if book != ledger:
            problems.append(f"the loan book's {what} {book} differs from {code} {name} {ledger}")
    orphan = JournalLine.objects.filter(account__code__in=[c for c, *_ in checks], loan__isnull=True)
    for code in sorted(set(orphan.values_list("account__code", flat=True))):
        count = orphan.filter(account__code=code).count()
        problems.append(f"{count} line(s) on {code} name no loan, so no instalment stands behind them")
    return problems
