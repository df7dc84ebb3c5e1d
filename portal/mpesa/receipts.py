"""THE posting router for money received through M-Pesa (issue 15), shared by the C2B paybill confirmation and the
STK push result: once per M-Pesa receipt number (TransID), through the existing services.

Where the money goes is what the account reference (BillRefNumber) asks for:
- "MB-202403-00012"    → the member's deposits: a monthly contribution for the month paid (contributions'
                         `payments_record`): Dr M-Pesa paybill / Cr 2000 Member deposits [member];
- "MB-202403-00012-S"  → share capital (`payments_record`): Dr paybill / Cr 3000 Share capital [member];
- "MB-202403-00012-L"  → a repayment of the member's active loans, allocated exactly as a check-off repayment is
                         (portal/loans/allocation.py): it comes in to 2300 Unallocated receipts [member]
                         (Dr paybill / Cr 2300 [member]) and moves through `loan_repay(from_unallocated=True)` —
                         what is due first on each loan, then the oldest loan ahead of schedule, beyond every
                         balance to deposits (Dr 2300 / Cr 2000 [member]).
Money that cannot go where it was meant to waits in 2300 Unallocated receipts for staff (admin_views.py):
a reference matching no member: Dr paybill / Cr 2300 with no member (ledger_check allows 2300 lines without a
member; only 2000 and 3000 must name one); a known member who has exited, a -L member with no active loan, or a
payment the service refuses: Dr paybill / Cr 2300 [member].

Once: an MpesaReceipt row (trans_id unique) is created first, in the same transaction as the posting, so a second
delivery of the TransID — however concurrent — waits for the first and then finds it (created=False) and posts
nothing. The ledger's own keys (`monthly:<TransID>`, `share-capital:<TransID>`, `mpesa:<TransID>`,
`repayment:<TransID>`) carry content hashes as everywhere else. The same TransID with another amount is not a
retry: `ReceiptConflict`, nothing posted.
"""

import dataclasses
import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery, TextChoices, Value
from django.db.models.functions import Concat, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.audit.services import POST, audit_log
from portal.contributions.models import MonthlyContribution, PaymentSource, ShareCapitalPayment
from portal.contributions.periods import period_of
from portal.contributions.services import (
    MONTHLY,
    SHARE_CAPITAL,
    SHARE_CAPITAL_ACCOUNT,
    PaymentItem,
    PaymentsInvalid,
    payments_record,
    payments_validate,
    summaries_add,
    summaries_refresh,
)
from portal.finance.banking.models import BankAccount, BankAccountKind
from portal.finance.banking.services import bank_account_create
from portal.finance.ledger.models import JournalEntry
from portal.finance.ledger.services import LedgerError, Line, Posting, ledger_post, ledger_post_many
from portal.finance.periods.guard import books_closed_through
from portal.loans.allocation import allocation_plan
from portal.loans.models import Loan, LoanStatus
from portal.loans.services import DEPOSITS, UNALLOCATED, LoanStateError, loan_repay
from portal.loans.write_off import recoverable_loans
from portal.members.models import Member, MemberStatus
from portal.society.errors import StateConflict
from portal.society.money import CENT

from .loan_reversals import receipt_loan_stem
from .models import MpesaReceipt, ReceiptChannel, ReceiptStatus

ZERO = Decimal("0.00")


class Purpose(TextChoices):
    DEPOSITS = "deposits", _("Deposits")
    LOAN_REPAYMENT = "loan_repayment", _("Loan repayment")
    SHARE_CAPITAL = "share_capital", _("Share capital")


SUFFIXES = {"L": Purpose.LOAN_REPAYMENT, "S": Purpose.SHARE_CAPITAL}
# MB-YYYYMM-NNNNN with or without hyphens/spaces, an optional -L / -S (also "L", "/L", "_L", ".L").
_MEMBERSHIP = re.compile(r"^MB-?(\d{6})-?(\d{1,5})(?:[-_/.]?([LS]))?$")
_SUFFIX = re.compile(r"^(.+?)[-_/.]([LS])$")


