"""The AGM pack (issue 18): one PDF for the members' annual general meeting.

It holds what the meeting is asked to receive and adopt, each part as it was approved — never recomputed:
the financial statements of the year (the approved `FinancialStatement` snapshot), the appropriation of the
year's surplus, the dividend resolution, the SASRA returns at the year's end, and the last hash of the journal's
chain at each month end, so that anyone can later check that the books they were shown are the books kept.

`agm_pack_parts` gathers the parts (a selector; it raises `AgmPackNotReady` naming every part still missing);
`agm_pack_pdf` lays them out with ReportLab.
"""

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.dividends.models import DividendDeclaration, Method, Payout
from portal.finance.ledger.chain import ChainHead, chain_head
from portal.finance.ledger.selectors import MonthEndHash, chain_month_ends
from portal.finance.yearend.models import SurplusAppropriation
from portal.finance.yearend.selectors import approved_appropriation
from portal.society.policy import sacco_settings

from .models import FinancialStatement, SasraReturn


class AgmPackNotReady(ValidationError):
    """A part of the pack is not approved yet; the message names each one."""


@dataclass
class PackTable:
    """One table of the pack: a heading, column names, rows of text and which columns hold amounts."""

    heading: str
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)
    strong_rows: set[int] = field(default_factory=set)
    note: str = ""
    monospace: set[int] = field(default_factory=set)


@dataclass
class PackSection:
    """A part of the pack, on its own page: a title, a few lines saying what it is, and its tables."""

    title: str
    intro: list[str]
    tables: list[PackTable]


@dataclass
class AgmPackParts:
    year: int
    statements: FinancialStatement
    appropriation: SurplusAppropriation
    dividends: DividendDeclaration | None
    returns: SasraReturn
    sections: list[PackSection]


def _amount(text) -> str:
    return f"{Decimal(text):,.2f}"


def year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def approved_statements(*, year: int) -> FinancialStatement | None:
    """The latest approved statements pack covering exactly the financial year."""
    start, end = year_bounds(year)
    return (
        FinancialStatement.objects.filter(live=True, period_start=start, period_end=end)
        .order_by("-prepared_at")
        .first()
    )


def approved_dividends(*, year: int) -> DividendDeclaration | None:
    """The year's declaration once approved (posted, or published by its workflow)."""
    declarations = DividendDeclaration.objects.filter(financial_year=year)
    posted = declarations.filter(posting__isnull=False).first()
    return posted or declarations.filter(live=True).order_by("-prepared_at").first()


def approved_returns(*, year: int) -> SasraReturn | None:
    """The latest approved SASRA returns at the year's last day."""
    return SasraReturn.objects.filter(live=True, as_of=year_bounds(year)[1]).order_by("-prepared_at").first()


def _statement_sections(statement: FinancialStatement) -> list[PackSection]:
    data = statement.data
    inc, bs = data["income_statement"], data["balance_sheet"]
    income_rows = [[r["code"], r["name"], _amount(r["amount"])] for r in inc["income"]]
    income_rows.append(["", "Total income", _amount(inc["total_income"])])
    expense_rows = [[r["code"], r["name"], _amount(r["amount"])] for r in inc["expenses"]]
    expense_rows.append(["", "Total expenses", _amount(inc["total_expenses"])])
    expense_rows.append(["", "Surplus for the year", _amount(inc["surplus"])])
    columns = ["Account", "Name", "KES"]
    income = PackSection(
        "Income statement",
        [f"For the year {data['period_start']} to {data['period_end']}."],
        [
            PackTable("Income", columns, income_rows, {2}, {len(income_rows) - 1}),
            PackTable("Expenses", columns, expense_rows, {2}, {len(expense_rows) - 2, len(expense_rows) - 1}),
        ],
    )
    tables = []
    for key, heading in (("assets", "Assets"), ("liabilities", "Liabilities"), ("equity", "Equity")):
        rows = [[r["code"], r["name"], _amount(r["amount"])] for r in bs[key]]
        rows.append(["", f"Total {key}", _amount(bs[f"total_{key}"])])
        tables.append(PackTable(heading, columns, rows, {2}, {len(rows) - 1}))
    closing = [["", "Total liabilities and equity", _amount(bs["total_liabilities_and_equity"])]]
    if Decimal(bs.get("surplus", "0")) != 0:
        closing.insert(0, ["", "Surplus not yet appropriated", _amount(bs["surplus"])])
    tables.append(PackTable("", columns, closing, {2}, {len(closing) - 1}))
    balance = PackSection("Balance sheet", [f"At {data['period_end']}."], tables)
    cf = data["cash_flow"]
    cash_rows = [["", "Opening cash", _amount(cf["opening_cash"])]]
    for kind in ("operating", "investing", "financing"):
        cash_rows += [[r["code"], r["name"], _amount(r["amount"])] for r in cf[kind]]
        cash_rows.append(["", f"Net cash from {kind} activities", _amount(cf[f"net_{kind}"])])
    cash_rows.append(["", "Closing cash", _amount(cf["closing_cash"])])
    cash = PackSection(
        "Cash flow statement", ["Direct method."], [PackTable("", columns, cash_rows, {2}, {len(cash_rows) - 1})]
    )
    return [income, balance, cash]


