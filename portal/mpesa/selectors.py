"""Reads for M-Pesa's staff screens (issue 15): receipts waiting in 2300, finding the member a receipt belongs to,
the raw callback log, and the daily matching of an imported M-Pesa statement against the receipts posted."""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from portal.finance.banking.models import BankAccount, BankStatement, BankTransaction
from portal.members.models import Member

from .models import MpesaCallback, MpesaReceipt, ReceiptStatus


def unallocated_receipts(*, q: str = "") -> QuerySet[MpesaReceipt]:
    """Receipts waiting in 2300 Unallocated receipts for staff, oldest first; `q` finds a receipt number, phone,
    account reference or payer name."""
    receipts = MpesaReceipt.objects.filter(status=ReceiptStatus.UNALLOCATED).select_related("member__user")
    q = (q or "").strip()[:100]
    if q:
        receipts = receipts.filter(
            Q(trans_id__icontains=q) | Q(phone__icontains=q) | Q(reference__icontains=q) | Q(payer_name__icontains=q)
        )
    return receipts.order_by("paid_at", "created_at")


def _phone_tail(text: str) -> str:
    """The last nine digits of a Kenyan mobile number however written (0712…, 254712…, +254 712 …)."""
    digits = re.sub(r"\D", "", text)
    return digits[-9:] if len(digits) >= 9 else ""


def members_find(*, q: str, limit: int = 20) -> list[Member]:
    """Members by membership number (with or without hyphens), name, national ID or phone number."""
    q = (q or "").strip()[:100]
    if len(q) < 2:
        return []
    condition = (
        Q(membership_number__icontains=q)
        | Q(membership_number__icontains=q.replace(" ", "-"))
        | Q(user__first_name__icontains=q)
        | Q(user__last_name__icontains=q)
        | Q(national_id=q)
    )
    words = q.split()
    if len(words) > 1:
        condition |= Q(user__first_name__icontains=words[0], user__last_name__icontains=words[-1])
    tail = _phone_tail(q)
    if tail:
        condition |= Q(phone_number__endswith=tail)
    compact = re.sub(r"[\s-]", "", q).upper()
    if compact.startswith("MB") and len(compact) > 8:
        condition |= Q(membership_number__iexact=f"MB-{compact[2:8]}-{compact[8:].zfill(5)}")
    return list(Member.objects.filter(condition).select_related("user").order_by("membership_number")[:limit])


def member_suggestions(receipt: MpesaReceipt, *, limit: int = 5) -> list[Member]:
    """Members the receipt may belong to: the payer's phone number, then the payer's names."""
    found: list[Member] = []
    tail = _phone_tail(receipt.phone)
    if tail:
        found += list(Member.objects.filter(phone_number__endswith=tail).select_related("user")[:limit])
    names = [n for n in receipt.payer_name.split() if len(n) > 1]
    if len(names) >= 2 and len(found) < limit:
        by_name = Member.objects.filter(
            user__first_name__iexact=names[0], user__last_name__iexact=names[-1]
        ).select_related("user")
        found += [m for m in by_name[:limit] if m not in found]
    return found[:limit]


def callbacks_list(*, kind: str = "", q: str = "") -> QuerySet[MpesaCallback]:
    """The raw callback log, newest first, for finance staff; `q` searches the body (a receipt number)."""
    callbacks = MpesaCallback.objects.all()
    if kind:
        callbacks = callbacks.filter(kind=kind)
    q = (q or "").strip()[:100]
    if q:
        callbacks = callbacks.filter(body__icontains=q)
    return callbacks.order_by("-received_at", "-pk")


# --- the daily M-Pesa statement matching -------------------------------------------------------------------------
@dataclass
class StatementMatch:
    """An imported M-Pesa statement against the receipts posted to its paybill account, by receipt number."""

    bank_account: BankAccount
    statement: BankStatement | None
    matched: list = field(default_factory=list)  # (statement line, receipt)
    not_posted: list = field(default_factory=list)  # statement lines (money in) with no receipt posted
    amount_differs: list = field(default_factory=list)  # (statement line, receipt) with different amounts
    not_in_statement: list = field(default_factory=list)  # receipts within the statement's dates, not on it

    @property
    def clean(self) -> bool:
        return not (self.not_posted or self.amount_differs or self.not_in_statement)


def mpesa_paybill_accounts() -> QuerySet[BankAccount]:
    return BankAccount.objects.filter(kind="mpesa").order_by("name")


def _receipt_key(text: str) -> str:
    return (text or "").strip().upper()


def statement_receipts_match(*, statement: BankStatement) -> StatementMatch:
    """Each money-in line of the statement against the receipts posted for its account, by receipt number (the
    statement's reference / Receipt No. is Daraja's TransID): matched, in the statement but not posted, posted with
    another amount, and posted (within the statement's first and last day) but not in the statement. Lines paid out
    (withdrawals, charges) are not receipts and are left to the bank reconciliation."""
    account = statement.bank_account
    result = StatementMatch(bank_account=account, statement=statement)
    lines = list(BankTransaction.objects.filter(statement=statement, amount__gt=0).order_by("date", "row_number"))
    if not lines:
        return result
    keys = {_receipt_key(line.reference) for line in lines if line.reference}
    receipts = {r.trans_id: r for r in MpesaReceipt.objects.filter(trans_id__in=keys)}
    for line in lines:
        receipt = receipts.get(_receipt_key(line.reference))
        if receipt is None:
            result.not_posted.append(line)
        elif receipt.amount != Decimal(line.amount):
            result.amount_differs.append((line, receipt))
        else:
            result.matched.append((line, receipt))
    first, last = lines[0].date, max(line.date for line in lines)
    posted = MpesaReceipt.objects.filter(
        bank_account=account, paid_at__date__gte=first, paid_at__date__lte=last
    ).exclude(trans_id__in=keys)
    result.not_in_statement = list(posted.order_by("paid_at"))
    return result


def latest_mpesa_statement(bank_account: BankAccount) -> BankStatement | None:
    return BankStatement.objects.filter(bank_account=bank_account).order_by("-imported_at").first()
