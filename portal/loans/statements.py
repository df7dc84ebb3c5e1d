"""Loan statements (L11), read from the ledger: every line on the loan's receivable accounts (1100 principal,
1110 interest, 1120 penalties) in date order, with the running balance the member owes."""

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from portal.finance.ledger.models import JournalLine
from portal.finance.receipts import receipt_annotations
from portal.society.document_refs import (
    Books,
    date_of,
    date_text,
    document_ref_sign,
    figures_digest,
    uuid_of,
    uuid_text,
    verify_url,
)
from portal.society.policy import sacco_settings
from portal.society.statement_pdf import StatementTable, statement_pdf

from .models import Loan

LOAN_STATEMENT_KIND = "l"
RECEIVABLES = ["1100", "1110", "1120"]
KIND = {"1100": "Principal", "1110": "Interest", "1120": "Penalty"}


@dataclass(frozen=True)
class StatementRow:
    date: datetime.date
    description: str
    reference: str
    debit: Decimal  # what was added to the balance
    credit: Decimal  # what was paid off
    balance: Decimal
    receipt_entry_id: uuid.UUID | None = None  # with_receipts: the payment's entry, when it has a receipt (issue 18)


def loan_statement(
    *, loan: Loan, as_of: datetime.date | None = None, with_receipts: bool = False
) -> list[StatementRow]:
    """One row per journal entry that touched the loan, in order (up to `as_of` if given); one query. With
    `with_receipts` (the member's loan page), a payment that has a receipt says which entry it is, in the same
    query."""
    lines = JournalLine.objects.filter(loan=loan, account__code__in=RECEIVABLES)
    if as_of is not None:
        lines = lines.filter(entry__date__lte=as_of)
    if with_receipts:
        lines = lines.annotate(**receipt_annotations())
    # Ordered to the line: a row's label lists its lines' kinds, and the digest (issue 18) must come out the same.
    lines = lines.select_related("entry", "account").order_by("entry__date", "entry__posted_at", "entry_id", "pk")
    rows: list[StatementRow] = []
    balance = Decimal("0.00")
    current = None
    debit = credit = Decimal("0.00")
    kinds: list[str] = []
    receipt = False

    def flush():
        nonlocal balance
        if current is None:
            return
        balance += debit - credit
        label = current.memo if debit else f"{current.memo} ({', '.join(kinds).lower()})"
        receipt_entry_id = current.pk if receipt and credit > debit else None
        rows.append(StatementRow(current.date, label, current.source, debit, credit, balance, receipt_entry_id))

    for line in lines:
        if current is None or line.entry_id != current.pk:
            flush()
            current, debit, credit, kinds = line.entry, Decimal("0.00"), Decimal("0.00"), []
            receipt = with_receipts and line.receipt_money_in and not line.receipt_reversed
        debit += line.debit
        credit += line.credit
        kinds.append(KIND[line.account.code])
    flush()
    return rows


def loan_statement_digest(*, loan: Loan, as_of: datetime.date, rows: list[StatementRow]) -> str:
    """A digest of every row the statement states (issue 18): a posting on the loan dated up to `as_of` changes it,
    a repayment after it does not (the statement said nothing about later days)."""
    figures = [loan.pk, as_of.isoformat()]
    for row in rows:
        figures += [row.date.isoformat(), row.description, row.reference]
        figures += [f"{row.debit:.2f}", f"{row.credit:.2f}", f"{row.balance:.2f}"]
    return figures_digest(figures)


def loan_statement_ref(*, loan: Loan, as_of: datetime.date, rows: list[StatementRow]) -> str:
    return document_ref_sign(
        kind=LOAN_STATEMENT_KIND,
        ids=[uuid_text(loan.pk), date_text(as_of)],
        digest=loan_statement_digest(loan=loan, as_of=as_of, rows=rows),
    )


def loan_statement_books(ids: tuple[str, ...]) -> Books | None:
    """What the books say now about a loan statement (the document registry's function for kind "l")."""
    loan_text, as_of_text = ids
    loan = Loan.objects.filter(pk=uuid_of(loan_text)).first()
    if loan is None:
        return None
    as_of = date_of(as_of_text)
    rows = loan_statement(loan=loan, as_of=as_of)
    return Books(digest=loan_statement_digest(loan=loan, as_of=as_of, rows=rows), date=as_of)


def loan_statement_pdf(*, loan: Loan, base_url: str = "") -> bytes:
    """The statement as a PDF in the active language, drawn with ReportLab (portal/society/statement_pdf.py): a
    5-year loan's 119 rows in a few tens of milliseconds, where HTML-to-PDF took half a second. It ends with the
    QR code of its signed reference (issue 18), as of today (or the last row's date, if later)."""
    rows = loan_statement(loan=loan)
    as_of = max([timezone.localdate(), *(row.date for row in rows)])
    member = loan.member
    details = ngettext(
        "%(name)s: KES %(principal)s at %(annual_rate)s %% a year (%(method)s), %(months)s month, disbursed "
        "%(disbursed_on)s. Status: %(status)s.",
        "%(name)s: KES %(principal)s at %(annual_rate)s %% a year (%(method)s), %(months)s months, disbursed "
        "%(disbursed_on)s. Status: %(status)s.",
        loan.term_months,
    ) % {
        "name": loan.product.name,
        "principal": floatformat(loan.principal, "2g"),
        "annual_rate": floatformat(loan.annual_rate, "-2"),
        "method": loan.get_method_display().lower(),
        "months": loan.term_months,
        "disbursed_on": date_format(loan.disbursed_on, "j M Y") if loan.disbursed_on else "",
        "status": loan.get_status_display(),
    }
    table = StatementTable(
        heading=None,
        columns=[gettext("Date"), gettext("Description"), gettext("Reference"), gettext("Charged"), gettext("Paid")]
        + [gettext("Balance")],
        rows=[
            [
                date_format(row.date, "j M Y"),
                row.description,
                row.reference,
                floatformat(row.debit, "2g") if row.debit else "",
                floatformat(row.credit, "2g") if row.credit else "",
                floatformat(row.balance, "2g"),
            ]
            for row in rows
        ],
        numeric={3, 4, 5},
    )
    closing = gettext(
        "Generated %(generated)s. Interest is shown as it falls due; instalments not yet due are not in the balance."
    ) % {"generated": date_format(datetime.datetime.now(), "j M Y H:i")}
    return statement_pdf(
        society=sacco_settings().name,
        title=gettext("Loan statement"),
        intro=[f"{member.user.get_full_name()} · {member.membership_number}", details],
        tables=[table],
        closing=closing,
        verify_url=verify_url(loan_statement_ref(loan=loan, as_of=as_of, rows=rows), base_url=base_url),
        verify_text=gettext("Scan the code, or open the address, to check this statement against the society's books."),
    )