def _dividend_section(declaration: DividendDeclaration | None, year: int) -> PackSection:
    if declaration is None:
        return PackSection("Dividend resolution", [f"No dividend was declared for {year}."], [])
    preview = declaration.preview or {}
    if declaration.method == Method.POOL:
        terms = [f"A pool of KES {declaration.pool:,.2f} shared in proportion to share capital."]
    else:
        terms = [
            f"A dividend of {declaration.share_capital_rate.normalize():f} % on share capital "
            f"({declaration.get_share_capital_basis_display().lower()}), and interest of "
            f"{declaration.deposit_rate.normalize():f} % on deposits.",
        ]
    terms.append(
        f"Withholding tax at {declaration.withholding_tax_rate.normalize():f} %; "
        + (
            "net amounts credited to members' deposits."
            if declaration.payout == Payout.DEPOSITS
            else "net amounts held as payable and paid out by bank."
        )
    )
    rows = [
        [label, _amount(preview[key])]
        for label, key in (
            ("Dividends on share capital", "dividend"),
            ("Interest on deposits", "interest"),
            ("Gross", "gross"),
            ("Withholding tax", "tax"),
            ("Net to members", "net"),
        )
        if key in preview
    ]
    members = preview.get("members")
    intro = [f"Resolved that for the financial year {year}:", *terms]
    if members is not None:
        intro.append(f"{members} members receive an amount.")
    return PackSection("Dividend resolution", intro, [PackTable("", ["", "KES"], rows, {1}, {len(rows) - 1})])


def _appropriation_section(appropriation: SurplusAppropriation) -> PackSection:
    year, surplus = appropriation.financial_year, appropriation.surplus
    if surplus <= 0:
        intro = [
            f"The year {year} closed with a deficit of KES {-surplus:,.2f}, charged to retained earnings; "
            "nothing is appropriated to reserves or dividends."
        ]
        return PackSection("Appropriation of the surplus", intro, [])
    rows = [
        [
            f"Statutory reserve (at least {appropriation.statutory_reserve_rate.normalize():f} % of the surplus)",
            _amount(appropriation.statutory_reserve),
        ],
        *[
            [f"{r.get('name') or 'Other reserve'} ({r['account']})", _amount(r["amount"])]
            for r in appropriation.other_reserves or []
        ],
        ["Set aside for dividends on share capital", _amount(appropriation.dividends)],
        ["Retained earnings (the remainder)", _amount(appropriation.retained_earnings)],
        ["Surplus for the year", _amount(surplus)],
    ]
    intro = [f"The surplus of {year} (after interest on deposits, an expense of the year) is appropriated as follows."]
    return PackSection("Appropriation of the surplus", intro, [PackTable("", ["", "KES"], rows, {1}, {len(rows) - 1})])


def _percent(text) -> str:
    return "—" if text is None else f"{Decimal(text):.2f} %"


