"""The daily loan job (L8, L9): check-off repayments still in 2300 are allocated, then interest falls due,
penalties, days past due, classification and provisioning.

Idempotent by construction: every posting has a key (`interest:<loan>:<n>`, `penalty:<loan>:<n>:<YYYY-MM>`,
`provision:<date>`), so running it twice — or after a crash half way — posts nothing twice.

Set-based: each step reads what it needs in one or two queries, computes in one pass in Python (Decimal), posts
with `ledger_post_many` (COPY on PostgreSQL) and writes back with one `UPDATE ... FROM (VALUES ...)` per thousand
rows (`_rows_update`) — never a query per loan or per instalment — so its time grows with the loan book, not
faster (docs/benchmarks.md, "Nightly job and dividends at 100,000").
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Min, Q, Sum
from django.utils import timezone

from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.selectors import account_balance
from portal.finance.ledger.services import Line, Posting, ledger_post, ledger_post_many
from portal.finance.periods.guard import books_closed_through
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
CHUNK = 1000  # rows per UPDATE statement / pks per IN list (well within SQLite's 32,766 bound parameters)


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
    """Dr 1110 / Cr 4000 for every instalment due by today whose interest is not yet recognised, dated its due date —
    or, when that month is closed (the job did not run then), the first day of the open month (issue 18)."""
    closed_through = books_closed_through()
    first_open = closed_through + datetime.timedelta(days=1) if closed_through else None
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
            date=max(row["due_date"], first_open) if first_open else row["due_date"],
            source="daily loan job",
        )
        for row in rows
    ]
    with transaction.atomic():
        posted = ledger_post_many(postings=postings)
        pks = [row["pk"] for row in rows]
        for start in range(0, len(pks), CHUNK):
            LoanInstalment.objects.filter(pk__in=pks[start : start + CHUNK]).update(interest_accrued=True)
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
    due = [
        row
        for row in rows
        if penalty_applies(
            days_overdue=(today - row["due_date"]).days, grace_days=row["loan__product__penalty_grace_days"]
        )
    ]
    # The month's keys already posted (a rerun) are skipped before any posting is built: the first run's figure
    # stands (ledger_post_many with compare_content=False would say the same, after validating every posting).
    done = _keys_posted([f"penalty:{row['loan_id']}:{row['number']}:{month}" for row in due])
    postings, amounts = [], {}
    for row in due:
        key = f"penalty:{row['loan_id']}:{row['number']}:{month}"
        if key in done:
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
        # Each instalment's penalty grows by what was posted for it, in one statement per thousand rows.
        _rows_update(LoanInstalment, ["penalty"], [amounts[key] for key in created], add=True)
    return len(created)


def _keys_posted(keys: list[str]) -> set[str]:
    """Those of `keys` already in the journal (the unique index on the key answers, CHUNK at a time)."""
    found = set()
    for start in range(0, len(keys), CHUNK):
        found.update(
            JournalEntry.objects.filter(idempotency_key__in=keys[start : start + CHUNK]).values_list(
                "idempotency_key", flat=True
            )
        )
    return found


def _rows_update(model, fields: list[str], rows: list[tuple], *, add: bool = False) -> None:
    """Set (or, with `add`, increase) `fields` of many rows, each to its own value: `rows` are (pk, value, ...)
    in the order of `fields`. One `UPDATE ... FROM unnest(arrays)` on PostgreSQL, one `UPDATE ... FROM (VALUES ...)`
    per CHUNK rows on SQLite (3.33+), instead of one UPDATE per row or Django's bulk_update (a CASE with a branch per
    row, compiled in Python). Values go through each field's own get_db_prep_save; on PostgreSQL each column is cast
    to its field's type."""
    if not rows:
        return
    meta = model._meta
    targets = [meta.pk] + [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"

    def column(n, field):
        value = f"v.column{n}"
        return f"CAST({value} AS {field.db_type(connection)})" if postgres else value

    assignments = ", ".join(
        f"{quote(field.column)} = "
        + (f"{quote(meta.db_table)}.{quote(field.column)} + " if add else "")
        + column(n, field)
        for n, field in enumerate(targets[1:], start=2)
    )
    where = f"{quote(meta.db_table)}.{quote(meta.pk.column)} = {column(1, meta.pk)}"
    with connection.cursor() as cursor:
        if postgres:
            # One statement for every row: one array per column (psycopg sends each list as one array literal).
            arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in targets)
            names = ", ".join(f"column{n}" for n in range(1, len(targets) + 1))
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 - names from the model, values bound
                f"FROM unnest({arrays}) AS v({names}) WHERE {where}",
                [[field.get_db_prep_save(row[n], connection) for row in rows] for n, field in enumerate(targets)],
            )
            return
        row_sql = "(" + ", ".join(["%s"] * len(targets)) + ")"
        for start in range(0, len(rows), CHUNK):
            batch = rows[start : start + CHUNK]
            params = [
                field.get_db_prep_save(value, connection)
                for row in batch
                for field, value in zip(targets, row, strict=True)
            ]
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 - names from the model, values bound
                f"FROM (VALUES {', '.join([row_sql] * len(batch))}) AS v WHERE {where}",
                params,
            )


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
    for pk, days_before, class_before in Loan.objects.filter(status=LoanStatus.ACTIVE).values_list(
        "pk", "days_past_due", "classification"
    ):
        days = (today - oldest[pk]).days if pk in oldest else 0
        bucket = classification_with_hold(Classification.for_days(days), held.get(pk))
        if days != days_before or bucket != class_before:
            if days_before == 0 and days > 0:
                into_arrears.append(pk)  # a new arrears episode: its guarantors are told once
            changed.append((pk, days, bucket))
    with transaction.atomic():
        _rows_update(Loan, ["days_past_due", "classification"], changed)
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