class ReceiptConflict(ValidationError):
    """The receipt number was already posted with another amount: not a retry. Nothing was posted."""


@dataclass(frozen=True)
class ReceiptResult:
    receipt: MpesaReceipt
    created: bool  # False: this TransID had already been posted (a replay); nothing was posted now

    @property
    def status(self) -> str:
        return self.receipt.status


def reference_membership_number(bill_ref: str) -> tuple[str, Purpose] | None:
    """The membership number and purpose a reference in today's scheme names ("MB-202403-00012-L" →
    ("MB-202403-00012", loan repayment)), without a query; None for any other text."""
    match = _MEMBERSHIP.match(re.sub(r"\s+", "", str(bill_ref or "")).upper()[:100])
    if not match:
        return None
    yyyymm, sequence, suffix = match.groups()
    return f"MB-{yyyymm}-{int(sequence):05d}", SUFFIXES.get(suffix or "", Purpose.DEPOSITS)


def reference_parse(bill_ref: str) -> tuple[Member | None, Purpose]:
    """The member and purpose an account reference names: "MB-202403-00012" → deposits, "…-L" → loan repayment,
    "…-S" → share capital; case, spaces and missing hyphens are forgiven. No member matches: (None, purpose)."""
    text = re.sub(r"\s+", "", str(bill_ref or "")).upper()[:100]
    if not text:
        return None, Purpose.DEPOSITS
    named = reference_membership_number(text)
    if named:
        number, purpose = named
        return Member.objects.filter(membership_number=number).first(), purpose
    # Any other membership number (an older scheme kept on migration): the whole text, or the text before a suffix.
    member = Member.objects.filter(membership_number__iexact=text).first()
    if member is not None:
        return member, Purpose.DEPOSITS
    match = _SUFFIX.match(text)
    if match:
        base, suffix = match.groups()
        return Member.objects.filter(membership_number__iexact=base).first(), SUFFIXES[suffix]
    return None, Purpose.DEPOSITS


def references_parse(bill_refs: list[str]) -> dict[str, tuple[Member | None, Purpose]]:
    """reference_parse for many references in one query: {reference as given: (member or None, purpose)}."""
    texts = {ref: re.sub(r"\s+", "", str(ref or "")).upper()[:100] for ref in bill_refs}
    exact, upper = set(), set()
    for text in texts.values():
        named = reference_membership_number(text)
        if named:
            exact.add(named[0])
        elif text:
            upper.add(text)
            match = _SUFFIX.match(text)
            if match:
                upper.add(match.group(1))
    members = Member.objects.annotate(upper_number=Upper("membership_number")).filter(
        Q(membership_number__in=exact) | Q(upper_number__in=upper)
    )
    by_number, by_upper = {}, {}
    for member in members:
        by_number[member.membership_number] = member
        by_upper.setdefault(member.upper_number, member)
    parsed = {}
    for ref, text in texts.items():
        named = reference_membership_number(text)
        if not text:
            parsed[ref] = (None, Purpose.DEPOSITS)
        elif named:
            parsed[ref] = (by_number.get(named[0]), named[1])
        elif text in by_upper:
            parsed[ref] = (by_upper[text], Purpose.DEPOSITS)
        elif match := _SUFFIX.match(text):
            parsed[ref] = (by_upper.get(match.group(1)), SUFFIXES[match.group(2)])
        else:
            parsed[ref] = (None, Purpose.DEPOSITS)
    return parsed


