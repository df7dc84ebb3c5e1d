"""Dividend advice (issue 18): one PDF per MemberDividend — the year, how the dividend and the interest on deposits
were computed, the tax withheld and what was paid — with the QR code of its signed reference.

It matches the books while the member's dividend row states the same figures and its journal entry stands (not
reversed)."""

import datetime

from django.template.defaultfilters import floatformat
from django.utils.formats import date_format
from django.utils.translation import gettext

from portal.finance.ledger.models import JournalEntry
from portal.society.document_refs import Books, document_ref_sign, figures_digest, verify_url
from portal.society.policy import sacco_settings
from portal.society.statement_pdf import StatementTable, statement_pdf

from .models import MemberDividend, Method, Payout

ADVICE_KIND = "d"


def dividend_advice_digest(member_dividend: MemberDividend) -> str:
    d = member_dividend
    figures = [d.pk, d.member_id, d.declaration.financial_year, d.entry_id, d.entry.date.isoformat()]
    figures += [f"{value:.2f}" for value in (d.share_capital_basis, d.deposits_basis, d.dividend, d.interest)]
    figures += [f"{d.tax:.2f}", f"{d.net:.2f}"]
    return figures_digest(figures)


def dividend_advice_ref(member_dividend: MemberDividend) -> str:
    return document_ref_sign(
        kind=ADVICE_KIND, ids=[str(member_dividend.pk)], digest=dividend_advice_digest(member_dividend)
    )


def dividend_advice_books(ids: tuple[str, ...]) -> Books | None:
    """What the books say now about a dividend advice (the document registry's function for kind "d")."""
    (pk_text,) = ids
    if not pk_text.isdigit():
        return None
    member_dividend = MemberDividend.objects.select_related("declaration", "entry").filter(pk=int(pk_text)).first()
    if member_dividend is None or JournalEntry.objects.filter(reversal_of_id=member_dividend.entry_id).exists():
        return None
    return Books(
        digest=dividend_advice_digest(member_dividend),
        date=member_dividend.entry.date,
        amount=member_dividend.net,
        financial_year=member_dividend.declaration.financial_year,
    )


def dividend_advice_pdf(*, member_dividend: MemberDividend, base_url: str = "") -> bytes:
    """The advice as a PDF in the active language (ReportLab)."""
    d = member_dividend
    declaration = d.declaration
    day = date_format(d.entry.date, "j M Y")
    money = {
        "share_capital": floatformat(d.share_capital_basis, "2g"),
        "deposits": floatformat(d.deposits_basis, "2g"),
        "rate": floatformat(declaration.share_capital_rate, "-2"),
        "deposit_rate": floatformat(declaration.deposit_rate, "-2"),
        "tax_rate": floatformat(declaration.withholding_tax_rate, "-2"),
        "pool": floatformat(declaration.pool, "2g"),
    }
    if declaration.method == Method.POOL:
        dividend_line = gettext(
            "Dividend: your share capital KES %(share_capital)s as a share of a pool of KES %(pool)s"
        )
    else:
        dividend_line = gettext("Dividend: share capital KES %(share_capital)s × %(rate)s %%")
    rows = [
        [day, dividend_line % money, floatformat(d.dividend, "2g")],
        [
            day,
            gettext("Interest on deposits: KES %(deposits)s × %(deposit_rate)s %%") % money,
            floatformat(d.interest, "2g"),
        ],
        [day, gettext("Withholding tax %(tax_rate)s %%") % money, floatformat(-d.tax, "2g")],
        [day, gettext("Paid to you"), floatformat(d.net, "2g")],
    ]
    table = StatementTable(
        heading=None,
        columns=[gettext("Date"), gettext("Description"), gettext("Amount (KES)")],
        rows=rows,
        numeric={2},
        strong_rows={len(rows) - 1},
    )
    payout = (
        gettext("Credited to your deposits.")
        if declaration.payout == Payout.DEPOSITS
        else gettext("Held for payment by the office.")
    )
    member = d.member
    intro = [
        f"{member.user.get_full_name()} · {member.membership_number}",
        gettext("Financial year %(year)s, posted %(date)s. %(payout)s")
        % {"year": declaration.financial_year, "date": day, "payout": payout},
    ]
    closing = gettext("Issued %(when)s from the general ledger.") % {
        "when": date_format(datetime.datetime.now(), "j M Y H:i")
    }
    return statement_pdf(
        society=sacco_settings().name,
        title=gettext("Dividend advice"),
        intro=intro,
        tables=[table],
        closing=closing,
        verify_url=verify_url(dividend_advice_ref(d), base_url=base_url),
        verify_text=gettext("Scan the code, or open the address, to check this advice against the society's books."),
    )
