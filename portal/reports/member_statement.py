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
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.finance.ledger.models import JournalLine
from portal.society.money import sum_to_cents
from portal.society.policy import sacco_settings

ZERO = Decimal("0.00")
# (title, account codes, the side that increases the balance shown). The titles are lazy and given as text in the
# language active when the statement is built: the reader's (page, PDF, API) or the member's (email).
SECTIONS = [
    (_("Share capital"), ("3000",), "credit"),
    (_("Deposits"), ("2000",), "credit"),
    (_("Loans (what you owe)"), ("1100", "1110", "1120"), "debit"),
    (_("Held for you"), ("2100", "2110", "2300", "2400"), "credit"),
]


def member_statement(*, member, start: datetime.date, end: datetime.date) -> dict:
    if start > end:
        raise ValidationError({"start": [_("The period starts after it ends.")]})
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
            sections.append({"title": str(title), "opening": opening_balance, "rows": rows, "closing": balance})
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
    """Email the member their statement as a PDF (console in development, SMTP in production), in the member's
    language whoever asked for it (a clerk may send it)."""
    sacco = sacco_settings()
    with translation.override(member.user.language or translation.get_language()):
        statement = member_statement(member=member, start=start, end=end)
        period = {"sacco": sacco.name, "start": date_format(start, "j M Y"), "end": date_format(end, "j M Y")}
        message = EmailMessage(
            subject=gettext("Your %(sacco)s statement, %(start)s – %(end)s") % period,
            body=gettext(
                "Dear %(name)s,\n\nYour statement for %(start)s to %(end)s is attached (share capital, deposits, "
                "loans and anything held for you).\n\n%(sacco)s"
            )
            % {**period, "name": member.user.first_name},
            to=[member.user.email],
        )
        message.attach(f"statement-{start}-{end}.pdf", member_statement_pdf(statement), "application/pdf")
    message.send()