def paybill_account() -> BankAccount:
    """The M-Pesa paybill's bank account: the active M-Pesa account whose number is MPESA_SHORTCODE, created on
    first use as "M-Pesa paybill <shortcode>" with a ledger account of its own (1010–1099). Two first uses at once
    create it once."""
    shortcode = (settings.MPESA_SHORTCODE or "").strip()
    found = _paybill_find(shortcode)
    if found is not None:
        return found
    name = f"M-Pesa paybill {shortcode}".strip()
    try:
        with transaction.atomic():
            return bank_account_create(name=name, kind=BankAccountKind.MPESA, account_number=shortcode)
    except (IntegrityError, ValidationError):
        found = _paybill_find(shortcode) or BankAccount.objects.filter(name__iexact=name).first()
        if found is None:
            raise
        return found


def _paybill_find(shortcode: str) -> BankAccount | None:
    return (
        BankAccount.objects.filter(kind=BankAccountKind.MPESA, account_number=shortcode, active=True)
        .select_related("ledger_account")
        .order_by("created_at")
        .first()
    )


def _date(paid_at: datetime.datetime) -> datetime.date:
    """The day paid in Nairobi time; never after today (a sender's clock a little ahead must not make the services
    refuse a payment as 'in the future')."""
    if timezone.is_naive(paid_at):
        paid_at = timezone.make_aware(paid_at)
    return min(timezone.localdate(paid_at), timezone.localdate())


def _posting_date(paid_at: datetime.datetime, closed_through: datetime.date | None) -> datetime.date:
    """The day paid, or the first open day when its month is already closed (issue 18): a callback that arrives
    after the month's close posts in the open month, the receipt naming the payment, instead of failing (Safaricom
    would retry it until it gave up). The contribution period stays the month paid."""
    day = _date(paid_at)
    if closed_through is not None and day <= closed_through:
        return closed_through + datetime.timedelta(days=1)
    return day


def _amount(amount) -> Decimal:
    if isinstance(amount, float) or not isinstance(amount, (Decimal, int, str)):
        raise ValidationError({"amount": ["The amount must be a Decimal."]})
    value = Decimal(amount)
    if not value.is_finite() or value <= 0 or value != value.quantize(CENT):
        raise ValidationError({"amount": ["The amount must be positive, in shillings and cents."]})
    return value.quantize(CENT)


def mpesa_receipt_post(
    *,
    trans_id: str,
    member: Member | None,
    purpose: Purpose,
    amount: Decimal,
    paid_at: datetime.datetime,
    phone: str,
    payer_name: str = "",
    reference: str = "",
    channel: str = ReceiptChannel.C2B,
) -> ReceiptResult:
    """Post money received through M-Pesa once per receipt number (see the module's docstring for where it goes).
    A second call with the same TransID returns the first receipt (created=False) and posts nothing; with another
    amount it raises ReceiptConflict. `reference` is the account reference as the payer sent it (kept for staff)."""
    trans_id = (trans_id or "").strip().upper()
    if not trans_id or len(trans_id) > 40:
        raise ValidationError({"trans_id": ["An M-Pesa receipt number (1 to 40 characters) is required."]})
    amount = _amount(amount)
    existing = MpesaReceipt.objects.filter(trans_id=trans_id).first()
    if existing is not None:
        return _replayed(existing, amount)
    account = paybill_account()
    try:
        with transaction.atomic():
            receipt = MpesaReceipt.objects.create(
                trans_id=trans_id,
                channel=channel,
                member=member,
                purpose=Purpose(purpose),
                reference=(reference or "")[:100],
                amount=amount,
                paid_at=paid_at,
                phone=(phone or "")[:64],
                payer_name=(payer_name or "")[:150],
                status=ReceiptStatus.UNALLOCATED,
                bank_account=account,
            )
            _post(receipt, account=account, date=_posting_date(paid_at, books_closed_through()))
    except IntegrityError:
        # The same TransID committed meanwhile by another worker (our insert waited for it, then collided).
        existing = MpesaReceipt.objects.filter(trans_id=trans_id).first()
        if existing is None:
            raise
        return _replayed(existing, amount)
    return ReceiptResult(receipt, True)


