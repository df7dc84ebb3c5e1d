"""A member leaves (issue 16): notice, then a settlement prepared by one person and approved by another, then the
refund paid out. Here in loans, not in members, because the settlement offsets the member's loans (members sits
below loans in .importlinter). Deaths are recorded in member_death.py and settled by the same two steps.

The maker-checker is a simple two-person rule rather than a Wagtail workflow: there is no committee vote here, only
"someone other than the preparer approves" (the preparer, and the member themselves, are refused); the prepared
figures are stored and the approval posts only if the books still give the same figures.

Postings on approval (all dated the approval day):
- each active loan offset against the deposits: Dr 2000 [member] / Cr 1120, 1110, 1100 [loan] through the repayment
  allocation (`_apply`), after waiving the interest of instalments not yet due (as an early settlement does);
- (death) an insured loan: Dr 1130 Insurance claims receivable [member] / Cr 1120, 1110, 1100 [loan], the same way;
- share capital transferred: Dr 3000 [member] / Cr 3000 [receiver]; or refunded (if the by-laws allow it):
  Dr 3000 [member] / Cr 2400 [member];
- the rest of the deposits: Dr 2000 [member] / Cr 2400 [member] — one payable to the member, or one per nominee;
- paying a payable out later: Dr 2400 [member] / Cr bank.
Then the member's status is *exited*; payments and check-off rows for them are refused from then on
(portal/contributions/services.py, checkoff.py; M-Pesa receipts go to 2300).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.audit.services import ACTION, POST, audit_log
from portal.contributions.services import summaries_refresh
from portal.finance.banking.models import BankAccount
from portal.finance.banking.services import bank_account_primary
from portal.finance.ledger.selectors import account_balance
from portal.finance.ledger.services import Line, ledger_post
from portal.members.models import (
    ExitPayable,
    Member,
    MemberExit,
    MemberExitKind,
    MemberExitStatus,
    MemberStatus,
    User,
)
from portal.members.services import member_status_set
from portal.society.errors import StateConflict
from portal.society.money import format_money
from portal.society.policy import sacco_settings

from .member_death import nominee_split
from .models import Guarantee, GuaranteeStatus, Loan, LoanInstalment, LoanStatus
from .services import DEPOSITS, INSURANCE_CLAIMS, _apply

SHARE_CAPITAL = "3000"
REFUNDS_PAYABLE = "2400"
ZERO = Decimal("0.00")


class ExitRefused(StateConflict):
    """The settlement cannot go ahead as things stand (notice period running, guarantees outstanding, loans above
    the deposits, the same person approving). A StateConflict: 409 in the API, a form error in the admin."""


@dataclass
class LoanOffset:
    loan: Loan
    owed: Decimal  # after waiving the interest not yet due
    applied: Decimal  # what the settlement pays on it
    insured: bool  # death only: cleared by the insurance claim
    left: Decimal  # still owed afterwards (death, deposits short)


@dataclass
class ExitFigures:
    deposits: Decimal
    share_capital: Decimal
    loans: list[LoanOffset] = field(default_factory=list)
    loans_offset: Decimal = ZERO
    insurance_cleared: Decimal = ZERO
    loans_left: Decimal = ZERO
    refund_payable: Decimal = ZERO  # deposits left + share capital refunded


def _owed_now(loan: Loan, as_of: datetime.date) -> tuple[Decimal, Decimal]:
    """(owed if settled today with the interest not yet due waived, owed in full by the schedule)."""
    now = full = ZERO
    for row in loan.instalments.all():
        full += row.outstanding
        now += row.principal - row.principal_paid + row.penalty - row.penalty_paid
        if row.due_date <= as_of or row.interest_accrued:
            now += row.interest - row.interest_paid
    return now, full


def guarantees_outstanding(*, member: Member) -> list[Guarantee]:
    """The guarantees the member still gives (requested or accepted): they must be released or transferred before
    the member can leave."""
    return list(
        Guarantee.objects.filter(
            guarantor=member, status__in=[GuaranteeStatus.REQUESTED, GuaranteeStatus.ACCEPTED]
        ).select_related("application__member__user", "application__product")
    )


def exit_figures(*, member_exit: MemberExit, treatment: str, as_of: datetime.date) -> ExitFigures:
    """What the settlement would post today. Refuses (naming what to do) when an exit cannot settle: loans above
    the deposits must be paid first; a death leaves what the deposits do not cover outstanding."""
    member = member_exit.member
    death = member_exit.kind == MemberExitKind.DEATH
    figures = ExitFigures(
        deposits=account_balance(code=DEPOSITS, member=member),
        share_capital=account_balance(code=SHARE_CAPITAL, member=member),
    )
    available = figures.deposits
    loans = list(
        Loan.objects.filter(member=member, status=LoanStatus.ACTIVE)
        .select_related("product")
        .order_by("disbursed_on", "pk")
    )
    # Insured loans first on a death: they do not touch the deposits.
    loans.sort(key=lambda loan: not (death and loan.product.insurance_fee_percent > 0))
    for loan in loans:
        now, full = _owed_now(loan, as_of)
        insured = death and loan.product.insurance_fee_percent > 0
        if insured:
            figures.loans.append(LoanOffset(loan, now, now, True, ZERO))
            figures.insurance_cleared += now
            continue
        if available >= now:
            figures.loans.append(LoanOffset(loan, now, now, False, ZERO))
            available -= now
            figures.loans_offset += now
            continue
        if not death:
            owed = sum((o.owed for o in figures.loans), ZERO) + now
            raise ExitRefused(
                f"{member.membership_number}'s deposits ({format_money(figures.deposits)}) do not cover their loans "
                f"({format_money(owed)} and more on later loans); the member pays the difference before the exit."
            )
        figures.loans.append(LoanOffset(loan, now, available, False, full - available))
        figures.loans_offset += available
        figures.loans_left += full - available
        available = ZERO
    figures.refund_payable = available + (figures.share_capital if treatment == "refund" else ZERO)
    return figures


def _figures_stored(member_exit: MemberExit, figures: ExitFigures) -> None:
    member_exit.deposits = figures.deposits
    member_exit.share_capital = figures.share_capital
    member_exit.loans_offset = figures.loans_offset
    member_exit.insurance_cleared = figures.insurance_cleared
    member_exit.loans_left = figures.loans_left
    member_exit.refund_payable = figures.refund_payable


def _figures_match(member_exit: MemberExit, figures: ExitFigures) -> bool:
    return (
        member_exit.deposits,
        member_exit.share_capital,
        member_exit.loans_offset,
        member_exit.insurance_cleared,
        member_exit.loans_left,
        member_exit.refund_payable,
    ) == (
        figures.deposits,
        figures.share_capital,
        figures.loans_offset,
        figures.insurance_cleared,
        figures.loans_left,
        figures.refund_payable,
    )


@transaction.atomic
def exit_notice_give(*, member: Member, by: User, reason: str = "", today: datetime.date | None = None) -> MemberExit:
    """The member (portal, API) or a clerk gives notice. The settlement may be approved `exit_notice_days` (SACCO
    settings) later; until then nothing changes for the member."""
    today = today or timezone.localdate()
    locked = Member.objects.select_for_update().get(pk=member.pk)
    if locked.status == MemberStatus.EXITED:
        raise ExitRefused(f"{locked.membership_number} has already exited the SACCO.")
    if MemberExit.objects.filter(member=locked).exists():
        raise ExitRefused(f"{locked.membership_number} has already given notice (or their exit is being settled).")
    days = sacco_settings().exit_notice_days
    record = MemberExit.objects.create(
        member=locked,
        kind=MemberExitKind.EXIT,
        reason=(reason or "").strip()[:255],
        notice_given_on=today,
        notice_given_by=by,
        settle_from=today + datetime.timedelta(days=days),
    )
    audit_log(
        instance=record,
        action=ACTION,
        by=by,
        summary=f"Exit notice given for {locked.membership_number} on {today:%d %b %Y}; "
        f"settlement from {record.settle_from:%d %b %Y} ({days} days' notice)",
    )
    return record


def _treatment_checked(member_exit: MemberExit, treatment: str, receiver: Member | None) -> None:
    if treatment not in ("transfer", "refund"):
        raise ValidationError({"share_capital": ["Choose 'transfer' (to another member) or 'refund'."]})
    if treatment == "refund" and sacco_settings().share_capital_on_exit != "refund":
        raise ValidationError(
            {"share_capital": ["The by-laws (SACCO settings) allow share capital only to be transferred on exit."]}
        )
    if treatment == "transfer":
        if receiver is None:
            raise ValidationError({"share_receiver": ["Name the member who takes over the share capital."]})
        if receiver.pk == member_exit.member_id:
            raise ValidationError({"share_receiver": ["The share capital goes to another member."]})
        if receiver.status != MemberStatus.ACTIVE:
            raise ValidationError({"share_receiver": [f"{receiver.membership_number} is not an active member."]})


def _guarantees_refused(member: Member) -> None:
    given = guarantees_outstanding(member=member)
    if given:
        loans = "; ".join(
            f"{g.application.product.name} of {g.application.member.full_name} "
            f"({g.application.member.membership_number}), {format_money(g.amount)}"
            for g in given
        )
        raise ExitRefused(
            f"{member.membership_number} still guarantees: {loans}. Release or transfer these guarantees first."
        )


@transaction.atomic
def exit_settlement_prepare(
    *,
    member_exit: MemberExit,
    by: User,
    share_capital: str,
    share_receiver: Member | None = None,
    today: datetime.date | None = None,
) -> MemberExit:
    """The maker: checks the notice period, the guarantees and the loans, and stores the figures for the checker.
    Preparing again (before approval) replaces the figures and the preparer."""
    today = today or timezone.localdate()
    locked = MemberExit.objects.select_for_update().select_related("member").get(pk=member_exit.pk)
    if locked.status == MemberExitStatus.SETTLED:
        raise ExitRefused("This exit is already settled.")
    if by is not None and locked.member.user_id == by.pk:
        raise ExitRefused("A member cannot settle their own exit.")
    if today < locked.settle_from:
        raise ExitRefused(
            f"The notice period runs until {locked.settle_from:%d %b %Y} "
            f"(notice given on {locked.notice_given_on:%d %b %Y}); the exit cannot be settled before."
        )
    _treatment_checked(locked, share_capital, share_receiver)
    _guarantees_refused(locked.member)
    figures = exit_figures(member_exit=locked, treatment=share_capital, as_of=today)
    if locked.kind == MemberExitKind.DEATH and figures.refund_payable > 0:
        nominee_split(nominees=list(locked.member.nominees.all()), amount=figures.refund_payable)  # refuses early
    _figures_stored(locked, figures)
    locked.share_capital_treatment = share_capital
    locked.share_receiver = share_receiver if share_capital == "transfer" else None
    locked.status = MemberExitStatus.PREPARED
    locked.prepared_by = by
    locked.prepared_at = timezone.now()
    locked.save()
    audit_log(
        instance=locked,
        action=ACTION,
        by=by,
        summary=f"Exit settlement prepared: deposits {format_money(figures.deposits)}, loans offset "
        f"{format_money(figures.loans_offset)}, insurance {format_money(figures.insurance_cleared)}, refund payable "
        f"{format_money(figures.refund_payable)}, "
        f"share capital {format_money(figures.share_capital)} ({share_capital})",
    )
    return locked


@transaction.atomic
def exit_settlement_approve(*, member_exit: MemberExit, by: User, today: datetime.date | None = None) -> MemberExit:
    """The checker: someone other than the preparer (and not the member) approves; the figures are computed again
    and must equal the prepared ones (a payment meanwhile means preparing again); then everything posts at once and
    the member is exited."""
    today = today or timezone.localdate()
    locked = MemberExit.objects.select_for_update().select_related("member").get(pk=member_exit.pk)
    if locked.status == MemberExitStatus.SETTLED:
        raise ExitRefused("This exit is already settled.")
    if locked.status != MemberExitStatus.PREPARED:
        raise ExitRefused("The settlement has not been prepared yet.")
    if by is None or locked.prepared_by_id == by.pk:
        raise ExitRefused("The settlement is approved by someone other than the person who prepared it.")
    if locked.member.user_id == by.pk:
        raise ExitRefused("A member cannot approve their own exit.")
    member = Member.objects.select_for_update().get(pk=locked.member_id)
    _guarantees_refused(member)
    figures = exit_figures(member_exit=locked, treatment=locked.share_capital_treatment, as_of=today)
    if not _figures_match(locked, figures):
        raise ExitRefused("The member's balances have changed since the settlement was prepared; prepare it again.")
    _settlement_post(locked, member, figures, by=by, date=today)
    locked.status = MemberExitStatus.SETTLED
    locked.approved_by = by
    locked.approved_at = timezone.now()
    locked.save(update_fields=["status", "approved_by", "approved_at"])
    death = locked.kind == MemberExitKind.DEATH
    member_status_set(
        member=member,
        status=MemberStatus.EXITED,
        reason=f"Deceased on {locked.died_on:%d %b %Y}" if death else f"Exited on notice of {locked.notice_given_on}",
        by=by,
    )
    audit_log(
        instance=locked,
        action=POST,
        by=by,
        summary=f"Exit settlement approved and posted for {member.membership_number}: loans offset "
        f"{format_money(figures.loans_offset)}, insurance {format_money(figures.insurance_cleared)}, refund payable "
        f"{format_money(figures.refund_payable)}, loans left {format_money(figures.loans_left)}",
    )
    return locked


def _settlement_post(member_exit: MemberExit, member: Member, figures: ExitFigures, *, by, date) -> None:
    stem = f"exit:{member_exit.pk}"
    for offset in figures.loans:
        if offset.applied <= 0:
            continue
        loan = Loan.objects.select_for_update(of=("self",)).select_related("member").get(pk=offset.loan.pk)
        if offset.left == 0:
            # Cleared in full: the interest not yet due is waived, as for an early settlement.
            LoanInstalment.objects.filter(loan=loan, due_date__gt=date, interest_accrued=False).update(
                interest=F("interest_paid")
            )
        kind = "insurance" if offset.insured else "offset"
        _apply(
            loan,
            amount=offset.applied,
            key=f"{stem}:{kind}:{loan.pk}",
            reference=f"{'Insurance claim' if offset.insured else 'Exit offset'} {member.membership_number}",
            date=date,
            debit_code=INSURANCE_CLAIMS if offset.insured else DEPOSITS,
            by=by,
        )
    deposits_left = figures.deposits - figures.loans_offset
    memo = f"Exit settlement {member.membership_number}"
    lines: list[Line] = []
    if deposits_left > 0:
        lines.append(Line(DEPOSITS, debit=deposits_left, member_id=member.pk, description="Deposits refunded"))
    capital = figures.share_capital
    if capital > 0:
        lines.append(Line(SHARE_CAPITAL, debit=capital, member_id=member.pk, description="Share capital on exit"))
        if member_exit.share_capital_treatment == "transfer":
            receiver = member_exit.share_receiver
            lines.append(
                Line(
                    SHARE_CAPITAL,
                    credit=capital,
                    member_id=receiver.pk,
                    description=f"Share capital transferred from {member.membership_number}",
                )
            )
    payables = _payables(member_exit, member, figures.refund_payable)
    for payable in payables:
        if payable.amount > 0:
            lines.append(
                Line(REFUNDS_PAYABLE, credit=payable.amount, member_id=member.pk, description=f"Payable to {payable}")
            )
    if lines:
        ledger_post(memo=memo, lines=lines, idempotency_key=f"{stem}:settlement", posted_by=by, date=date, source=memo)
    ExitPayable.objects.bulk_create([p for p in payables if p.amount > 0])
    summaries_refresh(
        member_ids=[member.pk] + ([member_exit.share_receiver_id] if member_exit.share_receiver_id else [])
    )


def _payables(member_exit: MemberExit, member: Member, amount: Decimal) -> list[ExitPayable]:
    if amount <= 0:
        return []
    if member_exit.kind == MemberExitKind.DEATH:
        return [
            ExitPayable(
                member_exit=member_exit,
                payee=nominee.full_name,
                nominee=nominee,
                share_percent=nominee.share_percent,
                amount=part,
            )
            for nominee, part in nominee_split(nominees=list(member.nominees.all()), amount=amount)
        ]
    return [ExitPayable(member_exit=member_exit, payee=member.full_name, amount=amount)]


def exit_refund_pay(
    *,
    payable: ExitPayable,
    by: User,
    reference: str,
    bank_account: BankAccount | None = None,
    date: datetime.date | None = None,
) -> ExitPayable:
    """Pay a payable out once: Dr 2400 [member] / Cr the bank account's ledger account."""
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": ["Give the payment reference (cheque, transfer or M-Pesa number)."]})
    if len(reference) > 100:
        raise ValidationError({"reference": ["The reference is longer than 100 characters."]})
    date = date or timezone.localdate()
    if date > timezone.localdate():
        raise ValidationError({"date": ["The payment date cannot be in the future."]})
    account = bank_account or bank_account_primary()
    if account is None or not account.active:
        raise ValidationError({"bank_account": ["Choose an active bank account."]})
    with transaction.atomic():
        locked = (
            ExitPayable.objects.select_for_update(of=("self",)).select_related("member_exit__member").get(pk=payable.pk)
        )
        if locked.paid_on is not None:
            raise ExitRefused(f"This refund was already paid on {locked.paid_on:%d %b %Y} (ref. {locked.reference}).")
        member = locked.member_exit.member
        memo = f"Exit refund paid to {locked.payee} ({member.membership_number})"
        ledger_post(
            memo=memo,
            lines=[
                Line(REFUNDS_PAYABLE, debit=locked.amount, member_id=member.pk, description=memo),
                Line(account.ledger_account.code, credit=locked.amount, description=memo),
            ],
            idempotency_key=f"exit-refund:{locked.pk}",
            posted_by=by,
            date=date,
            source=reference,
        )
        locked.paid_on = date
        locked.paid_by = by
        locked.reference = reference
        locked.save(update_fields=["paid_on", "paid_by", "reference"])
        audit_log(
            instance=locked, action=POST, by=by, summary=f"{memo}: {format_money(locked.amount)}, ref. {reference}"
        )
    return locked
