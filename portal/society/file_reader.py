"""One reader for every table a person uploads: check-off and payment files, bank and M-Pesa statements,
invitation lists.

Why one reader: a file is the cheapest way to make a worker spend memory and time. A 268 KB XLSX can hold a
69 MB sheet (a "zip bomb"); openpyxl reading it held a worker for minutes at 1.5 GB. So every import reads its file
here, under caps on the file's size, its uncompressed size, its rows and its columns, and any failure to read
(a damaged zip, a missing workbook part, bad XML, a non-UTF-8 CSV, binary data named .csv) becomes one
`FileRejected` naming the file (and the row, when the problem is in a row) that a view shows as a form error.

How an XLSX is read, cheapest check first, before openpyxl opens it:
1. the upload's size against `max_bytes`;
2. it must be a zip; the members' declared uncompressed sizes are summed against `max_uncompressed_bytes`
   (zipfile refuses to inflate a member past its declared size — the CRC check fails — so the sum is a real
   bound), a member that inflates more than `max_compression_ratio` times is refused, and so is any part but a
   sheet over a quarter of the cap (openpyxl loads shared strings and styles whole; only sheets stream);
3. openpyxl opens it read-only; the sheet's declared dimension must be within the row and column caps;
4. the dimension may lie, so it is ignored while streaming (openpyxl would otherwise silently cut the rows at the
   dimension), and rows are counted as they stream: the read stops at the first row past the cap.
Formula cells are read as the values the spreadsheet saved (data_only); nothing is ever evaluated. Numbers come
back as int or Decimal, never float, so money columns go through portal.society.money.parse_amount exactly.

A CSV is decoded as UTF-8 (with or without a BOM), or Windows-1252 when it is not UTF-8 (Excel's "CSV" on
Windows), streamed through csv.reader; control characters mean the file is not text and it is refused.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings

DEFAULTS = {
    "max_bytes": ("FILE_IMPORT_MAX_BYTES", 10 * 1024 * 1024),
    "max_uncompressed_bytes": ("FILE_IMPORT_MAX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024),
    "max_rows": ("FILE_IMPORT_MAX_ROWS", 50_000),
    "max_columns": ("FILE_IMPORT_MAX_COLUMNS", 50),
    "max_compression_ratio": ("FILE_IMPORT_MAX_COMPRESSION_RATIO", 100),
}
# A member smaller than this is never refused for its ratio: tiny XML parts compress very well and are harmless.
RATIO_FLOOR_BYTES = 1024 * 1024
# Excel's own widest row; openpyxl would build every cell of a wider one in memory before trimming it.
MAX_CELLS_PER_ROW = 16_384
MAX_ZIP_MEMBERS = 1000
CSV_FIELD_LIMIT = 32 * 1024  # characters in one CSV cell
TEXT_ENCODINGS = ("utf-8-sig", "cp1252")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DECODE_CHUNK = 64 * 1024


class FileRejected(ValueError):
    """The file cannot be read as a table, or is bigger than the caps allow. The message names the file, and the
    row when the problem is in one row; views show it as the error of the file field (or a 400)."""

    def __init__(self, file_name: str, reason: str, *, row: int | None = None):
        self.file_name = file_name
        self.reason = reason
        self.row = row
        where = f"{file_name}, row {row}" if row is not None else file_name
        super().__init__(f"{where}: {reason}")

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int
    max_uncompressed_bytes: int
    max_rows: int  # data rows, not counting the header
    max_columns: int
    max_compression_ratio: int


def import_limits(**overrides) -> ImportLimits:
    """The caps from settings (FILE_IMPORT_*), with any given here taking precedence (None keeps the setting)."""
    values = {name: int(getattr(settings, setting, default)) for name, (setting, default) in DEFAULTS.items()}
    limits = ImportLimits(**values)
    chosen = {name: value for name, value in overrides.items() if value is not None}
    return replace(limits, **chosen) if chosen else limits


def limits_help_text(*, max_bytes: int | None = None) -> str:
    """What a person may upload, for a form's help text (from the same settings the reader applies)."""
    limits = import_limits(max_bytes=max_bytes)
    return f"At most {_size_text(limits.max_bytes)}, {limits.max_rows:,} rows and {limits.max_columns} columns."


