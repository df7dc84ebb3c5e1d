"""Years of savings for generated members (portal/members/demo_bulk.py), written by the ledger's bulk path.

Each generated member is paid through their employer's payroll check-off, as most members of a Kenyan SACCO are:
one entry a month shaped like a posted check-off row (checkoff.py) — Dr bank the total, Cr 2000 the monthly
contribution and Cr 3000 the share capital instalment while the target is not reached, both lines naming the member
— with its MonthlyContribution and ShareCapitalPayment records on the entry, a contribution schedule, and the
member's cached summary (MemberShareSummary) equal to the lines written. About one month in sixteen is missed;
a quarter of the members pay two to five times the minimum.

Keys are `demo-checkoff:<membership number>:<YYYY-MM>`: new by construction (the members are new), so the rows
go through `JournalRows` without a per-key lookup (portal/finance/journal_rows.py)."""

import datetime
from decimal import Decimal

from portal.finance.journal_rows import JournalRows
from portal.members.demo_bulk import GeneratedMember
from portal.society.ordered_ids import ordered_uuid
from portal.society.policy import sacco_settings

from .models import MemberContributionSchedule, MemberShareSummary, MonthlyContribution, PaymentSource
from .models import ShareCapitalPayment as SharePayment
from .periods import add_months, format_period, period_of
from .rules import share_capital_target
from .services import DEPOSITS_ACCOUNT, SHARE_CAPITAL_ACCOUNT

ZERO = Decimal("0.00")


class SavingsPlan:
    """The society's terms, read once for a whole run."""

    def __init__(self, *, bank, today: datetime.date):
        sacco = sacco_settings()
        self.minimum = sacco.minimum_monthly_contribution
        self.target = share_capital_target()
        self.bank = bank
        self.bank_code = bank.ledger_account.code
        self.today = today
        self.last_month = add_months(period_of(today), -1)


def savings_bulk_seed(
    *, plans: list[GeneratedMember], terms: SavingsPlan, journal: JournalRows, seed: int = 2026
) -> tuple[dict, list[tuple]]:
    """Queue the entries in `journal`. Returns each member's deposits over time, {member id: [(date, balance)]},
    which the loan book sizes loans on, and the records as [(model, rows)] for the caller to write in its
    transaction, after the journal is flushed (the records point at its entries). No query: `terms` holds what
    the database said, so a worker thread may run it."""
    schedules, contributions, shares, summaries = [], [], [], []
    timelines: dict = {}
    minimum, target, today, bank_code = terms.minimum, terms.target, terms.today, terms.bank_code
    common = {"source": PaymentSource.DEMO, "bank_account_id": terms.bank.pk, "below_minimum_reason": ""}
    for plan in plans:
        rng = plan.rng(seed, "savings")
        term = rng.choice([12, 24])
        higher = rng.random() < 0.25
        monthly = minimum * rng.choice([2, 3, 5]) if higher else minimum
        schedules.append(
            {"member_id": plan.id, "monthly_amount": monthly if higher else None, "share_capital_term_months": term}
        )
        instalment = (target / term).quantize(Decimal("1"))
        share_paid = deposits = ZERO
        timeline = []
        period = period_of(plan.join_date)
        number = plan.membership_number
        while period <= terms.last_month:
            paid_on = min(period.replace(day=25), today)
            if period == period_of(plan.join_date):
                paid_on = max(paid_on, plan.join_date)
            label, this_period = format_period(period), period
            contribution = ZERO
            if rng.random() > 0.06:
                contribution = monthly + (Decimal(rng.choice([0, 0, 0, 500, 1000])) if rng.random() < 0.1 else 0)
            share = min(instalment, target - share_paid) if share_paid < target else ZERO
            period = add_months(period, 1)
            if not contribution and not share:
                continue
            memo = f"Check-off {label} {number}"
            lines = [(bank_code, contribution + share, ZERO, None, None, memo)]
            if share:
                lines.append((SHARE_CAPITAL_ACCOUNT, ZERO, share, plan.id, None, f"Share capital {label}"))
            if contribution:
                lines.append((DEPOSITS_ACCOUNT, ZERO, contribution, plan.id, None, f"Monthly contribution {label}"))
            entry_id = journal.add(
                key=f"demo-checkoff:{number}:{label}", date=paid_on, memo=memo, source="demo check-off", lines=lines
            )
            reference = f"demo check-off {label}"
            if contribution:
                contributions.append(
                    {
                        **common,
                        "id": ordered_uuid(),
                        "member_id": plan.id,
                        "amount": contribution,
                        "date": paid_on,
                        "reference": reference,
                        "entry_id": entry_id,
                        "period": this_period,
                    }
                )
                deposits += contribution
                timeline.append((paid_on, deposits))
            if share:
                shares.append(
                    {
                        **common,
                        "id": ordered_uuid(),
                        "member_id": plan.id,
                        "amount": share,
                        "date": paid_on,
                        "reference": reference,
                        "entry_id": entry_id,
                    }
                )
                share_paid += share
        summaries.append({"member_id": plan.id, "share_capital": share_paid, "deposits": deposits})
        timelines[plan.id] = timeline

    # (keys a model does not have are not written)
    records = [
        (MemberContributionSchedule, schedules),
        (MonthlyContribution, contributions),
        (SharePayment, shares),
        (MemberShareSummary, summaries),
    ]
    return timelines, records
