"""Reversing a loan repayment posted in error (issue 16): wrong member, wrong amount, wrong reference.

What a reversal does, in one transaction under the loan's row lock:
- the repayment's own entry is reversed (`ledger_reverse`: the same lines, sides swapped, `reversal_of` set),
  dated the day of the reversal, so closed periods stay as they were reported. The money goes back where it came
  from: a counter or bank repayment (Dr bank) is taken out of that bank account again (Cr bank); a check-off row or
  an M-Pesa receipt, which came through 2300 Unallocated receipts [member] (`loan_repay(from_unallocated=True)`),
  goes back to 2300 [member] for staff to allocate again; an overpayment that went to deposits comes back out of
  2000 [member];
- the loan's instalments come back exactly as they were before the repayment (penalty_paid, interest_paid,
  principal_paid), and the loan re-opens if that repayment (or a later one) had closed it, with the guarantees that
  closing released held again;
- later repayments of the same loan are re-allocated, because allocation is "oldest instalment first" and taking
  an earlier payment away changes where every later shilling belongs (e.g. a payment that went to instalment 2
  now belongs to instalment 1, whose interest and principal differ). The design is the simplest one that is
  correct by construction: every later repayment is reversed too (its own contra entry, kind REALLOCATED) and
  applied again, in the order it first came in, as a new LoanRepayment with a new entry (key
  `repayment:<reference>:after:<reversal>`), from the same debit account (bank or 2300 [member]). Repayments
  recorded before the reversed one are left alone: they were allocated before it existed, and nothing they did
  depends on it.

Undoing an allocation. A LoanRepayment keeps only its totals per part (penalty, interest, principal), not its
split over instalments. The split is recovered exactly by taking the repayments back newest first (LIFO), each
part from the highest-numbered instalment down: allocation fills each part's "paid" in instalment order (oldest
first, and a paid-up instalment owes no new penalty), so the last repayment's share of a part is always the top
of that part's paid amounts.

Interest accrued when a repayment reached an instalment before its due date (`interest:<loan>:<n>`) stays
accrued: that posting is keyed once per instalment, so reversing it would make a later accrual of the same
instalment find the reversed entry and post nothing. The receivable simply stays due (1110 = accrued − paid, as
`loan_book_problems` checks).

The whole reversal writes a LoanRepaymentReversal per repayment taken back, an audit entry, and tells the member.
Channels above this app (M-Pesa) register a hook (`repayment_reversal_hook_register`) to mark their receipt as
waiting for allocation again.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from portal.audit.services import REVERSE, audit_log
from portal.contributions.services import summaries_refresh
from portal.finance.ledger.services import Line, ledger_post, ledger_reverse
from portal.notifications.services import notify
from portal.society.errors import StateConflict
from portal.society.money import format_money

from .models import (
    GuaranteeStatus,
    Loan,
    LoanInstalment,
    LoanRepayment,
    LoanRepaymentReversal,
    LoanStatus,
    ReversalKind,
)
from .services import (
    DEPOSITS,
    INTEREST_RECEIVABLE,
    LOANS,
    PENALTIES_RECEIVABLE,
    LoanStateError,
    _accrue_interest,
    _guarantees_release,
)

ZERO = Decimal("0.00")
PARTS = ("penalty", "interest", "principal")
CODES = {"penalty": PENALTIES_RECEIVABLE, "interest": INTEREST_RECEIVABLE, "principal": LOANS}
REASON_MAX = 200


class RepaymentAlreadyReversed(StateConflict):
    """The repayment was reversed already (by a second click, or re-allocated after an earlier reversal): 409."""


_hooks: list[Callable[[LoanRepaymentReversal], None]] = []


def repayment_reversal_hook_register(hook: Callable[[LoanRepaymentReversal], None]) -> None:
    """A channel above loans (M-Pesa) is told of each reversal posted in error, inside the transaction."""
    if hook not in _hooks:
        _hooks.append(hook)


def active_repayments(loan: Loan) -> list[LoanRepayment]:
    """The loan's repayments still standing, in the order they were allocated."""
    return list(loan.repayments.filter(reversal__isnull=True).order_by("recorded_at", "pk"))