def _returns_section(record: SasraReturn) -> PackSection:
    """The returns as SASRA reads them, without names: insider lending is given in total (the pack goes to every
    member; the named list stays with the regulator and the board)."""
    data = record.data
    capital, liquidity = data["capital_adequacy"], data["liquidity"]
    ratio_rows = [
        [r["label"], _percent(r["percent"]), _percent(r["minimum"]), "Yes" if r["meets"] else "No"]
        for r in capital["ratios"] + liquidity["ratios"]
    ]
    figure_rows = [[f["label"], _amount(f["amount"])] for f in capital["figures"] + liquidity["figures"]]
    risk = data["risk_classification"]
    risk_rows = [
        [
            c["label"],
            str(c["loans"]),
            _amount(c["outstanding"]),
            f"{Decimal(c['rate']):.2f} %",
            _amount(c["provision_required"]),
        ]
        for c in risk["classes"]
    ]
    risk_rows.append(
        ["Total", str(risk["total_loans"]), _amount(risk["total_outstanding"]), "", _amount(risk["provision_required"])]
    )
    deposits = data["deposit_return"]
    deposit_rows = [[b["band"], str(b["depositors"]), _amount(b["amount"])] for b in deposits["bands"]]
    deposit_rows.append(["Total", str(deposits["total_depositors"]), _amount(deposits["total_amount"])])
    insider = data["insider_lending"]
    insider_rows = [
        ["Insiders with loans or guarantees", str(len(insider["insiders"]))],
        ["Loans to insiders outstanding (KES)", _amount(insider["total_outstanding"])],
        ["Guarantees given by insiders (KES)", _amount(insider["total_guaranteed"])],
        ["Share of all loans", _percent(insider["share_of_loans"])],
        ["Share of core capital", _percent(insider["share_of_core_capital"])],
    ]
    intro = [
        f"At {data['as_of']}, as approved ({record.title}).",
        "Every figure ties to the trial balance."
        if data.get("ties")
        else "Some figures do not tie to the trial balance.",
    ]
    return PackSection(
        "SASRA returns",
        intro,
        [
            PackTable("Capital adequacy and liquidity", ["Ratio", "Actual", "Minimum", "Meets"], ratio_rows, {1, 2}),
            PackTable("The figures behind the ratios", ["", "KES"], figure_rows, {1}),
            PackTable(
                "Risk classification of loans",
                ["Class", "Loans", "Outstanding", "Provision rate", "Provision required"],
                risk_rows,
                {1, 2, 3, 4},
                {len(risk_rows) - 1},
                note=f"Provisions held: KES {_amount(risk['provision_held'])}.",
            ),
            PackTable(
                "Deposits by size (KES)",
                ["Band", "Depositors", "Amount"],
                deposit_rows,
                {1, 2},
                {len(deposit_rows) - 1},
            ),
            PackTable("Insider lending (board, committee and staff)", ["", ""], insider_rows, {1}),
        ],
    )


def _chain_section(year: int, month_ends: list[MonthEndHash], head: ChainHead) -> PackSection:
    """The journal's hash at each month end: anyone given this page can later check, with `ledger_check --hash`
    or their own tool (docs/ledger.md), that the books they are shown are the books that were kept."""
    rows = [
        [f"{m.month:%b %Y}", "—" if m.sequence is None else str(m.sequence), m.hash or "nothing posted yet"]
        for m in month_ends
    ]
    if head.sequence:
        rows.append([f"Printed {timezone.localdate():%d %b %Y}", str(head.sequence), head.hash])
    intro = [
        "Every entry in the journal carries a hash of its content and of the entry before it, so no entry can be "
        "changed or removed without changing every hash after it.",
        f"These are the last link of the chain at each month end of {year} (in the order entries were posted), "
        "and the last link when this pack was printed, which covers the year-end entries posted after 31 December. "
        "Keep this page: the society's auditors, or any member, can check the books against it.",
    ]
    table = PackTable("", ["Month end", "Link", "Hash (SHA-256)"], rows, {1}, monospace={2})
    return PackSection("Books members can verify", intro, [table])


def agm_pack_parts(*, year: int) -> AgmPackParts:
    """Every part of the year's pack, as approved; `AgmPackNotReady` names whatever is missing."""
    missing = []
    statements = approved_statements(year=year)
    if statements is None:
        missing.append(f"the financial statements for {year} (1 January to 31 December) are not approved")
    appropriation = approved_appropriation(financial_year=year)
    if appropriation is None:
        missing.append(f"the appropriation of the {year} surplus is not approved")
    returns = approved_returns(year=year)
    if returns is None:
        missing.append(f"the SASRA returns at 31 December {year} are not approved")
    if missing:
        raise AgmPackNotReady({"year": [f"The AGM pack for {year} is not ready: " + "; ".join(missing) + "."]})
    dividends = approved_dividends(year=year)
    sections = [
        *_statement_sections(statements),
        _appropriation_section(appropriation),
        _dividend_section(dividends, year),
        _returns_section(returns),
        _chain_section(year, chain_month_ends(year=year), chain_head()),
    ]
    return AgmPackParts(
        year=year,
        statements=statements,
        appropriation=appropriation,
        dividends=dividends,
        returns=returns,
        sections=sections,
    )


