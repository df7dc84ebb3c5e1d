"""Member statements for a period (R2), from the ledger: for each of the member's accounts — share capital,
deposits, loans (principal, interest and penalties owed) and anything held for them (dividends payable,
unallocated receipts) — the opening balance, every movement with a running balance, and the closing balance.

Two queries: the opening balances per account, then the period's lines in date order. Sent by email on request
as a PDF attachment through Django's mail backend.
"""

import datetime
import io
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db.models import Sum
from django.template.loader import render_to_string

from portal.finance.ledger.models import JournalLine
from portal.society.money import sum_to_cents
from portal.society.policy import sacco_settings

ZERO = Decimal("0.00")
# (title, account codes, the side that increases the balance shown)
SECTIONS = [
    ("Share capital", ("3000",), "credit"),
    ("Deposits", ("2000",), "credit"),
    ("Loans (what you owe)", ("1100", "1110", "1120"), "debit"),
    ("Held for you", ("2100", "2110", "2300"), "credit"),
]


def member_statement(*, member, start: datetime.date, end: datetime.date) -> dict:
    if start > end:
        raise ValidationError({"start": ["The period starts after it ends."]})
    lines = JournalLine.objects.filter(member=member, date__lte=end)
    opening = {
        row["account__code"]: sum_to_cents(row["d"]) - sum_to_cents(row["c"])
        for row in lines.filter(date__lt=start).values("account__code").annotate(d=Sum("debit"), c=Sum("credit"))
    }
    movements = list(
        lines.filter(date__gte=start).select_related("entry", "account").order_by("date", "entry__posted_at", "pk")
    )
    sections = []
    for title, codes, increases in SECTIONS:
        sign = 1 if increases == "debit" else -1
        balance = sign * sum((opening.get(code, ZERO) for code in codes), ZERO)
        rows, opening_balance = [], balance
        for line in movements:
            if line.account.code not in codes:
                continue
            change = sign * (line.debit - line.credit)
            balance += change
            rows.append(
                {
                    "date": line.date,
                    "description": line.description or line.entry.memo,
                    "reference": line.entry.source,
                    "in": change if change > 0 else ZERO,
                    "out": -change if change < 0 else ZERO,
                    "balance": balance,
                }
            )
        if rows or opening_balance:
            sections.append({"title": title, "opening": opening_balance, "rows": rows, "closing": balance})
    return {"member": member, "start": start, "end": end, "sections": sections}


def member_statement_pdf(statement: dict) -> bytes:
    from xhtml2pdf import pisa

    html = render_to_string(
        "reports/member_statement_pdf.html",
        {"s": statement, "sacco": sacco_settings(), "generated": datetime.datetime.now()},
    )
    output = io.BytesIO()
    if pisa.CreatePDF(html, dest=output, encoding="utf-8").err:
        raise RuntimeError("The statement PDF could not be rendered.")
    return output.getvalue()


def member_statement_email(*, member, start: datetime.date, end: datetime.date) -> None:
    """Email the member their statement as a PDF (console in development, SMTP in production)."""
    statement = member_statement(member=member, start=start, end=end)
    sacco = sacco_settings()
    message = EmailMessage(
        subject=f"Your {sacco.name} statement, {start:%d %b %Y} – {end:%d %b %Y}",
        body=(
            f"Dear {member.user.first_name},\n\nYour statement for {start:%d %B %Y} to {end:%d %B %Y} is attached "
            f"(share capital, deposits, loans and anything held for you).\n\n{sacco.name}"
        ),
        to=[member.user.email],
    )
    message.attach(f"statement-{start}-{end}.pdf", member_statement_pdf(statement), "application/pdf")
    message.send()
