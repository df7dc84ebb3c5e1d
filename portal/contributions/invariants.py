"""The savings sub-ledger's invariants, run by `manage.py ledger_check` (registered in apps.py; finance runs them
through portal/finance/ledger/invariants.py without importing this app): Σ member deposits = GL 2000 and Σ member
share capital = GL 3000 — every line there names a member — and each member's cached summary equals their ledger
balance."""

from decimal import Decimal

from django.db.models import Sum

from portal.finance.ledger.models import JournalLine
from portal.society.money import to_cents

from .models import MemberShareSummary

MEMBER_ACCOUNTS = (("2000", "Member deposits"), ("3000", "Share capital"))


def member_lines_problems() -> list[str]:
    """Every line on 2000 and 3000 names a member, or the members' balances cannot add up to the account."""
    problems = []
    for code, label in MEMBER_ACCOUNTS:
        orphan = JournalLine.objects.filter(account__code=code, member__isnull=True).count()
        if orphan:
            problems.append(f"{orphan} line(s) on {code} {label} name no member, so the sub-ledger cannot match")
    return problems


def savings_summary_problems() -> list[str]:
    """Each member's cached deposits and share capital (MemberShareSummary) equal their lines on 2000 and 3000."""
    ledger = {}
    rows = (
        JournalLine.objects.filter(account__code__in=[code for code, _ in MEMBER_ACCOUNTS])
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
        return [f"{mismatched} member summaries differ from the ledger; run the share recalculation"]
    return []
