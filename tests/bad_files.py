"""Files that must never hurt an import (issue 12): a zip bomb shaped like the one that held a worker (a 265 KB
XLSX whose sheet unpacks to 68 MB, 400,000 rows), damaged workbooks, binary data named .csv, and files past the
row and column caps. Built in memory; the bomb's sheet is written as a stream, so building it takes well under a
second and never holds the 68 MB."""

import functools
import io
import random
import zipfile

import openpyxl

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)


def _text_cell(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def workbook_from_xml(*, header: list[str], row_xml: bytes, rows: int, dimension: str | None) -> bytes:
    """A minimal valid XLSX whose only sheet has `header` then `rows` copies of `row_xml`, written as a stream."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            dim = f'<dimension ref="{dimension}"/>' if dimension else ""
            head = "".join(_text_cell(h) for h in header)
            sheet.write(
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dim}'
                f"<sheetData><row>{head}</row>".encode()
            )
            chunk = row_xml * 1000
            for _ in range(rows // 1000):
                sheet.write(chunk)
            sheet.write(row_xml * (rows % 1000))
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


# One check-off/statement/invitation-looking row (about 170 bytes, as in the file).
BOMB_ROW = (
    "<row>" + _text_cell("P001") + "<c><v>1000</v></c>" + _text_cell("2026-03-02") + _text_cell("b@ex.com") + "</row>"
).encode()
BOMB_HEADER = ["payroll_number", "amount", "date", "email"]


@functools.cache
def zip_bomb(*, dimension: str | None = "A1:D400001") -> bytes:
    """About 265 KB on disk; its sheet unpacks to about 68 MB with 400,000 rows (the file from issue 12)."""
    return workbook_from_xml(header=BOMB_HEADER, row_xml=BOMB_ROW, rows=400_000, dimension=dimension)


def wide_row_workbook(*, cells: int) -> bytes:
    """A header, then one row of `cells` numbers: small on disk and under every size cap, but openpyxl would build
    every cell of that row in memory before trimming it to the column cap."""
    row = b"<row>" + b"<c><v>1</v></c>" * cells + b"</row>"
    return workbook_from_xml(header=BOMB_HEADER, row_xml=row, rows=1, dimension="A1:D2")


def lying_workbook(*, rows: int) -> bytes:
    """A small workbook whose dimension says two rows while it holds `rows`: only counting while streaming
    catches it."""
    return workbook_from_xml(header=BOMB_HEADER, row_xml=BOMB_ROW, rows=rows, dimension="A1:D2")


def real_xlsx(rows=(("payroll_number", "deposits"), ("P001", 1000))) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "not a spreadsheet")
    return buffer.getvalue()


def workbook_with_broken_sheet() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData><row><c><v>1</v></row>")
    return buffer.getvalue()


def workbook_with_shared_strings(count: int) -> bytes:
    """A workbook whose shared-strings part holds `count` distinct short strings (openpyxl loads that part whole)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            CONTENT_TYPES.replace(
                "</Types>",
                '<Override PartName="/xl/sharedStrings.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            ),
        )
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            WORKBOOK_RELS.replace(
                "</Relationships>",
                '<Relationship Id="rId2" Target="sharedStrings.xml" '
                'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
                "</Relationships>",
            ),
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1"/>'
            '<sheetData><row><c t="s"><v>0</v></c></row></sheetData></worksheet>',
        )
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for start in range(0, count, 1000):
                part.write(b"".join(b"<si><t>%d</t></si>" % n for n in range(start, min(start + 1000, count))))
            part.write(b"</sst>")
    return buffer.getvalue()


def random_bytes(size: int = 4096, seed: int = 12) -> bytes:
    return random.Random(seed).randbytes(size)


def truncated_xlsx() -> bytes:
    content = real_xlsx()
    return content[: len(content) // 2]


def wide_csv(columns: int = 60) -> bytes:
    header = ",".join(f"col{i}" for i in range(columns))
    return f"payroll_number,deposits,date,email,amount,{header}\nP001,1000,2026-03-02,a@example.com,5\n".encode()


def long_csv(rows: int) -> bytes:
    lines = ["payroll_number,deposits,date,email,first_name,last_name,amount"]
    lines += [f"P001,1000,2026-03-02,p{i}@example.com,A,B,10" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def bad_files() -> list[tuple[str, str, bytes]]:
    """(case id, file name, content): each must be refused by every import under the default caps, except the
    two row-cap cases, which need FILE_IMPORT_MAX_ROWS = 100 (set by the tests that use them)."""
    return [
        ("zip-bomb", "bomb.xlsx", zip_bomb()),
        ("random-bytes-xlsx", "random.xlsx", random_bytes()),
        ("truncated-xlsx", "truncated.xlsx", truncated_xlsx()),
        ("zip-without-workbook", "archive.xlsx", zip_without_workbook()),
        ("broken-sheet-xml", "broken.xlsx", workbook_with_broken_sheet()),
        ("binary-csv", "binary.csv", random_bytes()),
        ("png-named-csv", "image.csv", b"\x89PNG\r\n\x1a\n" + random_bytes(512, seed=3)),
        ("too-many-columns", "wide.csv", wide_csv()),
        ("too-many-rows-csv", "long.csv", long_csv(150)),
        ("too-many-rows-lying-xlsx", "lying.xlsx", lying_workbook(rows=5_000)),
    ]