def _replayed(existing: MpesaReceipt, amount: Decimal) -> ReceiptResult:
    if existing.amount != amount:
        raise ReceiptConflict(
            {
                "trans_id": [
                    f"{existing.trans_id} was already posted for KES {existing.amount:,.2f}, not KES {amount:,.2f}."
                ]
            }
        )
    return ReceiptResult(existing, False)


@dataclass(frozen=True)
class ReceiptIn:
    """One payment for mpesa_receipts_post_many, as mpesa_receipt_post takes it."""

    trans_id: str
    member: Member | None
    purpose: Purpose
    amount: Decimal
    paid_at: datetime.datetime
    phone: str
    payer_name: str = ""
    reference: str = ""
    channel: str = ReceiptChannel.C2B


def mpesa_receipts_post_many(*, receipts: list[ReceiptIn]) -> dict[str, MpesaReceipt]:
    """Post many receipts at once — the month-end burst of paybill payments — and return those posted, by TransID,
    with the same postings, receipts and notes mpesa_receipt_post gives each alone, in a few statements for the lot.

    Taken here: new TransIDs for deposits or share capital of current members (payments_record, one call per kind)
    and money that waits in 2300 Unallocated receipts — no member has the reference, the member has exited, or a "-L"
    member has no active loan (ledger_post_many). Not taken, and not returned (the caller posts them one by one with
    mpesa_receipt_post, which knows every case): replays, loan repayments of members with loans, and rows the savings
    service refuses. The receipts are inserted first, as mpesa_receipt_post does, so a delivery of the same TransID
    processed elsewhere meanwhile waits for this transaction and then finds it posted (or, inserted first elsewhere,
    sends the lot here back to the caller). All or nothing."""
    candidates: dict[str, ReceiptIn] = {}
    for item in receipts:
        trans_id = (item.trans_id or "").strip().upper()
        if 0 < len(trans_id) <= 40 and trans_id not in candidates:
            try:
                candidates[trans_id] = dataclasses.replace(item, trans_id=trans_id, amount=_amount(item.amount))
            except ValidationError:
                continue
    for trans_id in MpesaReceipt.objects.filter(trans_id__in=list(candidates)).values_list("trans_id", flat=True):
        candidates.pop(trans_id)  # replays: mpesa_receipt_post answers them
    payments = {kind: [] for kind in (MONTHLY, SHARE_CAPITAL)}
    waiting: dict[str, list[ReceiptIn]] = {}  # note → receipts for 2300
    repayers = {i.member.pk for i in candidates.values() if i.purpose == Purpose.LOAN_REPAYMENT and i.member}
    with_loans = set(
        Loan.objects.filter(member_id__in=repayers, status=LoanStatus.ACTIVE).values_list("member_id", flat=True)
    )
    for item in candidates.values():
        if item.member is None:
            waiting.setdefault("No member has this account reference.", []).append(item)
        elif item.member.status == MemberStatus.EXITED:
            waiting.setdefault("The member has exited the SACCO.", []).append(item)
        elif item.purpose == Purpose.LOAN_REPAYMENT:
            if item.member.pk not in with_loans:
                waiting.setdefault("The member has no active loan.", []).append(item)
        else:
            payments[SHARE_CAPITAL if item.purpose == Purpose.SHARE_CAPITAL else MONTHLY].append(item)
    for kind, items in payments.items():
        payments[kind] = _payable(items, kind=kind)
    taken = [item for items in [*payments.values(), *waiting.values()] for item in items]
    if not taken:
        return {}
    account = paybill_account()
    with transaction.atomic():
        try:
            with transaction.atomic():
                MpesaReceipt.objects.bulk_create([_receipt(item, account=account) for item in taken])
        except IntegrityError:
            return {}  # a TransID inserted meanwhile by another worker: the caller takes them one by one
        for kind, items in payments.items():
            _payments_post_many(items, kind=kind, account=account)
        for note, items in waiting.items():
            _unallocated_post_many(items, account=account, note=note)
        posted = MpesaReceipt.objects.filter(trans_id__in=[item.trans_id for item in taken])
        return {receipt.trans_id: receipt for receipt in posted}


