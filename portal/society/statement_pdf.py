"""Statement PDFs (a member's statement, a loan statement) drawn with ReportLab's tables.

HTML-to-PDF (xhtml2pdf) took about 0.5 s for a 5-year loan's 119 rows and grew faster than the rows; ReportLab
draws the same statement in a few tens of milliseconds (docs/benchmarks.md, issue 17). Callers give text already
translated and formatted (dates, amounts) in the reader's language; this module only lays it out: the society's
name, a title, a few lines about whose statement it is, tables with a header row repeated on every page, and a
closing line.
"""

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

DESCRIPTION_WRAP = 48  # longer descriptions wrap inside their cell (a Paragraph); shorter ones stay plain strings


@dataclass
class StatementTable:
    """One table: an optional heading, the column names, rows of text, the right-aligned (amount) columns, and
    which rows are emphasised (e.g. a closing balance)."""

    heading: str | None
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)
    strong_rows: set[int] = field(default_factory=set)
    wrap_column: int | None = 1  # the description


QR_SIZE_CM = 2.6


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code's modules (True = dark), error correction M, with one fixed mask pattern: choosing the best of the
    eight masks (the `qrcode` default, and ReportLab's QR widget) cost 50–200 ms a document here, a fixed one
    about 2 ms; any mask is valid and every reader reads it from the code's format bits."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=0)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def _qr_flowable(text: str, size: float):
    """The code as a tiny 1-bit image (one module a pixel, a white quiet zone) scaled to `size`: one image in the
    PDF instead of hundreds of rectangles (ReportLab formats every coordinate in Python here: 30 ms a code)."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Flowable

    matrix = qr_matrix(text)
    quiet = 2  # modules of white on each side (the page around is white too)
    side = len(matrix) + 2 * quiet
    image = Image.new("1", (side, side), 1)
    image.putdata(
        [
            0 if (0 <= r - quiet < len(matrix) and 0 <= c - quiet < len(matrix) and matrix[r - quiet][c - quiet]) else 1
            for r in range(side)
            for c in range(side)
        ]
    )
    reader = ImageReader(image)

    class QrCode(Flowable):
        def wrap(self, available_width, available_height):
            return size, size

        def draw(self):
            self.canv.drawImage(reader, 0, 0, width=size, height=size)

    return QrCode()


def verify_block(*, url: str, text: str, style):
    """The QR code of the document's verify address (issue 18) beside a line saying what it is for and the address
    itself (for whoever cannot scan)."""
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, Table, TableStyle

    size = QR_SIZE_CM * cm
    words = Paragraph(f"{escape(text)}<br/><font size=7>{escape(url)}</font>", style)
    block = Table([[_qr_flowable(url, size), words]], colWidths=[size + 0.3 * cm, None])
    block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    return block


def statement_pdf(
    *,
    society: str,
    title: str,
    intro: list[str],
    tables: list[StatementTable],
    closing: str,
    verify_url: str | None = None,
    verify_text: str = "",
) -> bytes:
    """A4 portrait; `intro`, `closing`, headings and cells are plain text (escaped here). With `verify_url`, the
    document ends with its QR code and `verify_text` (issue 18)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    styles = getSampleStyleSheet()
    body = styles["Normal"].clone("statement-body", fontSize=9, leading=11.5)
    cell = body.clone("statement-cell", fontSize=8, leading=9.5)
    cell_right = cell.clone("statement-cell-right", alignment=2)
    story = [
        Paragraph(escape(society), styles["Title"].clone("statement-title", fontSize=14, leading=17, alignment=0)),
        Paragraph(f"<b>{escape(title)}</b>", styles["Heading2"].clone("statement-h1", fontSize=11, leading=14)),
        Paragraph("<br/>".join(escape(line) for line in intro), body),
    ]
    margin = 1.6 * cm
    width = A4[0] - 2 * margin
    for table in tables:
        if table.heading:
            heading = styles["Heading3"].clone("statement-h2", fontSize=10.5, leading=13, spaceBefore=8)
            story.append(Paragraph(escape(table.heading), heading))
        else:
            story.append(Spacer(1, 0.3 * cm))
        data = [
            [
                Paragraph(f"<b>{escape(name)}</b>", cell_right if i in table.numeric else cell)
                for i, name in enumerate(table.columns)
            ]
        ]
        for number, row in enumerate(table.rows):
            cells = list(row)
            wrap = table.wrap_column
            if number in table.strong_rows or (wrap is not None and len(cells[wrap]) > DESCRIPTION_WRAP):
                strong = number in table.strong_rows
                cells = [
                    Paragraph(f"<b>{escape(text)}</b>" if strong else escape(text), cell)
                    if i == wrap or (strong and i not in table.numeric)
                    else text
                    for i, text in enumerate(cells)
                ]
            data.append(cells)
        columns = len(table.columns)
        amount_width = 2.3 * cm
        date_width = 2.1 * cm
        reference_width = 2.9 * cm if columns >= 6 else 0
        description_width = width - date_width - reference_width - amount_width * len(table.numeric)
        widths = [date_width, description_width] + ([reference_width] if columns >= 6 else [])
        widths += [amount_width] * (columns - len(widths))
        grid = LongTable(data, colWidths=widths, repeatRows=1)
        commands = [
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            *[("ALIGN", (i, 1), (i, -1), "RIGHT") for i in table.numeric],
            *[("FONTNAME", (0, n + 1), (-1, n + 1), "Helvetica-Bold") for n in table.strong_rows],
        ]
        grid.setStyle(TableStyle(commands))
        story.append(grid)
    story += [Spacer(1, 0.4 * cm), Paragraph(escape(closing), body)]
    if verify_url:
        story += [Spacer(1, 0.3 * cm), verify_block(url=verify_url, text=verify_text, style=body)]
    output = io.BytesIO()
    document = SimpleDocTemplate(
        output,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=title,
        author=society,
    )
    document.build(story)
    return output.getvalue()
