"""Receipts (issue 18): a PDF for each payment a member made, read from the journal.

A payment is a journal entry in which money came in (a debit on a cash, bank or M-Pesa account, codes 1000–1099)
and the member's own lines are credited: deposits, share capital, what they owe on a loan, or money held for them.
Contributions, share capital, loan repayments and M-Pesa receipts are all such entries; a dividend credited to
deposits, a loan disbursement or a transfer between the member's own accounts are not (no money came in). A
reversal is not a payment, and a payment that was reversed has no receipt (and a receipt issued before the
reversal no longer matches the books).

Members and finance are one layer that do not import each other: callers give the member's id, and for the PDF
the name and membership number to print.
"""

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.template.defaultfilters import floatformat
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.society.document_refs import Books, document_ref_sign, figures_digest, uuid_of, uuid_text, verify_url
from portal.society.policy import sacco_settings
from portal.society.statement_pdf import StatementTable, statement_pdf

from .ledger.models import JournalEntry, JournalLine

RECEIPT_KIND = "r"
CASH_CODES = ("1000", "1100")  # [from, to): cash on hand, the bank accounts (1010–1099) and the M-Pesa paybill
PAID_TO = {
    "2000": _("Deposits"),
    "3000": _("Share capital"),
    "1100": _("Loan principal"),
    "1110": _("Loan interest"),
    "1120": _("Loan penalties"),
    "2300": _("Held for you (to be allocated)"),
    "2100": _("Held for you"),
    "2110": _("Held for you"),
    "2400": _("Held for you"),
}


@dataclass(frozen=True)
class ReceiptLine:
    code: str
    label: str
    amount: Decimal


@dataclass(frozen=True)
class Receipt:
    entry_id: uuid.UUID
    member_id: uuid.UUID
    date: datetime.date
    reference: str
    memo: str
    lines: list[ReceiptLine]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    def digest(self) -> str:
        figures = [self.entry_id, self.member_id, self.date.isoformat(), self.reference]
        figures += [f"{line.code}={line.amount:.2f}" for line in self.lines]
        return figures_digest(figures)


def receipt_of(*, entry_id, member_id) -> Receipt | None:
    """The member's receipt for a journal entry, or None when the entry is not a payment of theirs (not theirs,
    no money came in, a reversal, or reversed). Two queries."""
    entry = JournalEntry.objects.filter(pk=entry_id, reversal_of__isnull=True).first()
    if entry is None or JournalEntry.objects.filter(reversal_of=entry).exists():
        return None
    lines = list(entry.lines.select_related("account").order_by("pk"))
    money_in = any(CASH_CODES[0] <= line.account.code < CASH_CODES[1] and line.debit for line in lines)
    credited: dict[str, Decimal] = {}
    for line in lines:
        if line.member_id == member_id and line.credit and line.account.code in PAID_TO:
            credited[line.account.code] = credited.get(line.account.code, Decimal("0.00")) + line.credit
    if not money_in or not credited:
        return None
    return Receipt(
        entry_id=entry.pk,
        member_id=member_id,
        date=entry.date,
        reference=entry.source,
        memo=entry.memo,
        lines=[ReceiptLine(code, str(PAID_TO[code]), amount) for code, amount in sorted(credited.items())],
    )


def receipt_annotations(*, entry_field: str = "entry_id") -> dict:
    """For a queryset of the member's own credit lines (or rows pointing at an entry): `receipt_money_in` and
    `receipt_reversed`, so a list page tells which rows have a receipt in its own query (no query per row). A row
    has a receipt when money came in and the entry was not reversed (receipt_of's rule)."""
    return {
        "receipt_money_in": Exists(
            JournalLine.objects.filter(
                entry_id=OuterRef(entry_field),
                debit__gt=0,
                account__code__gte=CASH_CODES[0],
                account__code__lt=CASH_CODES[1],
            )
        ),
        "receipt_reversed": Exists(JournalEntry.objects.filter(reversal_of_id=OuterRef(entry_field))),
    }


def receipt_ref(receipt: Receipt) -> str:
    return document_ref_sign(
        kind=RECEIPT_KIND, ids=[uuid_text(receipt.entry_id), uuid_text(receipt.member_id)], digest=receipt.digest()
    )


def receipt_books(ids: tuple[str, ...]) -> Books | None:
    """What the books say now about a receipt (the document registry's function for kind "r")."""
    entry_text, member_text = ids
    receipt = receipt_of(entry_id=uuid_of(entry_text), member_id=uuid_of(member_text))
    if receipt is None:
        return None
    return Books(digest=receipt.digest(), date=receipt.date, amount=receipt.total)


def receipt_pdf(*, receipt: Receipt, member_name: str, membership_number: str, base_url: str = "") -> bytes:
    """The receipt as a PDF in the active language (ReportLab), ending with its QR code."""
    day = date_format(receipt.date, "j M Y")
    rows = [[day, line.label, floatformat(line.amount, "2g")] for line in receipt.lines]
    rows.append(["", gettext("Total received"), floatformat(receipt.total, "2g")])
    table = StatementTable(
        heading=None,
        columns=[gettext("Date"), gettext("Paid to"), gettext("Amount (KES)")],
        rows=rows,
        numeric={2},
        strong_rows={len(rows) - 1},
    )
    intro = [f"{member_name} · {membership_number}", gettext("Received %(date)s") % {"date": day}]
    if receipt.reference:
        intro.append(gettext("Reference: %(reference)s") % {"reference": receipt.reference})
    intro.append(receipt.memo)
    closing = gettext("Issued %(when)s from the general ledger.") % {
        "when": date_format(datetime.datetime.now(), "j M Y H:i")
    }
    return statement_pdf(
        society=sacco_settings().name,
        title=gettext("Receipt"),
        intro=intro,
        tables=[table],
        closing=closing,
        verify_url=verify_url(receipt_ref(receipt), base_url=base_url),
        verify_text=gettext("Scan the code, or open the address, to check this receipt against the society's books."),
    )