def _receipt(item: ReceiptIn, *, account: BankAccount) -> MpesaReceipt:
    return MpesaReceipt(
        trans_id=item.trans_id,
        channel=item.channel,
        member=item.member,
        purpose=item.purpose,
        reference=(item.reference or "")[:100],
        amount=item.amount,
        paid_at=item.paid_at,
        phone=(item.phone or "")[:64],
        payer_name=(item.payer_name or "")[:150],
        status=ReceiptStatus.UNALLOCATED,  # until its entry is posted below
        bank_account=account,
    )


def _payable(items: list[ReceiptIn], *, kind: str) -> list[ReceiptIn]:
    """The items payments_record will take (its own validation, run ahead: a few queries for the lot)."""
    if not items:
        return []
    checked = payments_validate(kind=kind, items=_payment_items(items, kind=kind))
    return [item for item, check in zip(items, checked, strict=True) if not check.errors]


def _payment_items(items: list[ReceiptIn], *, kind: str) -> list[PaymentItem]:
    closed_through = books_closed_through()
    return [
        PaymentItem(
            item.member,
            item.amount,
            period=period_of(_date(item.paid_at)) if kind == MONTHLY else None,
            date=_posting_date(item.paid_at, closed_through),
            reference=item.trans_id,
            below_minimum_reason="M-Pesa paybill payment" if kind == MONTHLY else "",
            row=row,
        )
        for row, item in enumerate(items, start=1)
    ]


def _payments_post_many(items: list[ReceiptIn], *, kind: str, account: BankAccount) -> None:
    """Post the items as payments of one kind and mark their receipts posted, each with its entry and note."""
    if not items:
        return
    payment_items = _payment_items(items, kind=kind)
    payments_record(kind=kind, items=payment_items, source=PaymentSource.API, bank_account=account)
    prefix = "share-capital" if kind == SHARE_CAPITAL else "monthly"
    notes: dict[str, list[str]] = {}
    for item, payment_item in zip(items, payment_items, strict=True):
        note = "Share capital" if kind == SHARE_CAPITAL else f"Deposits for {payment_item.period:%Y-%m}"
        notes.setdefault(note, []).append(item.trans_id)
    for note, trans_ids in notes.items():
        _receipts_mark(trans_ids, key_prefix=prefix, status=ReceiptStatus.POSTED, note=note)


def _unallocated_post_many(items: list[ReceiptIn], *, account: BankAccount, note: str) -> None:
    """Dr paybill / Cr 2300 Unallocated receipts [member, when known] for each, as _to_unallocated posts one."""
    postings = []
    closed_through = books_closed_through()
    for item in items:
        memo = f"M-Pesa {item.trans_id} from {item.phone or 'unknown'} ref. {item.reference or '-'}"[:255]
        postings.append(
            Posting(
                memo=memo,
                lines=[
                    Line(account.ledger_account.code, debit=item.amount, description=memo),
                    Line(
                        UNALLOCATED,
                        credit=item.amount,
                        member_id=item.member.pk if item.member else None,
                        description="Unallocated receipt",
                    ),
                ],
                idempotency_key=f"mpesa:{item.trans_id}",
                date=_posting_date(item.paid_at, closed_through),
                source=item.trans_id,
            )
        )
    ledger_post_many(postings=postings)
    _receipts_mark([item.trans_id for item in items], key_prefix="mpesa", status=ReceiptStatus.UNALLOCATED, note=note)


def _receipts_mark(trans_ids: list[str], *, key_prefix: str, status: str, note: str) -> None:
    """One UPDATE: each receipt gets the entry posted under `<key_prefix>:<TransID>`, the status and the note."""
    entry = JournalEntry.objects.filter(idempotency_key=Concat(Value(f"{key_prefix}:"), OuterRef("trans_id")))
    MpesaReceipt.objects.filter(trans_id__in=trans_ids).update(
        entry_id=Subquery(entry.values("pk")[:1]), status=status, note=note[:255]
    )


