"""The daily loan job (L8, L9): check-off repayments still in 2300 are allocated, then interest falls due,
penalties, days past due, classification and provisioning.

Idempotent by construction: every posting has a key (`interest:<loan>:<n>`, `penalty:<loan>:<n>:<YYYY-MM>`,
`provision:<date>`), so running it twice — or after a crash half way — posts nothing twice. It works in bulk
(a few queries per step, `ledger_post_many` for the postings) so 20,000 loans take seconds, not hours.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Min, Q, Sum
from django.utils import timezone

from portal.finance.ledger.selectors import account_balance
from portal.finance.ledger.services import Line, Posting, ledger_post, ledger_post_many
from portal.society.money import to_cents
from portal.society.policy import sacco_settings

from .allocation import checkoff_repayments_allocate
from .fees import penalty_amount, penalty_applies
from .messages import guarantors_arrears_notify
from .models import Classification, Loan, LoanInstalment, LoanRestructure, LoanStatus, ProposalStatus
from .restructure import classification_with_hold, restructure_hold
from .schedule import cents

INTEREST_RECEIVABLE, INTEREST_INCOME = "1110", "4000"
PENALTIES_RECEIVABLE, PENALTY_INCOME = "1120", "4200"
PROVISION, PROVISION_EXPENSE = "1190", "5200"


@dataclass
class DailyResult:
    checkoff_rows_allocated: int = 0
    interest_posted: int = 0
    penalties_posted: int = 0
    reclassified: int = 0
    provision_movement: Decimal = Decimal("0.00")


def loans_daily(*, today: datetime.date | None = None) -> DailyResult:
    """Run every step for `today`; safe to run again."""
    today = today or timezone.localdate()
    result = DailyResult()

    result.checkoff_rows_allocated = checkoff_repayments_allocate().rows
    result.interest_posted = interest_fall_due(today=today)
    result.penalties_posted = penalties_charge(today=today)
    result.reclassified = loans_classify(today=today)
    result.provision_movement = provision_adjust(today=today)
    return result


def interest_fall_due(*, today: datetime.date) -> int:
    """Dr 1110 / Cr 4000 for every instalment due by today whose interest is not yet recognised."""
    rows = list(
        LoanInstalment.objects.filter(
            loan__status=LoanStatus.ACTIVE, due_date__lte=today, interest_accrued=False, interest__gt=0
        ).values("pk", "loan_id", "loan__member_id", "number", "interest", "due_date")
    )
    postings = [
        Posting(
            memo=f"Interest due, instalment {row['number']}",
            lines=[
                Line(
                    INTEREST_RECEIVABLE, debit=row["interest"], member_id=row["loan__member_id"], loan_id=row["loan_id"]
                ),
                Line(INTEREST_INCOME, credit=row["interest"], member_id=row["loan__member_id"], loan_id=row["loan_id"]),
            ],
            idempotency_key=f"interest:{row['loan_id']}:{row['number']}",
            date=row["due_date"],
            source="daily loan job",
        )
        for row in rows
    ]
    with transaction.atomic():
        posted = ledger_post_many(postings=postings)
        LoanInstalment.objects.filter(pk__in=[row["pk"] for row in rows]).update(interest_accrued=True)
    return sum(1 for p in posted if p.created)


def penalties_charge(*, today: datetime.date) -> int:
    """Once per calendar month, each instalment overdue (due before today, not fully paid) is charged its product's
    penalty (fees.py: a rate on what is overdue of it, or a fixed amount; only once it is more than the product's
    grace days overdue): Dr 1120 / Cr 4200, and the instalment's penalty grows."""
    month = f"{today.year:04d}-{today.month:02d}"
    rows = list(
        LoanInstalment.objects.filter(loan__status=LoanStatus.ACTIVE, due_date__lt=today)
        .filter(Q(principal_paid__lt=F("principal")) | Q(interest_paid__lt=F("interest")))
        .values(
            "pk",
            "loan_id",
            "loan__member_id",
            "loan__product__penalty_rate_monthly",
            "loan__product__penalty_kind",
            "loan__product__penalty_fixed_amount",
            "loan__product__penalty_grace_days",
            "number",
            "due_date",
            "principal",
            "interest",
            "principal_paid",
            "interest_paid",
        )
    )
    default_rate = sacco_settings().penalty_rate_monthly
    postings, amounts = [], {}
    for row in rows:
        if not penalty_applies(
            days_overdue=(today - row["due_date"]).days, grace_days=row["loan__product__penalty_grace_days"]
        ):
            continue
        amount = penalty_amount(
            kind=row["loan__product__penalty_kind"],
            overdue=row["principal"] + row["interest"] - row["principal_paid"] - row["interest_paid"],
            rate_percent=row["loan__product__penalty_rate_monthly"],
            fixed_amount=row["loan__product__penalty_fixed_amount"],
            default_rate=default_rate,
        )
        if amount <= 0:
            continue
        key = f"penalty:{row['loan_id']}:{row['number']}:{month}"
        amounts[key] = (row["pk"], amount)
        postings.append(
            Posting(
                memo=f"Penalty {month}, instalment {row['number']}",
                lines=[
                    Line(PENALTIES_RECEIVABLE, debit=amount, member_id=row["loan__member_id"], loan_id=row["loan_id"]),
                    Line(PENALTY_INCOME, credit=amount, member_id=row["loan__member_id"], loan_id=row["loan_id"]),
                ],
                idempotency_key=key,
                date=today,
                source="daily loan job",
            )
        )
    with transaction.atomic():
        # The key is the month: the first run's amount stands, a later run's figure is not a second penalty.
        posted = ledger_post_many(postings=postings, compare_content=False)
        created = [p.entry.idempotency_key for p in posted if p.created]
        for key in created:
            pk, amount = amounts[key]
            LoanInstalment.objects.filter(pk=pk).update(penalty=F("penalty") + amount)
    return len(created)


