"""Recovery of a defaulted loan from its guarantors (issue 16), maker-checker.

1. `guarantor_recovery_prepare`: a loan at least *SACCO settings → days past due before recovery from guarantors*
   past due is in default. The Treasurer or an Administrator prepares the recovery: each guarantor who accepted is
   told (notify(), SMS and email by their choice) what they will be asked for, and the recovery waits.
2. `guarantor_recovery_approve`: another person with the same permission approves it (never the one who prepared
   it, the borrower or a guarantor). Each guarantor's deposits pay their share into the loan, through the same
   allocation as any repayment (services._apply: oldest instalment first, penalty → interest → principal):

       Dr 2000 Member deposits [guarantor]  /  Cr 1120, 1110, 1100 [loan]

   one entry per guarantor (`repayment:GR-<recovery>-<n>`), each recorded as a LoanRepayment and as a
   GuarantorClaim: what the guarantor paid is their claim on the borrower.

What is recovered: the loan is recalled, so the target is the settlement figure (services.loan_settle): every
penalty, the interest already fallen due and all the principal left. When the guarantors pay all of it, interest
of instalments not yet due is waived first (as on early settlement) and the loan closes; otherwise what they pay
is applied oldest instalment first and the borrower owes the rest on the schedule.

How it is split: in proportion to what each guarantee holds now (guarantee_shrink.py: the full amount, or its
share when guarantees shrink), to the cent rounded down, the cents left over going to the largest guarantee (the
first given among equals). Each share is then capped at the guarantee itself and at the guarantor's free deposits,
counting the deposits this very guarantee holds as free (they are what it pledged): deposits − own outstanding
loans − what their *other* guarantees hold. A shortfall is not moved onto the other guarantors.

Afterwards every guarantee that paid something is released (the promise has been called); one whose guarantor had
nothing free stays, so a later recovery can ask again."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from portal.audit.services import POST, audit_log
from portal.contributions.messages import short_name, sms_fit, sms_render
from portal.contributions.services import summaries_refresh
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.selectors import account_balance
from portal.finance.ledger.services import IdempotencyConflict, Line, ledger_post
from portal.notifications.models import MessageKind
from portal.notifications.services import notify
from portal.society.money import format_money
from portal.society.policy import sacco_settings

from .eligibility import guarantees_outstanding, loans_outstanding_principal
from .guarantee_shrink import guarantees_held
from .models import (
    Guarantee,
    GuaranteeStatus,
    GuarantorClaim,
    GuarantorRecovery,
    Loan,
    LoanInstalment,
    LoanStatus,
    RecoveryStatus,
)
from .selectors import settlement_quote
from .services import DEPOSITS, LoanStateError, _amount, _apply

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class RecoveryShare:
    guarantee: Guarantee
    held: Decimal  # what the guarantee holds now: its weight in the split and its cap
    share: Decimal  # its proportional part of the target, before the caps
    available: Decimal  # the guarantor's deposits free for this guarantee
    amount: Decimal  # what is taken: min(share, held, available)


@dataclass(frozen=True)
class RecoveryPlan:
    loan: Loan
    date: datetime.date
    target: Decimal  # the settlement figure: penalties, interest due, all principal left
    shares: list[RecoveryShare]

    @property
    def total(self) -> Decimal:
        return sum((s.amount for s in self.shares), ZERO)


def proportional_split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` split in proportion to `weights`, each part rounded down to the cent; the cents left over go to the
    largest weight (the first of equals), so the parts add up to `total` exactly."""
    whole = sum(weights, ZERO)
    if whole <= 0 or total <= 0:
        return [ZERO for _ in weights]
    parts = [(total * weight / whole).quantize(CENT, rounding=ROUND_DOWN) for weight in weights]
    largest = max(range(len(weights)), key=lambda i: (weights[i], -i))
    parts[largest] += total - sum(parts, ZERO)
    return parts


def _available(guarantee: Guarantee, held: Decimal) -> Decimal:
    """The guarantor's deposits not tied to their own loans or to their other guarantees."""
    member = guarantee.guarantor
    deposits = account_balance(code=DEPOSITS, member=member)
    others = guarantees_outstanding(member=member) - held
    return max(deposits - loans_outstanding_principal(member=member) - others, ZERO)


def recovery_plan(*, loan: Loan, date: datetime.date) -> RecoveryPlan:
    """What each accepted guarantor of `loan` would pay on `date` (module docstring: target, split, caps)."""
    guarantees = list(
        Guarantee.objects.filter(application_id=loan.application_id, status=GuaranteeStatus.ACCEPTED)
        .select_related("guarantor__user")
        .order_by("created_at", "pk")
    )
    held = guarantees_held(guarantees)
    target = settlement_quote(loan=loan, as_of=date).total
    weights = [held[g.pk] for g in guarantees]
    shares = []
    for guarantee, weight, share in zip(guarantees, weights, proportional_split(target, weights), strict=True):
        available = _available(guarantee, weight)
        shares.append(RecoveryShare(guarantee, weight, share, available, max(min(share, weight, available), ZERO)))
    return RecoveryPlan(loan, date, target, shares)