def _post(receipt: MpesaReceipt, *, account: BankAccount, date: datetime.date) -> None:
    member = receipt.member
    if member is None:
        return _to_unallocated(receipt, account=account, date=date, note="No member has this account reference.")
    if member.status == MemberStatus.EXITED:
        return _to_unallocated(receipt, account=account, date=date, note="The member has exited the SACCO.")
    if receipt.purpose == Purpose.LOAN_REPAYMENT:
        return _loan_repayment(receipt, account=account, date=date)
    kind = SHARE_CAPITAL if receipt.purpose == Purpose.SHARE_CAPITAL else MONTHLY
    item = PaymentItem(
        member,
        receipt.amount,
        period=period_of(_date(receipt.paid_at)) if kind == MONTHLY else None,  # the month paid, whatever the date
        date=date,
        reference=receipt.trans_id,
        below_minimum_reason="M-Pesa paybill payment" if kind == MONTHLY else "",
    )
    try:
        with transaction.atomic():
            result = payments_record(kind=kind, items=[item], source=PaymentSource.API, bank_account=account)[0]
    except (PaymentsInvalid, ValidationError, LedgerError) as exc:
        reason = "; ".join(getattr(exc, "messages", [str(exc)]))
        return _to_unallocated(receipt, account=account, date=date, note=f"Not posted as asked: {reason}")
    receipt.entry_id = result.record.entry_id
    receipt.status = ReceiptStatus.POSTED
    receipt.note = "Share capital" if kind == SHARE_CAPITAL else f"Deposits for {item.period:%Y-%m}"
    receipt.save(update_fields=["entry", "status", "note"])


def _to_unallocated(receipt: MpesaReceipt, *, account: BankAccount, date: datetime.date, note: str) -> None:
    """Dr paybill / Cr 2300 Unallocated receipts [member, when known]."""
    memo = f"M-Pesa {receipt.trans_id} from {receipt.phone or 'unknown'} ref. {receipt.reference or '-'}"[:255]
    result = ledger_post(
        memo=memo,
        lines=[
            Line(account.ledger_account.code, debit=receipt.amount, description=memo),
            Line(UNALLOCATED, credit=receipt.amount, member_id=receipt.member_id, description="Unallocated receipt"),
        ],
        idempotency_key=f"mpesa:{receipt.trans_id}",
        date=date,
        source=receipt.trans_id,
    )
    receipt.entry = result.entry
    receipt.status = ReceiptStatus.UNALLOCATED
    receipt.note = note[:255]
    receipt.save(update_fields=["entry", "status", "note"])


def _loan_repayment(receipt: MpesaReceipt, *, account: BankAccount, date: datetime.date) -> None:
    """In to 2300 [member], then across the member's active loans as a check-off repayment is (allocation_plan);
    no active loan: it stays in 2300 for staff."""
    member = receipt.member
    loans = list(
        Loan.objects.select_for_update(of=("self",))
        .filter(member_id=member.pk, status=LoanStatus.ACTIVE)
        .order_by("disbursed_on", "pk")
    )
    _to_unallocated(receipt, account=account, date=date, note="The member has no active loan.")
    # Issue 16: no active loan but a written-off one still owing: the money is a recovery (loans/write_off.py, 4300).
    written_off = None if loans else recoverable_loans().filter(member_id=member.pk).order_by("disbursed_on").first()
    if not loans and written_off is None:
        return
    try:
        with transaction.atomic():
            if written_off is not None:
                loan_repay(
                    loan=written_off,
                    amount=receipt.amount,
                    reference=receipt.trans_id,
                    date=date,
                    recorded_by=None,
                    from_unallocated=True,
                )
            else:
                loans_allocate(
                    member=member,
                    loans=loans,
                    amount=receipt.amount,
                    date=date,
                    stem=receipt.trans_id,
                    by=None,
                    source=receipt.trans_id,
                )
    except (ValidationError, LedgerError, LoanStateError) as exc:  # e.g. the reference was used by a counter repayment
        reason = "; ".join(getattr(exc, "messages", [str(exc)]))
        receipt.note = f"Not applied to the loans: {reason}"[:255]
        receipt.save(update_fields=["note"])
        return
    receipt.status = ReceiptStatus.POSTED
    receipt.note = "Recovery on a written-off loan" if written_off is not None else "Loan repayment"
    receipt.save(update_fields=["status", "note"])


