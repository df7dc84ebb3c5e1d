"""Member statements for a period (R2), from the ledger: for each of the member's accounts — share capital,
deposits, loans (principal, interest and penalties owed) and anything held for them (dividends payable,
unallocated receipts) — the opening balance, every movement with a running balance, and the closing balance.

Two queries: the opening balances per account, then the period's lines in date order. Sent by email on request
as a PDF attachment through Django's mail backend.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db.models import Sum
from django.template.defaultfilters import floatformat
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.finance.ledger.models import JournalLine
from portal.members.models import Member
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
from portal.society.money import sum_to_cents
from portal.society.policy import sacco_settings
from portal.society.statement_pdf import StatementTable, statement_pdf

STATEMENT_KIND = "s"

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
            sections.append(
                {"title": str(title), "codes": codes, "opening": opening_balance, "rows": rows, "closing": balance}
            )
    return {"member": member, "start": start, "end": end, "sections": sections}


def member_statement_digest(statement: dict) -> str:
    """A digest of every figure the statement states (issue 18): any posting in the period, or before it (the
    opening balances), changes it; the section titles are left out (they are in the reader's language)."""
    figures = [statement["member"].pk, statement["start"].isoformat(), statement["end"].isoformat()]
    for section in statement["sections"]:
        figures += ["|".join(section["codes"]), f"{section['opening']:.2f}", f"{section['closing']:.2f}"]
        for row in section["rows"]:
            figures += [row["date"].isoformat(), row["description"], row["reference"]]
            figures += [f"{row['in']:.2f}", f"{row['out']:.2f}", f"{row['balance']:.2f}"]
    return figures_digest(figures)


def member_statement_ref(statement: dict) -> str:
    ids = [uuid_text(statement["member"].pk), date_text(statement["start"]), date_text(statement["end"])]
    return document_ref_sign(kind=STATEMENT_KIND, ids=ids, digest=member_statement_digest(statement))


def member_statement_books(ids: tuple[str, ...]) -> Books | None:
    """What the books say now about a member statement (the document registry's function for kind "s")."""
    member_text, start_text, end_text = ids
    member = Member.objects.filter(pk=uuid_of(member_text)).first()
    if member is None:
        return None
    start, end = date_of(start_text), date_of(end_text)
    statement = member_statement(member=member, start=start, end=end)
    return Books(digest=member_statement_digest(statement), period_start=start, period_end=end)


def member_statement_pdf(statement: dict, *, base_url: str = "") -> bytes:
    """The statement as a PDF in the active language, drawn with ReportLab (portal/society/statement_pdf.py): a
    5-year statement in a few tens of milliseconds, where HTML-to-PDF took half a second and more."""
    start, end = date_format(statement["start"], "j M Y"), date_format(statement["end"], "j M Y")
    columns = [gettext("Date"), gettext("Description"), gettext("Reference"), gettext("In"), gettext("Out")]
    columns.append(gettext("Balance"))
    tables = []
    for section in statement["sections"]:
        rows = [[start, gettext("Opening balance"), "", "", "", floatformat(section["opening"], "2g")]]
        rows += [
            [
                date_format(row["date"], "j M Y"),
                row["description"],
                row["reference"],
                floatformat(row["in"], "2g") if row["in"] else "",
                floatformat(row["out"], "2g") if row["out"] else "",
                floatformat(row["balance"], "2g"),
            ]
            for row in section["rows"]
        ]
        rows.append([end, gettext("Closing balance"), "", "", "", floatformat(section["closing"], "2g")])
        tables.append(
            StatementTable(
                heading=section["title"], columns=columns, rows=rows, numeric={3, 4, 5}, strong_rows={len(rows) - 1}
            )
        )
    member = statement["member"]
    intro = [f"{start} – {end}"]
    intro.append(f"{member.user.get_full_name()} · {member.membership_number}")
    if not tables:
        intro.append(gettext("Nothing on your accounts in this period."))
    closing = gettext("Generated %(when)s from the general ledger.") % {
        "when": date_format(datetime.datetime.now(), "j M Y H:i")
    }
    return statement_pdf(
        society=sacco_settings().name,
        title=gettext("Member statement"),
        intro=intro,
        tables=tables,
        closing=closing,
        verify_url=verify_url(member_statement_ref(statement), base_url=base_url),
        verify_text=gettext("Scan the code, or open the address, to check this statement against the society's books."),
    )


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