def in_default(*, loan: Loan) -> bool:
    return loan.status == LoanStatus.ACTIVE and loan.days_past_due >= sacco_settings().guarantor_recovery_days


@transaction.atomic
def guarantor_recovery_prepare(*, loan: Loan, by, today: datetime.date | None = None) -> GuarantorRecovery:
    """Maker: check the loan is in default, record the recovery and send each guarantor the first notice."""
    today = today or timezone.localdate()
    locked = Loan.objects.select_for_update(of=("self",)).select_related("member__user", "product").get(pk=loan.pk)
    threshold = sacco_settings().guarantor_recovery_days
    if locked.status != LoanStatus.ACTIVE:
        raise LoanStateError("Only an active loan is recovered from its guarantors.")
    if locked.days_past_due < threshold:
        raise LoanStateError(
            f"The loan is {locked.days_past_due} days past due; guarantors are called on from {threshold} days."
        )
    if GuarantorRecovery.objects.filter(loan=locked, status=RecoveryStatus.PREPARED).exists():
        raise LoanStateError("A recovery from this loan's guarantors is already waiting for approval.")
    _no_conflict(locked, by)
    plan = recovery_plan(loan=locked, date=today)
    if not plan.shares:
        raise LoanStateError("This loan has no accepted guarantee to recover from.")
    recovery = GuarantorRecovery.objects.create(loan=locked, days_past_due=locked.days_past_due, prepared_by=by)
    for share in plan.shares:
        _notice(locked, share)
    recovery.notices_sent = len(plan.shares)
    recovery.save(update_fields=["notices_sent"])
    audit_log(
        instance=recovery,
        action=POST,
        by=by,
        summary=f"Recovery from guarantors prepared: loan of {locked.member.membership_number}, "
        f"{locked.days_past_due} days past due, KES {plan.total:,.2f} from {len(plan.shares)} guarantor(s)",
    )
    return recovery


def _no_conflict(loan: Loan, by) -> None:
    if by is None:
        return
    if loan.member.user_id == by.pk:
        raise LoanStateError("Nobody recovers their own loan.")
    if Guarantee.objects.filter(application_id=loan.application_id, guarantor__user_id=by.pk).exists():
        raise LoanStateError("A guarantor of this loan cannot act on its recovery.")


@transaction.atomic
def guarantor_recovery_approve(*, recovery: GuarantorRecovery, by, date: datetime.date | None = None):
    """Checker: a second person approves; each guarantor's share is posted from their deposits to the loan."""
    date = date or timezone.localdate()
    locked = GuarantorRecovery.objects.select_for_update().get(pk=recovery.pk)
    if locked.status != RecoveryStatus.PREPARED:
        raise LoanStateError(f"This recovery is already {locked.get_status_display().lower()}.")
    if by is None or locked.prepared_by_id == by.pk:
        raise LoanStateError("Another person approves the recovery: not the one who prepared it.")
    loan = Loan.objects.select_for_update(of=("self",)).select_related("member__user", "product").get(pk=locked.loan_id)
    if loan.status != LoanStatus.ACTIVE:
        raise LoanStateError("The loan is no longer active: cancel this recovery.")
    _no_conflict(loan, by)
    plan = recovery_plan(loan=loan, date=date)
    if plan.total >= plan.target > 0:
        # The guarantors clear the loan: interest not yet due is waived, as on early settlement.
        LoanInstalment.objects.filter(loan=loan, due_date__gt=date, interest_accrued=False).update(
            interest=F("interest_paid")
        )
    paid = []
    for number, share in enumerate(plan.shares, start=1):
        if share.amount <= 0:
            continue
        guarantor = share.guarantee.guarantor
        reference = f"GR-{locked.pk.hex[:12]}-{number}"
        repayment = _apply(
            loan,
            amount=share.amount,
            key=f"repayment:{reference}",
            reference=reference,
            date=date,
            debit_code=DEPOSITS,
            by=by,
            debit_member_id=guarantor.pk,
        )
        GuarantorClaim.objects.create(
            recovery=locked,
            guarantee=share.guarantee,
            guarantor=guarantor,
            borrower=loan.member,
            loan=loan,
            amount=share.amount,
            repayment=repayment,
        )
        paid.append(share)
    Guarantee.objects.filter(pk__in=[s.guarantee.pk for s in paid], status=GuaranteeStatus.ACCEPTED).update(
        status=GuaranteeStatus.RELEASED, responded_at=timezone.now()
    )
    summaries_refresh(member_ids=[s.guarantee.guarantor_id for s in paid])
    locked.status = RecoveryStatus.APPROVED
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.date = date
    locked.save(update_fields=["status", "decided_by", "decided_at", "date"])
    for share in paid:
        _debited_notify(loan, share)
    audit_log(
        instance=locked,
        action=POST,
        by=by,
        summary=f"Recovery from guarantors approved: KES {sum((s.amount for s in paid), ZERO):,.2f} from "
        f"{len(paid)} guarantor(s) to the loan of {loan.member.membership_number} on {date:%d %b %Y}",
    )
    return locked