def _undo(instalments: list[LoanInstalment], repayment: LoanRepayment) -> None:
    """Take one repayment's parts back off the instalments, highest-numbered first (see the module docstring)."""
    for part in PARTS:
        left = getattr(repayment, f"{part}_part")
        for instalment in reversed(instalments):
            if left <= 0:
                break
            paid = getattr(instalment, f"{part}_paid")
            take = min(paid, left)
            if take > 0:
                setattr(instalment, f"{part}_paid", paid - take)
                left -= take
        if left > 0:
            raise LoanStateError(
                f"The instalments do not hold the {part} of repayment {repayment.reference}; nothing was reversed."
            )


def _reapply(
    loan: Loan, instalments: list[LoanInstalment], original: LoanRepayment, *, reversal, by, today
) -> LoanRepayment:
    """Allocate `original` again as `_apply` does (oldest instalment first, penalty → interest → principal, beyond
    the whole balance to deposits), from the account it first came in to, dated today."""
    left = original.amount
    parts = {part: ZERO for part in PARTS}
    for instalment in instalments:
        if left <= 0:
            break
        for part in PARTS:
            owed = getattr(instalment, part) - getattr(instalment, f"{part}_paid")
            take = min(owed, left)
            if take > 0:
                if part == "interest":
                    _accrue_interest(loan, instalment, by, today)
                setattr(instalment, f"{part}_paid", getattr(instalment, f"{part}_paid") + take)
                parts[part] += take
                left -= take
    debit = original.entry.lines.filter(debit__gt=0).select_related("account").get()
    member_id = loan.member_id
    memo = f"Loan repayment {original.reference} re-allocated, {loan.member.membership_number}"
    lines = [Line(debit.account.code, debit=original.amount, member_id=debit.member_id, description=memo)]
    for part in PARTS:
        if parts[part] > 0:
            lines.append(
                Line(
                    CODES[part],
                    credit=parts[part],
                    member_id=member_id,
                    loan_id=loan.pk,
                    description=f"{part.title()} repaid",
                )
            )
    if left > 0:
        lines.append(Line(DEPOSITS, credit=left, member_id=member_id, description="Loan overpayment to deposits"))
    posted = ledger_post(
        memo=memo,
        lines=lines,
        idempotency_key=f"repayment:{original.reference}:after:{reversal.pk}",
        posted_by=by,
        date=today,
        source=original.reference,
    )
    return LoanRepayment.objects.create(
        loan=loan,
        amount=original.amount,
        date=original.date,  # the day the money came in, as before
        reference=original.reference,
        penalty_part=parts["penalty"],
        interest_part=parts["interest"],
        principal_part=parts["principal"],
        overpayment=left,
        entry=posted.entry,
        recorded_by=original.recorded_by,
        recorded_at=original.recorded_at,  # keeps the allocation order of the repayments still standing
    )


def _reopen(loan: Loan) -> None:
    """The loan owes again: active, and the guarantees released when it closed hold again. Closing releases every
    guarantee still held in one UPDATE (`_guarantees_release`), so they share one `responded_at`, the latest of
    the loan's released guarantees (closing is the last thing that releases one); any released earlier (e.g. a
    guarantor replaced while the loan ran) stay released."""
    loan.status = LoanStatus.ACTIVE
    loan.closed_on = None
    loan.save(update_fields=["status", "closed_on"])
    released = loan.application.guarantees.filter(status=GuaranteeStatus.RELEASED)
    closed_at = released.aggregate(at=Max("responded_at"))["at"]
    if closed_at is not None:
        released.filter(responded_at=closed_at).update(status=GuaranteeStatus.ACCEPTED)


