"""The loan book's invariants, run by `manage.py ledger_check` (registered in apps.py; finance runs them through
portal/finance/ledger/invariants.py without importing this app)."""

from decimal import Decimal

from django.db.models import Q, Sum

from portal.finance.ledger.models import JournalLine
from portal.finance.ledger.selectors import account_balance
from portal.society.money import to_cents

from .models import LoanInstalment, LoanStatus

CONTROL_ACCOUNTS = [
    ("1100", "Loans to members", "outstanding principal", "principal"),
    ("1110", "Interest receivable", "accrued, unpaid interest", "interest"),
    ("1120", "Penalties receivable", "charged, unpaid penalties", "penalty"),
]


def loan_book_problems() -> list[str]:
    """The loan book equals its control accounts:
    - Σ outstanding principal of the instalments = GL 1100 Loans to members;
    - Σ interest recognised (instalments marked `interest_accrued`) − Σ interest paid = GL 1110 Interest receivable
      (interest is posted Dr 1110 when it falls due, or when a repayment reaches it first, and Cr 1110 when paid);
    - Σ penalties charged − Σ penalties paid = GL 1120 Penalties receivable (an instalment's penalty grows exactly
      by what the daily job posts to 1120);
    - every line on these three accounts names a loan, so a posting that no instalment stands behind (e.g. a
      hand-made Dr 1110) is named even when it happens to be offset elsewhere.
    A written-off loan's instalments are left out: its write-off (write_off.py) took what they still owed out of
    1100, 1110 and 1120, and its memo record (LoanWriteOff) tracks it off the balance sheet. Superseded schedules
    (restructure.py) are left out by the instalments' default manager."""

    def total(value) -> Decimal:
        return to_cents(str(value or 0))

    totals = LoanInstalment.objects.exclude(loan__status=LoanStatus.WRITTEN_OFF).aggregate(
        principal=Sum("principal"),
        principal_paid=Sum("principal_paid"),
        interest=Sum("interest", filter=Q(interest_accrued=True)),
        interest_paid=Sum("interest_paid"),
        penalty=Sum("penalty"),
        penalty_paid=Sum("penalty_paid"),
    )
    problems = []
    for code, name, what, part in CONTROL_ACCOUNTS:
        book = total(totals[part]) - total(totals[f"{part}_paid"])
        ledger = account_balance(code=code)
        if book != ledger:
            problems.append(f"the loan book's {what} {book} differs from {code} {name} {ledger}")
    orphan = JournalLine.objects.filter(account__code__in=[c for c, *_ in CONTROL_ACCOUNTS], loan__isnull=True)
    for code in sorted(set(orphan.values_list("account__code", flat=True))):
        count = orphan.filter(account__code=code).count()
        problems.append(f"{count} line(s) on {code} name no loan, so no instalment stands behind them")
    return problems