@transaction.atomic
def guarantor_recovery_cancel(*, recovery: GuarantorRecovery, by) -> GuarantorRecovery:
    """A prepared recovery that should not go ahead (the borrower paid, a mistake): nothing was posted."""
    locked = GuarantorRecovery.objects.select_for_update().get(pk=recovery.pk)
    if locked.status != RecoveryStatus.PREPARED:
        raise LoanStateError(f"This recovery is already {locked.get_status_display().lower()}.")
    locked.status = RecoveryStatus.CANCELLED
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    audit_log(instance=locked, action=POST, by=by, summary="Recovery from guarantors cancelled")
    return locked


# ---------------------------------------------------------------------------------------------------------------
# Messages (one SMS each, in the guarantor's language, like messages.py)


def recovery_notice_text(*, borrower: str, number: str, days: int, amount: Decimal) -> str:
    values = {"name": short_name(borrower, 30), "number": number, "days": days, "amount": format_money(amount)}
    return sms_fit(
        gettext(
            "The loan of {name} ({number}) that you guarantee is {days} days in arrears. Unless it is paid, "
            "{amount} will be recovered from your deposits."
        ).format(**values),
        gettext(
            "Loan of {name} ({number}) {days} days in arrears: {amount} will be recovered from your deposits."
        ).format(**values),
    )


def recovery_debited_text(*, borrower: str, number: str, amount: Decimal) -> str:
    values = {"name": short_name(borrower, 30), "number": number, "amount": format_money(amount)}
    return sms_fit(
        gettext(
            "{amount} was recovered from your deposits for the loan of {name} ({number}) that you guarantee. "
            "It is your claim on them."
        ).format(**values),
        gettext("{amount} was recovered from your deposits for the loan of {name} ({number}).").format(**values),
    )


def _notice(loan: Loan, share: RecoveryShare) -> None:
    user = share.guarantee.guarantor.user
    borrower = loan.member.user.get_full_name()
    text = sms_render(
        user,
        lambda: recovery_notice_text(
            borrower=borrower, number=loan.member.membership_number, days=loan.days_past_due, amount=share.amount
        ),
    )
    notify(
        user=user,
        subject=format_lazy(gettext_lazy("Recovery from your deposits: the loan of {name}"), name=borrower),
        template="generic",
        context={"body": text},
        link=reverse("member_area:guarantees"),
        kind=MessageKind.GUARANTOR_ARREARS,
        sms_text=text,
    )


def _debited_notify(loan: Loan, share: RecoveryShare) -> None:
    user = share.guarantee.guarantor.user
    borrower = loan.member.user.get_full_name()
    text = sms_render(
        user,
        lambda: recovery_debited_text(borrower=borrower, number=loan.member.membership_number, amount=share.amount),
    )
    notify(
        user=user,
        subject=format_lazy(gettext_lazy("Recovered from your deposits: the loan of {name}"), name=borrower),
        template="generic",
        context={"body": text},
        link=reverse("member_area:guarantees"),
        kind=MessageKind.GUARANTOR_ARREARS,
        sms_text=text,
    )


@transaction.atomic
def guarantor_claim_repay(*, claim: GuarantorClaim, amount, reference: str, by, date: datetime.date | None = None):
    """The borrower pays a guarantor back, through the office: the money comes in to the bank and is credited to
    the guarantor's deposits (Dr bank / Cr 2000 Member deposits [guarantor]), once per reference
    (`claim-repay:<reference>`); the claim's `recovered_back` grows by it, never beyond the claim."""
    amount = _amount(amount, "amount")
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        raise ValidationError({"reference": ["A reference (receipt or slip number, at most 100 characters)."]})
    date = date or timezone.localdate()
    if date > timezone.localdate():
        raise ValidationError({"date": ["The date cannot be in the future."]})
    account = bank_account_primary()
    if account is None:
        raise ValidationError({"bank_account": ["There is no active primary bank account."]})
    locked = GuarantorClaim.objects.select_for_update().select_related("guarantor", "borrower").get(pk=claim.pk)
    if amount <= 0 or amount > locked.outstanding:
        raise ValidationError({"amount": [f"The claim has {format_money(locked.outstanding)} left to pay back."]})
    memo = f"Guarantor claim paid back by {locked.borrower.membership_number} to {locked.guarantor.membership_number}"
    try:
        result = ledger_post(
            memo=memo,
            lines=[
                Line(account.ledger_account.code, debit=amount, description=memo),
                Line(DEPOSITS, credit=amount, member_id=locked.guarantor_id, description=memo),
            ],
            idempotency_key=f"claim-repay:{reference}",
            posted_by=by,
            date=date,
            source=reference,
        )
    except IdempotencyConflict as exc:
        raise ValidationError({"reference": [f"{reference!r} was already used for another payment."]}) from exc
    if not result.created:
        return locked  # the same payment again: posted once, counted once
    locked.recovered_back += amount
    locked.save(update_fields=["recovered_back"])
    summaries_refresh(member_ids=[locked.guarantor_id])
    audit_log(instance=locked, action=POST, by=by, summary=f"{memo}: KES {amount:,.2f}, ref. {reference}")
    return locked
