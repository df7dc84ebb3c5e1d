"""Writing off a loss-class loan and recovering money on it afterwards (issue 16).

A loans officer, the treasurer or an administrator prepares the write-off of an active loan classified *loss*;
two distinct credit committee members approve it in the workflow "Loan restructure and write-off" (never the
preparer, never the borrower). On approval (`write_off_post`) one balanced entry `write-off:<id>`:
- principal outstanding: Dr 1190 Loan loss provision / Cr 1100 Loans to members — the provision built for this
  loss absorbs it (if 1190 holds less, the daily job's provision step restores the required level the next day);
- interest receivable (fallen due, unpaid): Dr 4000 Loan interest / Cr 1110 — interest recognised as income but
  never collected is reversed, not charged to the provision (which covers principal only, jobs.provision_required);
- penalties receivable: Dr 4200 Penalties / Cr 1120, for the same reason.
Interest of instalments not yet due was never recognised and is not written off (nothing is posted for it).
The loan's status becomes *written off*: it leaves the loan book, PAR and the provision base (they count active
loans); its LoanWriteOff row is the memo record off the balance sheet (*Loans → Written-off loans*).

Recovery: a receipt against a written-off loan (counter, M-Pesa, check-off: services.loan_repay sends it here)
is Dr bank (or 2300 for check-off money) / Cr 4300 Recoveries of loans written off, up to the memo balance, which
it reduces; anything beyond goes to the member's deposits (2000), as an overpayment does.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.audit.services import ACTION, POST, audit_log
from portal.contributions.services import summaries_refresh
from portal.finance.ledger.services import IdempotencyConflict, Line, ledger_post
from portal.society.money import format_money
from portal.workflows.services import workflow_act, workflow_submit

from .models import Classification, Loan, LoanInstalment, LoanRepayment, LoanStatus, LoanWriteOff, ProposalStatus
from .services import (
    DEPOSITS,
    INTEREST_INCOME,
    INTEREST_RECEIVABLE,
    LOANS,
    PENALTIES_RECEIVABLE,
    UNALLOCATED,
    LoanStateError,
)

PROVISION = "1190"
PENALTY_INCOME = "4200"
RECOVERIES = "4300"
ZERO = Decimal("0.00")


def write_off_prepare(*, loan: Loan, reason: str, by) -> LoanWriteOff:
    """Propose writing off a loss-class loan and start the committee's workflow (one proposal per loan at a time)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the loan is written off; the committee reads it."]})
    with transaction.atomic():
        locked = Loan.objects.select_for_update(of=("self",)).select_related("member").get(pk=loan.pk)
        if locked.status != LoanStatus.ACTIVE:
            raise LoanStateError(f"Only an active loan is written off; this one is {locked.get_status_display()}.")
        if locked.classification != Classification.LOSS:
            raise LoanStateError(
                f"Only a loan classified loss is written off; this one is {locked.get_classification_display()}."
            )
        if locked.member.user_id == getattr(by, "pk", None):
            raise LoanStateError("Nobody writes off their own loan.")
        if (
            LoanWriteOff.objects.filter(loan=locked, status=ProposalStatus.PENDING).exists()
            or locked.restructures.filter(status=ProposalStatus.PENDING).exists()
        ):
            raise LoanStateError("This loan already has a restructure or write-off waiting for the committee.")
        record = LoanWriteOff.objects.create(loan=locked, reason=reason[:1000], prepared_by=by, live=False)
        workflow_submit(
            obj=record,
            by=by,
            missing=LoanStateError("No approval workflow is set up for loan write-offs (Settings → Workflows)."),
        )
        audit_log(instance=record, action=ACTION, by=by, summary=f"Write-off prepared: {reason[:200]}")
    return record


def write_off_decide(*, write_off: LoanWriteOff, user, action: str, reason: str = "") -> LoanWriteOff:
    """One committee member's vote (the API; the admin's buttons do the same through the workflow)."""
    workflow_act(
        obj=write_off,
        user=user,
        action=action,
        reason=reason,
        reason_message="Say why the write-off is rejected.",
        not_waiting=LoanStateError("This write-off is not waiting for a decision."),
        refused="You cannot {action} this write-off (not on the committee, already voted, or you prepared it).",
    )
    write_off.refresh_from_db()
    return write_off


def write_off_reject(*, write_off: LoanWriteOff, user=None, reason: str = "") -> None:
    LoanWriteOff.objects.filter(pk=write_off.pk, status=ProposalStatus.PENDING).update(
        status=ProposalStatus.REJECTED, decided_at=timezone.now(), decision_reason=(reason or "")[:1000]
    )