def loans_classify(*, today: datetime.date) -> int:
    """Days past due = days since the oldest unpaid instalment's due date; the SASRA bucket follows. Only loans
    whose numbers changed are written. A loan whose days past due go from 0 to more has just fallen into arrears:
    its guarantors get one message (SMS and email, by their choice) for the episode, not one a day.

    A restructured loan keeps at least the class it had when restructured until it has made the set number of
    consecutive on-time payments (SASRA; restructure.restructure_hold)."""
    oldest = dict(
        LoanInstalment.objects.filter(loan__status=LoanStatus.ACTIVE, due_date__lt=today)
        .filter(
            Q(principal_paid__lt=F("principal")) | Q(interest_paid__lt=F("interest")) | Q(penalty_paid__lt=F("penalty"))
        )
        .values("loan_id")
        .annotate(first=Min("due_date"))
        .values_list("loan_id", "first")
    )
    held = restructure_hold(
        loan_ids=LoanRestructure.objects.filter(
            status=ProposalStatus.APPLIED, cured_on__isnull=True, loan__status=LoanStatus.ACTIVE
        ).values("loan_id"),
        today=today,
    )
    changed, into_arrears = [], []
    for loan in Loan.objects.filter(status=LoanStatus.ACTIVE).only("pk", "days_past_due", "classification"):
        days = (today - oldest[loan.pk]).days if loan.pk in oldest else 0
        bucket = classification_with_hold(Classification.for_days(days), held.get(loan.pk))
        if days != loan.days_past_due or bucket != loan.classification:
            if loan.days_past_due == 0 and days > 0:
                into_arrears.append(loan.pk)  # a new arrears episode: its guarantors are told once
            loan.days_past_due, loan.classification = days, bucket
            changed.append(loan)
    with transaction.atomic():
        Loan.objects.bulk_update(changed, ["days_past_due", "classification"], batch_size=1000)
        guarantors_arrears_notify(loan_ids=into_arrears)
    return len(changed)


def provision_rates() -> dict:
    """The SASRA class → provision rate (%) table, from SACCO settings."""
    sacco = sacco_settings()
    return {
        Classification.PERFORMING: sacco.provision_performing,
        Classification.WATCH: sacco.provision_watch,
        Classification.SUBSTANDARD: sacco.provision_substandard,
        Classification.DOUBTFUL: sacco.provision_doubtful,
        Classification.LOSS: sacco.provision_loss,
    }


def outstanding_by_class() -> dict:
    """Outstanding principal of active loans per class."""
    return {
        row["loan__classification"]: to_cents(str(row["due"] or 0)) - to_cents(str(row["paid"] or 0))
        for row in LoanInstalment.objects.filter(loan__status=LoanStatus.ACTIVE)
        .values("loan__classification")
        .annotate(due=Sum("principal"), paid=Sum("principal_paid"))
    }


def provision_required() -> Decimal:
    """Σ over active loans of the bucket's rate × outstanding principal."""
    rates = provision_rates()
    return sum(
        (cents(principal * rates[bucket] / 100) for bucket, principal in outstanding_by_class().items()),
        Decimal("0.00"),
    )


def provision_adjust(*, today: datetime.date) -> Decimal:
    """Post the movement from the current provision (balance of 1190) to the required level, once per day."""
    movement = provision_required() - account_balance(code=PROVISION)
    if movement == 0:
        return Decimal("0.00")
    lines = (
        [Line(PROVISION_EXPENSE, debit=movement), Line(PROVISION, credit=movement)]
        if movement > 0
        else [Line(PROVISION, debit=-movement), Line(PROVISION_EXPENSE, credit=-movement)]
    )
    result = ledger_post(
        memo=f"Loan loss provision to the required level, {today.isoformat()}",
        lines=lines,
        idempotency_key=f"provision:{today.isoformat()}",
        date=today,
        source="daily loan job",
        compare_content=False,  # once a day: a re-run's movement waits for tomorrow's run
    )
    return movement if result.created else Decimal("0.00")