def _size_text(count: int) -> str:
    """1.5 MB, 300 KB, 12 bytes; rounded up, so a file just over a 10 MB cap reads "10.1 MB", not "10 MB"."""
    if count >= 1024 * 1024:
        tenths = -(-count * 10 // (1024 * 1024))
        return f"{tenths // 10} MB" if tenths % 10 == 0 else f"{tenths / 10:.1f} MB"
    if count >= 1024:
        return f"{-(-count // 1024)} KB"
    return f"{count} bytes"


def upload_read(upload, *, max_bytes: int | None = None) -> bytes:
    """The bytes of an uploaded file, refused before reading when it is larger than the cap (and never more than
    the cap plus one byte read, whatever the upload claims its size is)."""
    limit = import_limits(max_bytes=max_bytes).max_bytes
    name = getattr(upload, "name", None) or "The file"
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise FileRejected(name, f"the file is {_size_text(size)}; the limit is {_size_text(limit)}.")
    if hasattr(upload, "seek"):
        try:
            upload.seek(0)
        except (OSError, ValueError):
            pass
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise FileRejected(name, f"the file is larger than {_size_text(limit)}.")
    return content


def cell_text(value) -> str:
    """A cell as trimmed text: "" for empty, ISO dates, whole Decimals without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return str(value).strip()


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _trimmed(values) -> tuple:
    """The row without its trailing empty cells (spreadsheets often carry formatted but empty columns), with
    floats turned into Decimal through their shortest text (1500.5 -> Decimal('1500.5')): money never sees a
    float."""
    end = len(values)
    while end and (values[end - 1] is None or _is_blank(values[end - 1])):
        end -= 1
    return tuple(Decimal(repr(v)) if type(v) is float else v for v in values[:end])


@dataclass(frozen=True)
class TableRow:
    number: int  # the row's number in the file: the first line or sheet row is 1
    values: tuple  # cells in order, trailing empty cells removed


class TableFile:
    """A table being read: `header` (the first non-blank row, as trimmed text) and the data rows, streamed by
    iterating. Iterating again reads the file again. Reading stops with FileRejected at the first row past the
    caps; a read error in the middle of the file is a FileRejected too."""

    def __init__(self, *, file_name: str, kind: str, limits: ImportLimits, open_rows):
        self.file_name = file_name
        self.kind = kind  # "csv" or "xlsx"
        self.limits = limits
        self._open_rows = open_rows  # () -> iterator of (row number, raw values)
        self.header: list[str] = []
        self.header_row = 0
        self._read_header()

    def _reject(self, reason: str, row: int | None = None) -> FileRejected:
        return FileRejected(self.file_name, reason, row=row)

    def _raw_rows(self) -> Iterator[tuple[int, tuple]]:
        """(row number, trimmed values) for every row, checked against the caps, read errors converted."""
        limits = self.limits
        last_allowed = None
        rows = self._open_rows()
        while True:
            try:
                number, values = next(rows)
            except StopIteration:
                return
            except FileRejected:
                raise
            except Exception as exc:  # zipfile, XML, csv and codec errors all mean the file is damaged
                raise self._reject(f"the file could not be read ({_describe(exc)}).") from exc
            values = _trimmed(values)
            if len(values) > limits.max_columns:
                raise self._reject(f"the row has {len(values)} columns; the limit is {limits.max_columns}.", row=number)
            if last_allowed is None:
                if values:  # the first non-blank row is the header; data rows may follow up to the cap
                    last_allowed = number + limits.max_rows
                elif number > limits.max_rows:
                    raise self._reject(f"no header row in the first {limits.max_rows:,} rows.")
            if last_allowed is not None and number > last_allowed:
                raise self._reject(
                    f"the file has more than {limits.max_rows:,} rows under the header; split it into smaller files.",
                    row=number,
                )
            yield number, values

    def _read_header(self) -> None:
        for number, values in self._raw_rows():
            if values:
                self.header = [cell_text(v) for v in values]
                self.header_row = number
                return
        raise self._reject("the file is empty: no header row.")

    def __iter__(self) -> Iterator[TableRow]:
        """The data rows under the header, blank rows skipped."""
        seen_header = False
        for number, values in self._raw_rows():
            if not seen_header:
                seen_header = number >= self.header_row
                continue
            if any(not _is_blank(v) for v in values):
                yield TableRow(number, values)

    def records(self, *, keys: list[str | None] | None = None, strict: bool = True) -> Iterator[tuple[int, dict]]:
        """(row number, {key: value}) for each data row; `keys` name the columns in order (default: the header;
        None drops a column). With `strict`, a value in a column beyond the header refuses the file, naming
        the row: a number with no heading cannot be guessed."""
        names = list(self.header if keys is None else keys)
        width = len(names)
        for row in self:
            if strict and any(not _is_blank(v) for v in row.values[width:]):
                raise self._reject(f"the row has values beyond the {width} columns of the header row.", row=row.number)
            record = {name: None for name in names if name is not None}
            for name, value in zip(names, row.values, strict=False):
                if name is not None:
                    record[name] = value
            yield row.number, record


def _describe(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def read_table(
    content: bytes,
    *,
    file_name: str,
    max_bytes: int | None = None,
    max_uncompressed_bytes: int | None = None,
    max_rows: int | None = None,
    max_columns: int | None = None,
    max_compression_ratio: int | None = None,
) -> TableFile:
    """Open `content` (the bytes of a .csv, .txt or .xlsx upload) as a table, or raise FileRejected.

    The kind is taken from the content where it shows (a zip is an XLSX workbook) and otherwise from the name.
    Caps not given come from settings."""
    limits = import_limits(
        max_bytes=max_bytes,
        max_uncompressed_bytes=max_uncompressed_bytes,
        max_rows=max_rows,
        max_columns=max_columns,
        max_compression_ratio=max_compression_ratio,
    )
    file_name = (file_name or "The file").strip()[:200] or "The file"
    if len(content) > limits.max_bytes:
        raise FileRejected(
            file_name, f"the file is {_size_text(len(content))}; the limit is {_size_text(limits.max_bytes)}."
        )
    name = file_name.lower()
    if content.startswith(ZIP_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        if not content.startswith(ZIP_MAGIC):
            raise FileRejected(file_name, "the file is not an XLSX workbook (it is not a zip file).")
        return _xlsx_table(content, file_name, limits)
    if content.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise FileRejected(file_name, "the old Excel .xls format cannot be read; save the sheet as .xlsx or CSV.")
    if not name.endswith((".csv", ".txt")):
        raise FileRejected(file_name, "upload a .csv or .xlsx file.")
    return _csv_table(content, file_name, limits)


# --- CSV ----------------------------------------------------------------------------------------------------


def _text_encoding(content: bytes, file_name: str) -> str:
    """The first encoding that decodes the whole file; refuses a file with control characters (binary data)."""
    for encoding in TEXT_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(content), DECODE_CHUNK):
                text = decoder.decode(content[start : start + DECODE_CHUNK], final=start + DECODE_CHUNK >= len(content))
                if CONTROL_CHARACTERS.search(text):
                    raise FileRejected(file_name, "the file is not a text CSV file (it holds binary data).")
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileRejected(
        file_name, "the file is not a text CSV file (neither UTF-8 nor Windows-1252 text); save it as CSV UTF-8."
    )


def _csv_table(content: bytes, file_name: str, limits: ImportLimits) -> TableFile:
    encoding = _text_encoding(content, file_name)

    def open_rows():
        text = io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")
        previous = csv.field_size_limit(CSV_FIELD_LIMIT)
        number = 0
        try:
            for number, values in enumerate(csv.reader(text), start=1):  # noqa: B007 - `number` names a bad row
                yield number, values
        except csv.Error as exc:
            raise FileRejected(file_name, f"the CSV could not be read ({exc}).", row=number + 1) from exc
        finally:
            csv.field_size_limit(previous)

    return TableFile(file_name=file_name, kind="csv", limits=limits, open_rows=open_rows)


# --- XLSX ---------------------------------------------------------------------------------------------------


def _zip_check(content: bytes, file_name: str, limits: ImportLimits) -> None:
    """Refuse a zip that would inflate past the caps, from its directory alone (nothing is decompressed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise FileRejected(file_name, f"the file is not a readable XLSX workbook ({_describe(exc)}).") from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise FileRejected(file_name, f"the workbook has {len(members):,} parts; that is not a spreadsheet export.")
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        raise FileRejected(
            file_name,
            f"the workbook unpacks to {_size_text(total)}; the limit is {_size_text(limits.max_uncompressed_bytes)}. "
            "Split it into smaller files.",
        )
    part_limit = limits.max_uncompressed_bytes // 4
    for member in members:
        if member.file_size > part_limit and not member.filename.startswith("xl/worksheets/"):
            # openpyxl reads the shared strings, styles and workbook parts whole (only sheets stream): 56 MB of
            # shared strings took a minute and 440 MB to load here.
            raise FileRejected(
                file_name,
                f"the part {member.filename[:60]} unpacks to {_size_text(member.file_size)}; the limit is "
                f"{_size_text(part_limit)}.",
            )
        if member.file_size > RATIO_FLOOR_BYTES:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise FileRejected(
                    file_name,
                    f"the part {member.filename[:60]} unpacks {ratio:,.0f} times larger than it is stored; "
                    "that is not an ordinary spreadsheet.",
                )
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        raise FileRejected(file_name, "the file is a zip but not an XLSX workbook (it has no xl/workbook.xml).")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in sorted(names):
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                _sheet_row_widths_check(archive, name, file_name)


def _sheet_row_widths_check(archive: zipfile.ZipFile, part: str, file_name: str) -> None:
    """Refuse a sheet with a row wider than a spreadsheet can be, streaming its XML through expat with nothing kept.

    openpyxl builds each row whole (every cell element and a dict per cell) before `max_col` trims it, so one row
    of a million cells — which compresses far below the ratio cap — held a worker for seconds at hundreds of MB.
    Here elements are only counted, and the count stops at the first cell too many."""
    from xml.parsers import expat

    cells = 0

    def start(name, attributes):
        nonlocal cells
        tag = name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
        if tag == "row":
            cells = 0
        elif tag == "c":
            cells += 1
            if cells > MAX_CELLS_PER_ROW:
                raise FileRejected(
                    file_name,
                    f"a row of the sheet has more than {MAX_CELLS_PER_ROW:,} cells; "
                    "that is not an ordinary spreadsheet.",
                )

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(256 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except FileRejected:
        raise
    except (expat.ExpatError, zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FileRejected(file_name, f"the file is not a readable XLSX workbook ({_describe(exc)}).") from exc


def _load_workbook(content: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)


def _xlsx_table(content: bytes, file_name: str, limits: ImportLimits) -> TableFile:
    _zip_check(content, file_name, limits)
    try:
        workbook = _load_workbook(content)
        sheet = workbook.active
        if sheet is None:
            sheet = workbook.worksheets[0]
        max_row, max_column = sheet.max_row, sheet.max_column
    except FileRejected:
        raise
    except Exception as exc:  # InvalidFileException, KeyError (missing part), XML errors, BadZipFile, ...
        raise FileRejected(file_name, f"the file is not a readable XLSX workbook ({_describe(exc)}).") from exc
    if not hasattr(sheet, "reset_dimensions"):
        raise FileRejected(file_name, "the workbook's first sheet is not a worksheet (a chart sheet?).")
    if max_row is not None and max_row > limits.max_rows + 1:
        raise FileRejected(
            file_name,
            f"the sheet has {max_row:,} rows; the limit is {limits.max_rows:,} under the header. "
            "Split it into smaller files.",
        )
    if max_column is not None and max_column > limits.max_columns:
        raise FileRejected(file_name, f"the sheet has {max_column:,} columns; the limit is {limits.max_columns}.")
    # The dimension is only what the file says: read every row, and let the caps stop a file that lied.
    sheet.reset_dimensions()

    def open_rows():
        # Cells past one column beyond the cap are not built (a styled cell at column XFD would otherwise make
        # every row 16,384 cells wide); a value in that extra column still trips the column cap.
        rows = sheet.iter_rows(values_only=True, max_col=limits.max_columns + 1)
        yield from enumerate(rows, start=1)

    table = TableFile(file_name=file_name, kind="xlsx", limits=limits, open_rows=open_rows)
    table.workbook = workbook
    return table