def loans_allocate(
    *, member: Member, loans: list[Loan], amount: Decimal, date: datetime.date, stem: str, by, source: str
) -> tuple[Decimal, Decimal]:
    """Move `amount` held in 2300 [member] to the member's loans (what is due first, then the oldest ahead of
    schedule) and anything beyond every balance to deposits. Returns (to loans, to deposits)."""
    plan, leftover = allocation_plan(loans=loans, amount=amount, date=date)
    to_loans = ZERO
    for n, (loan, part) in enumerate(plan):
        loan_repay(
            loan=loan,
            amount=part,
            reference=stem if n == 0 else f"{stem}:{n}",
            date=date,
            recorded_by=by,
            from_unallocated=True,
        )
        to_loans += part
    if leftover > 0:
        memo = f"M-Pesa loan repayment beyond every loan balance, {member.membership_number}"
        ledger_post(
            memo=memo,
            lines=[
                Line(UNALLOCATED, debit=leftover, member_id=member.pk, description=memo),
                Line(DEPOSITS, credit=leftover, member_id=member.pk, description="Loan overpayment to deposits"),
            ],
            idempotency_key=f"mpesa-allocation:{stem}:deposits",
            posted_by=by,
            date=date,
            source=source,
        )
        summaries_refresh(member_ids=[member.pk])
    return to_loans, leftover


# --- staff allocation of what waits in 2300 ------------------------------------------------------------------------
class ReceiptAlreadyAllocated(StateConflict):
    """The receipt is no longer waiting in 2300 (allocated meanwhile, perhaps by a second click)."""


@dataclass(frozen=True)
class Split:
    """How staff divide a receipt; the parts must add up to the receipt's amount."""

    deposits: Decimal = ZERO
    loan_repayment: Decimal = ZERO
    share_capital: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.deposits + self.loan_repayment + self.share_capital


def _loans_owed(loans: list[Loan]) -> Decimal:
    return sum((i.outstanding for loan in loans for i in loan.instalments.all()), ZERO)


