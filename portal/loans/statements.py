"""Loan statements (L11), read from the ledger: every line on the loan's receivable accounts (1100 principal,
1110 interest, 1120 penalties) in date order, with the running balance the member owes."""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string

from portal.finance.ledger.models import JournalLine
from portal.society.policy import sacco_settings

from .models import Loan

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


def loan_statement(*, loan: Loan) -> list[StatementRow]:
    """One row per journal entry that touched the loan, in order; one query."""
    lines = (
        JournalLine.objects.filter(loan=loan, account__code__in=RECEIVABLES)
        .select_related("entry", "account")
        .order_by("entry__date", "entry__posted_at", "entry_id")
    )
    rows: list[StatementRow] = []
    balance = Decimal("0.00")
    current = None
    debit = credit = Decimal("0.00")
    kinds: list[str] = []

    def flush():
        nonlocal balance
        if current is None:
            return
        balance += debit - credit
        label = current.memo if debit else f"{current.memo} ({', '.join(kinds).lower()})"
        rows.append(StatementRow(current.date, label, current.source, debit, credit, balance))

    for line in lines:
        if current is None or line.entry_id != current.pk:
            flush()
            current, debit, credit, kinds = line.entry, Decimal("0.00"), Decimal("0.00"), []
        debit += line.debit
        credit += line.credit
        kinds.append(KIND[line.account.code])
    flush()
    return rows


def loan_statement_pdf(*, loan: Loan) -> bytes:
    from xhtml2pdf import pisa

    html = render_to_string(
        "loans/statement_pdf.html",
        {
            "loan": loan,
            "rows": loan_statement(loan=loan),
            "sacco": sacco_settings(),
            "generated": datetime.datetime.now(),
        },
    )
    output = io.BytesIO()
    if pisa.CreatePDF(html, dest=output, encoding="utf-8").err:
        raise RuntimeError("The statement PDF could not be rendered.")
    return output.getvalue()