def write_off_post(
    *, write_off: LoanWriteOff, user=None, reason: str = "", today: datetime.date | None = None
) -> LoanWriteOff:
    """Carry out an approved write-off once (the postings are in the module's docstring)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        loan = Loan.objects.select_for_update(of=("self",)).select_related("member").get(pk=write_off.loan_id)
        record = LoanWriteOff.objects.select_for_update().get(pk=write_off.pk)
        if record.status != ProposalStatus.PENDING:
            return record
        if loan.status != LoanStatus.ACTIVE:
            record.status, record.decision_reason = ProposalStatus.REJECTED, "The loan is no longer active."
            record.decided_at = timezone.now()
            record.save(update_fields=["status", "decision_reason", "decided_at"])
            return record
        rows = list(LoanInstalment.objects.filter(loan=loan))
        principal = sum((r.principal - r.principal_paid for r in rows), ZERO)
        interest = sum((r.interest - r.interest_paid for r in rows if r.interest_accrued), ZERO)
        penalty = sum((r.penalty - r.penalty_paid for r in rows), ZERO)
        member_id = loan.member_id
        memo = f"Loan written off, {loan.member.membership_number}"
        lines = []
        for amount, debit, credit in (
            (principal, PROVISION, LOANS),
            (interest, INTEREST_INCOME, INTEREST_RECEIVABLE),
            (penalty, PENALTY_INCOME, PENALTIES_RECEIVABLE),
        ):
            if amount > 0:
                lines.append(Line(debit, debit=amount, member_id=member_id, loan_id=loan.pk, description=memo))
                lines.append(Line(credit, credit=amount, member_id=member_id, loan_id=loan.pk, description=memo))
        entry = None
        if lines:
            entry = ledger_post(
                memo=memo,
                lines=lines,
                idempotency_key=f"write-off:{record.pk}",
                posted_by=user,
                date=today,
                source="loan write-off",
            ).entry
        loan.status, loan.closed_on = LoanStatus.WRITTEN_OFF, today
        loan.save(update_fields=["status", "closed_on"])
        record.status = ProposalStatus.APPLIED
        record.decided_at = timezone.now()
        record.decision_reason = (reason or "")[:1000]
        record.written_off_on = today
        record.principal, record.interest, record.penalty = principal, interest, penalty
        record.entry = entry
        record.save()
        audit_log(
            instance=loan,
            action=POST,
            by=user,
            summary=f"Written off: principal {format_money(principal)} against the provision, interest "
            f"{format_money(interest)} and penalties {format_money(penalty)} reversed",
        )
    return record


def write_off_recover(
    *, loan: Loan, amount: Decimal, key: str, reference: str, date: datetime.date, debit_code: str, by
) -> LoanRepayment:
    """Money received on a written-off loan (called by services.loan_repay under the loan's lock, after its checks
    of the amount, the reference and the date): to 4300 up to the memo balance, the rest to deposits."""
    record = (
        LoanWriteOff.objects.select_for_update()
        .filter(loan=loan, status=ProposalStatus.APPLIED)
        .order_by("-written_off_on")
        .first()
    )
    if record is None:
        raise LoanStateError("This loan has no write-off record to recover against.")
    recovered = min(amount, record.memo_balance)
    excess = amount - recovered
    member_id = loan.member_id
    memo = f"Recovery on written-off loan {loan.member.membership_number}"
    lines = [
        Line(debit_code, debit=amount, member_id=member_id if debit_code == UNALLOCATED else None, description=memo)
    ]
    if recovered > 0:
        lines.append(Line(RECOVERIES, credit=recovered, member_id=member_id, loan_id=loan.pk, description=memo))
    if excess > 0:
        lines.append(Line(DEPOSITS, credit=excess, member_id=member_id, description="Beyond the written-off amount"))
    try:
        result = ledger_post(memo=memo, lines=lines, idempotency_key=key, posted_by=by, date=date, source=reference)
    except IdempotencyConflict as exc:
        raise ValidationError({"reference": [f"{reference!r} was already used for another payment."]}) from exc
    repayment = LoanRepayment.objects.create(
        loan=loan,
        amount=amount,
        date=date,
        reference=reference,
        recovery=recovered,
        overpayment=excess,
        entry=result.entry,
        recorded_by=by,
    )
    LoanWriteOff.objects.filter(pk=record.pk).update(recovered=record.recovered + recovered)
    if excess > 0:
        summaries_refresh(member_ids=[member_id])
    return repayment


def recoverable_loans():
    """Written-off loans with something still owed on their memo record (where a check-off loan repayment of a
    member with no active loan goes: allocation.py)."""
    return Loan.objects.filter(
        status=LoanStatus.WRITTEN_OFF,
        write_offs__status=ProposalStatus.APPLIED,
        write_offs__recovered__lt=F("write_offs__principal") + F("write_offs__interest") + F("write_offs__penalty"),
    )
