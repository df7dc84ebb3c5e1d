"""A loan repayment that came by M-Pesa and is reversed in error (portal/loans/reversal.py) puts its money back in
2300 Unallocated receipts [member]. When the whole receipt is back there (every repayment it made is reversed, and
none of it went to deposits or share capital), the receipt waits for staff again: status UNALLOCATED, so the
*Unallocated receipts* screen lists it and `receipt_allocate` can move it anew.

Registered with the loans app in MpesaConfig.ready() (loans sits below M-Pesa and never imports it)."""

from django.db.models import Q

from portal.finance.ledger.models import JournalEntry
from portal.loans.models import LoanRepayment, LoanRepaymentReversal, ReversalKind

from .models import MpesaReceipt, ReceiptStatus


def _family(trans_id: str) -> Q:
    """Repayments made from one receipt: `<TransID>` for the first loan, `<TransID>:<n>` for the next ones, and
    `<TransID>:r<k>…` for a later allocation by staff after a reversal (see `receipt_loan_stem`)."""
    return Q(reference=trans_id) | Q(reference__startswith=f"{trans_id}:")


def receipt_loan_stem(receipt: MpesaReceipt) -> str:
    """The reference stem for moving this receipt to loans now: the TransID the first time; after the receipt came
    back from a reversal, a new stem each time (the old references and ledger keys are spent)."""
    returned = LoanRepaymentReversal.objects.filter(
        _family_of_reversal(receipt.trans_id), kind=ReversalKind.ERROR
    ).count()
    return receipt.trans_id if not returned else f"{receipt.trans_id}:r{returned}"


def _family_of_reversal(trans_id: str) -> Q:
    return Q(repayment__reference=trans_id) | Q(repayment__reference__startswith=f"{trans_id}:")


def receipt_return_after_reversal(reversal: LoanRepaymentReversal) -> None:
    """The hook: the reversed repayment's receipt back to UNALLOCATED when all of it is in 2300 again."""
    trans_id = reversal.repayment.reference.split(":")[0]
    receipt = MpesaReceipt.objects.select_for_update().filter(trans_id=trans_id).first()
    if receipt is None or receipt.status == ReceiptStatus.UNALLOCATED:
        return
    still_on_loans = LoanRepayment.objects.filter(_family(trans_id), reversal__isnull=True).exists()
    elsewhere = (
        JournalEntry.objects.filter(
            idempotency_key__startswith=f"mpesa-allocation:{trans_id}:", reversed_by__isnull=True
        )
        .filter(Q(idempotency_key__endswith=":deposits") | Q(idempotency_key__endswith=":share-capital"))
        .exists()
    )
    if still_on_loans or elsewhere:
        receipt.note = f"Repayment {reversal.repayment.reference} reversed: {reversal.reason}"[:255]
        receipt.save(update_fields=["note"])
        return
    receipt.status = ReceiptStatus.UNALLOCATED
    receipt.note = f"Loan repayment reversed ({reversal.reason}); waiting in 2300 to be allocated again"[:255]
    receipt.save(update_fields=["status", "note"])