def agm_pack_pdf(*, year: int) -> bytes:
    """The pack as one A4 PDF: a cover listing the parts, then each part on its own page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    parts = agm_pack_parts(year=year)
    styles = getSampleStyleSheet()
    body = styles["Normal"].clone("agm-body", fontSize=9.5, leading=12.5)
    cell = body.clone("agm-cell", fontSize=8.5, leading=10)
    heading = styles["Heading2"].clone("agm-h1", fontSize=13, leading=16)
    subheading = styles["Heading3"].clone("agm-h2", fontSize=10.5, leading=13, spaceBefore=8)
    society = sacco_settings().name
    margin = 1.8 * cm
    width = A4[0] - 2 * margin
    story = [
        Paragraph(escape(society), styles["Title"]),
        Paragraph(f"Annual general meeting — financial year {parts.year}", heading),
        Paragraph(
            escape(
                f"Statements approved by the committee on {_approved_on(parts.statements)}; "
                f"prepared {parts.statements.prepared_at:%d %b %Y}."
            ),
            body,
        ),
        Spacer(1, 0.4 * cm),
        Paragraph("<b>Contents</b>", body),
        Paragraph("<br/>".join(f"{i}. {escape(s.title)}" for i, s in enumerate(parts.sections, 1)), body),
    ]
    for section in parts.sections:
        story += [PageBreak(), Paragraph(escape(section.title), heading)]
        if section.intro:
            story.append(Paragraph("<br/>".join(escape(line) for line in section.intro), body))
        for table in section.tables:
            story.append(Paragraph(escape(table.heading), subheading) if table.heading else Spacer(1, 0.3 * cm))
            story.append(_grid(table, width, cell))
            if table.note:
                story.append(Paragraph(escape(table.note), cell))
    output = io.BytesIO()
    document = SimpleDocTemplate(
        output,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=f"AGM pack {parts.year}",
    )
    footer = f"{society} · AGM pack {parts.year}"

    def number_the_page(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(margin, margin / 2, footer)
        canvas.drawRightString(A4[0] - margin, margin / 2, f"Page {doc.page}")
        canvas.restoreState()

    document.build(story, onFirstPage=number_the_page, onLaterPages=number_the_page)
    return output.getvalue()


def _approved_on(statement: FinancialStatement) -> str:
    """When the workflow published the snapshot (DraftStateMixin records it)."""
    when = statement.last_published_at
    return f"{when:%d %b %Y}" if when else "—"


def _grid(table: PackTable, width, cell):
    from reportlab.lib import colors
    from reportlab.lib.units import cm
    from reportlab.platypus import LongTable, Paragraph, TableStyle

    columns = len(table.columns)
    numeric_width = 3.2 * cm
    widths = [numeric_width if i in table.numeric else None for i in range(columns)]
    free = width - numeric_width * len(table.numeric)
    text_columns = [i for i in range(columns) if i not in table.numeric]
    if text_columns:
        first = 2.2 * cm if columns > 2 and len(text_columns) > 1 else free / len(text_columns)
        rest = (free - first) / max(len(text_columns) - 1, 1)
        for n, i in enumerate(text_columns):
            widths[i] = first if n == 0 else rest
    data = [list(table.columns)] if any(table.columns) else []
    for row in table.rows:
        data.append(
            [
                text if i in table.numeric or i in table.monospace else Paragraph(escape(text), cell)
                for i, text in enumerate(row)
            ]
        )
    offset = 1 if any(table.columns) else 0
    style = [
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black) if offset else ("FONTSIZE", (0, 0), (-1, -1), 8.5),
    ]
    if offset:
        style.append(("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"))
    for i in table.numeric:
        style.append(("ALIGN", (i, 0), (i, -1), "RIGHT"))
    for i in table.monospace:
        style.append(("FONT", (i, offset), (i, -1), "Courier", 7))
    for r in table.strong_rows:
        style.append(("FONTNAME", (0, r + offset), (-1, r + offset), "Helvetica-Bold"))
        style.append(("LINEABOVE", (0, r + offset), (-1, r + offset), 0.4, colors.grey))
    grid = LongTable(data, colWidths=widths, repeatRows=offset)
    grid.setStyle(TableStyle(style))
    return grid