def repayment_reverse(*, repayment: LoanRepayment, by, reason: str) -> LoanRepaymentReversal:
    """Reverse a repayment posted in error, once (see the module docstring). `reason` is required (it goes on the
    contra entry, the audit trail and the member's statement). A second reversal raises RepaymentAlreadyReversed
    and posts nothing."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": ["Say why the repayment is reversed (it goes in the audit trail)."]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [f"Keep the reason within {REASON_MAX} characters."]})
    today = timezone.localdate()
    try:
        with transaction.atomic():
            return _reverse(repayment=repayment, by=by, reason=reason, today=today)
    except IntegrityError as exc:  # a reversal of the same repayment committed meanwhile (one-to-one)
        if LoanRepaymentReversal.objects.filter(repayment_id=repayment.pk).exists():
            raise RepaymentAlreadyReversed("This repayment was already reversed.") from exc
        raise


def _reverse(*, repayment: LoanRepayment, by, reason: str, today: datetime.date) -> LoanRepaymentReversal:
    loan = (
        Loan.objects.select_for_update(of=("self",))
        .select_related("member__user", "application", "product")
        .get(pk=repayment.loan_id)
    )
    target = LoanRepayment.objects.select_related("entry").get(pk=repayment.pk)
    if LoanRepaymentReversal.objects.filter(repayment=target).exists():
        raise RepaymentAlreadyReversed(f"Repayment {target.reference} was already reversed.")
    if loan.status == LoanStatus.REVERSED:
        raise LoanStateError("This loan's payout was reversed; its repayments cannot be reversed here.")
    # Issue 16 (restructure.py, write_off.py): the instalments a repayment was applied to must still be the ones
    # owed. A written-off loan's receipts are recoveries (4300) and its schedule is off the books; a restructure
    # replaced the schedule the earlier repayments were applied to. Neither is undone here.
    if loan.status == LoanStatus.WRITTEN_OFF:
        raise LoanStateError("This loan is written off; its repayments and recoveries cannot be reversed here.")
    if loan.restructures.filter(status="applied", applied_on__gte=target.date).exists():
        raise LoanStateError("This loan was restructured after this repayment; it cannot be reversed here.")
    standing = active_repayments(loan)
    later = standing[standing.index(target) + 1 :]
    instalments = list(loan.instalments.select_for_update().order_by("number"))
    for undone in reversed([target, *later]):
        _undo(instalments, undone)
    reopened = loan.status == LoanStatus.CLOSED
    if reopened:
        _reopen(loan)
    what = f"Repayment {target.reference} reversed: {reason}"[:255]
    contra = ledger_reverse(entry=target.entry, posted_by=by, memo=what, date=today, description=what)
    reversal = LoanRepaymentReversal.objects.create(
        repayment=target,
        kind=ReversalKind.ERROR,
        reason=reason,
        entry=contra.entry,
        loan_reopened=reopened,
        reversed_by=by,
    )
    deposits_moved = bool(target.overpayment)
    for original in later:
        moved = f"Repayment {original.reference} re-allocated after {target.reference} was reversed"[:255]
        again = ledger_reverse(entry=original.entry, posted_by=by, memo=moved, date=today, description=moved)
        reapplied = _reapply(loan, instalments, original, reversal=reversal, by=by, today=today)
        LoanRepaymentReversal.objects.create(
            repayment=original,
            kind=ReversalKind.REALLOCATED,
            reason=f"Re-allocated after repayment {target.reference} was reversed"[:255],
            entry=again.entry,
            caused_by=reversal,
            reapplied_as=reapplied,
            reversed_by=by,
        )
        deposits_moved |= bool(original.overpayment or reapplied.overpayment)
    LoanInstalment.objects.bulk_update(
        instalments, ["penalty_paid", "interest_paid", "principal_paid", "interest_accrued"]
    )
    if loan.status == LoanStatus.ACTIVE and not any(i.outstanding > 0 for i in instalments):
        # Later repayments re-applied can still pay the loan off (the reversed one was an extra payment).
        loan.status = LoanStatus.CLOSED
        loan.closed_on = today
        loan.save(update_fields=["status", "closed_on"])
        _guarantees_release(loan.application)
    if deposits_moved:
        summaries_refresh(member_ids=[loan.member_id])
    audit_log(
        instance=target,
        action=REVERSE,
        by=by,
        summary=f"Repayment KES {target.amount:,.2f}, ref. {target.reference}, on loan of "
        f"{loan.member.membership_number} reversed: {reason}"
        + (f"; {len(later)} later repayment(s) re-allocated" if later else "")
        + ("; the loan re-opened" if reopened else ""),
    )
    for hook in _hooks:
        hook(reversal)
    _member_tell(loan, target, reason)
    return reversal


def _member_tell(loan: Loan, repayment: LoanRepayment, reason: str) -> None:
    notify(
        user=loan.member.user,
        # Lazy: notify renders them in the member's language.
        subject=gettext_lazy("A loan repayment was reversed"),
        template="generic",
        context={
            "body": format_lazy(
                gettext_lazy(
                    "Your payment of {amount} (ref. {reference}, {date}) to your {product} was posted in error and "
                    "has been reversed: {reason}. Your loan statement shows the reversal."
                ),
                amount=format_money(repayment.amount),
                reference=repayment.reference,
                date=f"{repayment.date:%d %b %Y}",
                product=loan.product.name,
                reason=reason,
            )
        },
        link=reverse("member_area:loans"),
    )
