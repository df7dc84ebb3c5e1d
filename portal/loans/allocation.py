"""Check-off loan repayments: the employer's file brings them in as 2300 Unallocated receipts [member]; here they
move to the member's loans (Dr 2300 [member] / Cr 1120, 1110, 1100 [loan]) through `loan_repay`, so the
allocation rules are the same as for any repayment.

Across a member's active loans (oldest disbursed first): first what is due by the file's date on each loan, then
the rest to the oldest loan's next instalments, then the next loan's; beyond every balance, to the member's
deposits (Dr 2300 / Cr 2000). A member with no active loan but a written-off one still owing (issue 16) pays that:
a recovery, to 4300 (write_off.py). A member with neither keeps the money in 2300 for staff to look into.

Each row is allocated once (`CheckoffRow.loan_allocated_at`, set under the row's lock, and idempotency keys per
row and loan). It runs after a check-off file is posted and again at the start of the daily loan job.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.contributions.models import CheckoffRow
from portal.contributions.services import summaries_refresh
from portal.finance.ledger.services import Line, ledger_post
from portal.members.models import User

from .messages import checkoff_received_with_loans_notify
from .models import Loan, LoanStatus
from .services import DEPOSITS, UNALLOCATED, loan_repay
from .write_off import recoverable_loans

ZERO = Decimal("0.00")


@dataclass
class AllocationResult:
    rows: int = 0  # rows allocated now
    to_loans: Decimal = ZERO
    to_deposits: Decimal = ZERO
    waiting: int = 0  # rows left in 2300: the member has no active loan


def _owed(loan: Loan, *, due_by: datetime.date | None) -> Decimal:
    """What the loan still owes, in total or on instalments due by a date (summed in Python: exact on SQLite)."""
    instalments = loan.instalments.all()
    if due_by is not None:
        instalments = instalments.filter(due_date__lte=due_by)
    return sum((instalment.outstanding for instalment in instalments), ZERO)


def allocation_plan(*, loans: list[Loan], amount: Decimal, date: datetime.date) -> tuple[list, Decimal]:
    """[(loan, amount)] in posting order, and what is left over after every loan's whole balance."""
    planned: dict = {}
    left = amount
    for due_by in (date, None):  # what is due first, then ahead of schedule
        for loan in loans:
            room = _owed(loan, due_by=due_by) - planned.get(loan.pk, ZERO)
            take = min(room, left)
            if take > 0:
                planned[loan.pk] = planned.get(loan.pk, ZERO) + take
                left -= take
    return [(loan, planned[loan.pk]) for loan in loans if planned.get(loan.pk)], left


def _allocate_row(row_id, result: AllocationResult, by) -> None:
    with transaction.atomic():
        row = (
            CheckoffRow.objects.select_for_update(of=("self",))
            .select_related("checkoff", "member")
            .filter(pk=row_id, loan_allocated_at=None)
            .first()
        )
        if row is None:
            return
        loans = list(
            Loan.objects.filter(member_id=row.member_id, status=LoanStatus.ACTIVE).order_by("disbursed_on", "pk")
        )
        date = row.checkoff.received_on
        stem = f"checkoff:{row.checkoff.sha256[:16]}:{row.row_number}"
        if not loans:
            written_off = recoverable_loans().filter(member_id=row.member_id).order_by("disbursed_on", "pk").first()
            if written_off is None:
                result.waiting += 1
                return
            # A recovery on a written-off loan (write_off.write_off_recover: 4300, anything beyond to deposits).
            loan_repay(
                loan=written_off,
                amount=row.loan_repayment,
                reference=stem,
                date=date,
                recorded_by=by,
                from_unallocated=True,
                notify_member=False,
            )
            result.to_loans += row.loan_repayment
            row.loan_allocated_at = timezone.now()
            row.save(update_fields=["loan_allocated_at"])
            result.rows += 1
            return
        plan, leftover = allocation_plan(loans=loans, amount=row.loan_repayment, date=date)
        for n, (loan, amount) in enumerate(plan):
            loan_repay(
                loan=loan,
                amount=amount,
                reference=stem if n == 0 else f"{stem}:{n}",
                date=date,
                recorded_by=by,
                from_unallocated=True,
                notify_member=False,  # the member is told once for the whole file (checkoff_repayments_allocate_task)
            )
            result.to_loans += amount
        if leftover > 0:
            memo = f"Check-off loan repayment beyond every loan balance, {row.member.membership_number}"
            ledger_post(
                memo=memo,
                lines=[
                    Line(UNALLOCATED, debit=leftover, member_id=row.member_id, description=memo),
                    Line(
                        DEPOSITS, credit=leftover, member_id=row.member_id, description="Loan overpayment to deposits"
                    ),
                ],
                idempotency_key=f"allocation:{stem}:deposits",
                posted_by=by,
                date=date,
                source=row.checkoff.file_name,
            )

            summaries_refresh(member_ids=[row.member_id])
            result.to_deposits += leftover
        row.loan_allocated_at = timezone.now()
        row.save(update_fields=["loan_allocated_at"])
        result.rows += 1


def checkoff_repayments_allocate(*, checkoff_id=None, by=None) -> AllocationResult:
    """Allocate every check-off loan repayment still in 2300 (of one file, or of all), one row per transaction."""
    rows = CheckoffRow.objects.filter(
        loan_repayment__gt=0, loan_allocated_at=None, entry__isnull=False, entry__reversed_by__isnull=True
    )
    if checkoff_id is not None:
        rows = rows.filter(checkoff_id=checkoff_id)
    borrowers = Loan.objects.filter(status=LoanStatus.ACTIVE).values("member_id")
    written_off = recoverable_loans().values("member_id")
    rows_with_loans = rows.filter(Q(member_id__in=borrowers) | Q(member_id__in=written_off))
    result = AllocationResult(waiting=rows.count() - rows_with_loans.count())
    rows = rows_with_loans.order_by("checkoff__received_on", "checkoff_id", "row_number")
    for row_id in rows.values_list("pk", flat=True):
        _allocate_row(row_id, result, by)
    return result


def checkoff_repayments_allocate_task(checkoff_id, user_id=None) -> str:
    """The django-q2 task queued when a check-off file with loan repayments is posted."""
    by = User.objects.filter(pk=user_id).first() if user_id else None
    result = checkoff_repayments_allocate(checkoff_id=checkoff_id, by=by)
    checkoff_received_with_loans_notify(checkoff_id=checkoff_id)  # one message per member of the file
    return f"{result.rows} rows allocated: {result.to_loans} to loans, {result.to_deposits} to deposits"