def receipt_allocate(*, receipt: MpesaReceipt, member: Member, split: Split, by) -> MpesaReceipt:
    """Move a receipt waiting in 2300 to a member's deposits, loans and share capital, once (the receipt row is
    locked and must still be unallocated: a second confirm raises ReceiptAlreadyAllocated and posts nothing).

    Entries are dated today (the day the money moves out of suspense); the deposit counts for the month it was paid.
    - the receipt held for no one or for another member: Dr 2300 [as held] / Cr 2300 [member] first;
    - deposits: Dr 2300 / Cr 2000 [member], a monthly contribution; share capital: Dr 2300 / Cr 3000 [member];
    - loans: through loan_repay(from_unallocated=True), spread over the active loans as a check-off repayment is,
      never more than they owe (the rest belongs in deposits)."""
    errors: dict[str, list[str]] = {}
    if member is None:
        errors["member"] = ["Choose the member the money belongs to."]
    elif member.status == MemberStatus.EXITED:
        errors["member"] = [f"{member.membership_number} has exited the SACCO: refund the money instead."]
    for name in ("deposits", "loan_repayment", "share_capital"):
        value = getattr(split, name)
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or value != value.quantize(CENT):
            errors[name] = ["Enter an amount of zero or more, in shillings and cents."]
    if not errors and split.total != receipt.amount:
        errors["__all__"] = [
            f"The parts add up to KES {split.total:,.2f}; they must add up to the receipt's KES {receipt.amount:,.2f}."
        ]
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    with transaction.atomic():
        locked = MpesaReceipt.objects.select_for_update().get(pk=receipt.pk)
        if locked.status != ReceiptStatus.UNALLOCATED:
            raise ReceiptAlreadyAllocated(f"{locked.trans_id} is already {locked.get_status_display().lower()}.")
        loans = []
        if split.loan_repayment > 0:
            loans = list(
                Loan.objects.select_for_update(of=("self",))
                .filter(member_id=member.pk, status=LoanStatus.ACTIVE)
                .order_by("disbursed_on", "pk")
            )
            owed = _loans_owed(loans)
            if not loans:
                raise ValidationError({"loan_repayment": [f"{member.membership_number} has no active loan."]})
            if split.loan_repayment > owed:
                raise ValidationError(
                    {"loan_repayment": [f"The loans owe KES {owed:,.2f} in all; put the rest in deposits."]}
                )
        loan_stem = receipt_loan_stem(locked)  # a new one after the receipt came back from a loan reversal
        stem = f"mpesa-allocation:{loan_stem}"
        what = f"M-Pesa {locked.trans_id} allocated"
        if locked.member_id != member.pk:
            ledger_post(
                memo=f"{what} to {member.membership_number}",
                lines=[
                    Line(UNALLOCATED, debit=locked.amount, member_id=locked.member_id, description=what),
                    Line(UNALLOCATED, credit=locked.amount, member_id=member.pk, description=what),
                ],
                idempotency_key=f"{stem}:member",
                posted_by=by,
                date=today,
                source=locked.trans_id,
            )
        period = period_of(timezone.localdate(locked.paid_at))
        for amount, code, model, label in (
            (split.deposits, DEPOSITS, MonthlyContribution, "deposits"),
            (split.share_capital, SHARE_CAPITAL_ACCOUNT, ShareCapitalPayment, "share-capital"),
        ):
            if amount <= 0:
                continue
            memo = f"{what} to {label} of {member.membership_number}"
            posted = ledger_post(
                memo=memo,
                lines=[
                    Line(UNALLOCATED, debit=amount, member_id=member.pk, description=memo),
                    Line(code, credit=amount, member_id=member.pk, description=memo),
                ],
                idempotency_key=f"{stem}:{label}",
                posted_by=by,
                date=today,
                source=locked.trans_id,
            )
            record = dict(
                member=member,
                amount=amount,
                date=today,
                reference=locked.trans_id,
                source=PaymentSource.API,
                bank_account=locked.bank_account,
                recorded_by=by,
                entry=posted.entry,
            )
            if model is MonthlyContribution:
                record.update(period=period, below_minimum_reason="M-Pesa receipt allocated by staff")
            model.objects.create(**record)
        summaries_add(deltas={member.pk: (split.share_capital, split.deposits)})
        if split.loan_repayment > 0:
            loans_allocate(
                member=member,
                loans=loans,
                amount=split.loan_repayment,
                date=today,
                stem=loan_stem,
                by=by,
                source=locked.trans_id,
            )
        locked.member = member
        locked.status = ReceiptStatus.ALLOCATED
        locked.allocated_at = timezone.now()
        locked.allocated_by = by
        locked.note = (
            f"Allocated: deposits {split.deposits:,.2f}, loans {split.loan_repayment:,.2f}, "
            f"share capital {split.share_capital:,.2f}"
        )
        locked.save(update_fields=["member", "status", "allocated_at", "allocated_by", "note"])
        audit_log(
            instance=locked,
            action=POST,
            by=by,
            summary=f"M-Pesa {locked.trans_id} KES {locked.amount:,.2f} allocated to {member.membership_number}: "
            f"{locked.note[len('Allocated: ') :]}",
        )
    return locked
