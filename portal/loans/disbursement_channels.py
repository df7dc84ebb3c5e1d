"""How a disbursement's money leaves the SACCO when it is not a plain bank payment (issue 15).

Loans is a lower layer than the M-Pesa app, so it never names it: a higher app registers a channel here in its
AppConfig.ready, and `loan_disburse` asks `channel_for(product)` which one (if any) pays a product's loans. A channel
- names the ledger account the disbursement credits instead of the bank (a clearing account: the money is on its
  way, not yet gone),
- checks that it can pay this loan at all (before anything is booked; a ValidationError refuses the disbursement),
- starts the payout inside the disbursement's transaction (records it; the request itself is sent after commit),
- describes a loan's payout for the staff screens.

When a payout fails, the channel calls `disbursement_reverse`: the disbursement entry is reversed by a contra entry
(nothing posted is edited or deleted), the schedule that never started is removed, the loan becomes REVERSED and the
application APPROVED again, so the treasurer's Disburse action pays it out again (the same loan row is re-booked).
"""

import datetime
from decimal import Decimal
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.audit.services import POST, audit_log
from portal.finance.ledger.services import ledger_reverse
from portal.society.errors import StateConflict

from .models import ApplicationStatus, Loan, LoanApplication, LoanInstalment, LoanProduct, LoanStatus

MPESA = "mpesa"


class DisbursementChannel(Protocol):
    label: str

    def credit_code(self) -> str:
        """The ledger account the disbursement credits with the amount paid out (a clearing account)."""

    def check(self, *, application: LoanApplication, amount: Decimal) -> None:
        """Raise ValidationError when this channel cannot pay `amount` of this application."""

    def start(self, *, loan: Loan, by) -> None:
        """Record the payout in the disbursement's transaction and send it after commit."""

    def describe(self, loan: Loan) -> str:
        """The loan's payout in a few words for staff ("" when this channel did not pay it)."""

    def pending(self, loan: Loan) -> bool:
        """A payout of this loan is still waiting for its result."""

    def give_up(self, *, loan: Loan, by, reason: str) -> str:
        """Staff found the pending payout was not made (no result ever came): fail it and reverse the disbursement.
        Raises ValidationError when it is too early to tell."""


_channels: dict[str, DisbursementChannel] = {}


def channel_register(name: str, channel: DisbursementChannel) -> None:
    _channels[name] = channel


def channel_for(product: LoanProduct) -> DisbursementChannel | None:
    """The channel that pays this product's loans, or None for a bank payment as before."""
    if not product.disburse_by_mpesa:
        return None
    channel = _channels.get(MPESA)
    if channel is None:
        raise ValidationError(
            {"bank_account": [_("This product pays out by M-Pesa, but M-Pesa payouts are not set up.")]}
        )
    return channel


def payout_describe(loan: Loan) -> str:
    """What the staff screens show about the loan's payout: each channel's word, or "" for a bank payment."""
    for channel in _channels.values():
        text = channel.describe(loan)
        if text:
            return text
    return ""


def payout_pending_channel(loan: Loan) -> DisbursementChannel | None:
    """The channel whose payout of this loan still waits for its result, if any (the staff's "not paid" action)."""
    for channel in _channels.values():
        if channel.pending(loan):
            return channel
    return None


def disbursement_reverse(*, loan: Loan, by=None, reason: str, date: datetime.date | None = None) -> bool:
    """Undo a disbursement whose money never reached the member: the contra entry of the disbursement (loan, fees and
    clearing account all back to zero), the schedule removed, the loan REVERSED, the application APPROVED again
    (its guarantees stay accepted: they still stand behind the approved application). Once: a second call
    returns False. Refused (StateConflict) when anything was posted against the loan since, which staff settle."""
    with transaction.atomic():
        application = LoanApplication.objects.select_for_update().get(pk=loan.application_id)
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        if locked.status == LoanStatus.REVERSED:
            return False
        if locked.status != LoanStatus.ACTIVE or locked.disbursement_entry_id is None:
            raise StateConflict(_("Only an active loan's disbursement can be reversed."))
        touched = LoanInstalment.objects.filter(loan=locked).filter(
            Q(principal_paid__gt=0) | Q(interest_paid__gt=0) | Q(penalty__gt=0) | Q(interest_accrued=True)
        )
        if touched.exists() or locked.repayments.exists():
            raise StateConflict(
                _("Money was posted against this loan after its disbursement; settle it by hand before reversing.")
            )
        principal = LoanInstalment.objects.filter(loan=locked).aggregate(total=Sum("principal"))["total"]
        ledger_reverse(
            entry=locked.disbursement_entry,
            posted_by=by,
            memo=f"Payout failed: {locked.disbursement_entry.memo}"[:255],
            date=date or timezone.localdate(),
        )
        LoanInstalment.objects.filter(loan=locked).delete()  # a schedule that never started; nothing was posted on it
        locked.status = LoanStatus.REVERSED
        locked.save(update_fields=["status"])
        application.status = ApplicationStatus.APPROVED
        application.save(update_fields=["status"])
        audit_log(
            instance=locked,
            action=POST,
            by=by,
            summary=f"Disbursement reversed: the payout failed ({reason[:150]}); principal {principal or 0:,.2f} "
            f"and fees back, the application approved and unpaid again",
        )
    return True
