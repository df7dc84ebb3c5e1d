"""The one file reader (portal/society/file_reader.py, issue 12): caps on bytes, unzipped bytes, rows and columns;
rows streamed; every read error a FileRejected naming the file (and the row). The zip bomb from the issue (265 KB,
a 68 MB sheet, 400,000 rows) is refused from the zip directory, before openpyxl opens it; a workbook whose
dimension lies is stopped while streaming, one row past the cap."""

import datetime
import io
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl.worksheet._reader import WorkSheetParser

from portal.society import file_reader
from portal.society.file_reader import FileRejected, cell_text, import_limits, read_table, upload_read
from tests import bad_files


@pytest.fixture
def parsed_rows(monkeypatch):
    """Counts the sheet rows openpyxl parses: proof that a refusal came before reading everything."""
    count = {"rows": 0}
    original = WorkSheetParser.parse_row

    def counting(self, element):
        count["rows"] += 1
        return original(self, element)

    monkeypatch.setattr(WorkSheetParser, "parse_row", counting)
    return count


@pytest.fixture
def openpyxl_forbidden(monkeypatch):
    def refuse(content):
        raise AssertionError("openpyxl was asked to open the file")

    monkeypatch.setattr(file_reader, "_load_workbook", refuse)


def test_the_bomb_is_the_one_from_the_issue():
    bomb = bad_files.zip_bomb()
    sheet = zipfile.ZipFile(io.BytesIO(bomb)).getinfo("xl/worksheets/sheet1.xml")
    assert len(bomb) < 300 * 1024 and sheet.file_size > 60 * 1024 * 1024


def test_zip_bomb_is_refused_from_the_zip_directory_before_openpyxl_opens_it(openpyxl_forbidden):
    tracemalloc.start()
    try:
        with pytest.raises(FileRejected) as caught:
            read_table(bad_files.zip_bomb(), file_name="bomb.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value).startswith("bomb.xlsx: the workbook unpacks to ")
    assert "the limit is 50 MB" in str(caught.value)
    assert peak < 2 * 1024 * 1024  # the 68 MB sheet was never inflated


def test_an_absurd_compression_ratio_is_refused_even_under_the_size_cap(openpyxl_forbidden):
    with pytest.raises(FileRejected, match="unpacks .* times larger than it is stored"):
        read_table(bad_files.zip_bomb(), file_name="bomb.xlsx", max_uncompressed_bytes=200 * 1024 * 1024)


def test_a_huge_shared_strings_part_is_refused_before_openpyxl_loads_it_whole(openpyxl_forbidden):
    content = bad_files.workbook_with_shared_strings(100_000)  # about 2.2 MB unzipped, a ratio under 10
    with pytest.raises(FileRejected, match="the part xl/sharedStrings.xml unpacks to [0-9.]+ MB; the limit is 1 MB"):
        read_table(content, file_name="strings.xlsx", max_uncompressed_bytes=4 * 1024 * 1024)


def test_shared_strings_are_read():
    assert read_table(bad_files.workbook_with_shared_strings(10), file_name="ok.xlsx").header == ["0"]


def test_an_honest_dimension_past_the_row_cap_is_refused_before_any_row_is_read(parsed_rows):
    with pytest.raises(FileRejected, match="the sheet has 400,001 rows; the limit is 50,000"):
        read_table(
            bad_files.zip_bomb(), file_name="bomb.xlsx", max_uncompressed_bytes=10**9, max_compression_ratio=10**6
        )
    assert parsed_rows["rows"] == 0


def test_a_lying_dimension_is_stopped_one_row_past_the_cap(parsed_rows):
    table = read_table(bad_files.lying_workbook(rows=5_000), file_name="lying.xlsx", max_rows=100)
    with pytest.raises(FileRejected) as caught:
        for _ in table:
            pass
    assert caught.value.row == 102 and caught.value.file_name == "lying.xlsx"
    assert "more than 100 rows" in str(caught.value)
    assert parsed_rows["rows"] <= 103  # header + 100 rows + the one that tripped the cap (+ the header read)


def test_a_row_wider_than_a_spreadsheet_is_refused_before_openpyxl_builds_it(openpyxl_forbidden):
    """Found in review: one row of a million cells compresses far below the ratio cap, and openpyxl built all of it
    (seconds, hundreds of MB) before the column cap trimmed it."""
    content = bad_files.wide_row_workbook(cells=60_000)
    tracemalloc.start()
    try:
        with pytest.raises(FileRejected, match="a row of the sheet has more than 16,384 cells"):
            read_table(content, file_name="wide.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024


def test_the_bomb_with_a_lying_dimension_never_reaches_openpyxl_either(openpyxl_forbidden):
    with pytest.raises(FileRejected, match="unpacks to"):
        read_table(bad_files.zip_bomb(dimension="A1:D2"), file_name="bomb.xlsx")


def test_a_lying_dimension_does_not_cut_rows_off():
    """openpyxl stops at the dimension it is told; the reader reads every row and lets the caps decide."""
    rows = list(read_table(bad_files.lying_workbook(rows=30), file_name="lying.xlsx"))
    assert len(rows) == 30 and rows[-1].number == 31


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("random.xlsx", bad_files.random_bytes(), "not an XLSX workbook (it is not a zip file)"),
        ("truncated.xlsx", bad_files.truncated_xlsx(), "not a readable XLSX workbook"),
        ("archive.xlsx", bad_files.zip_without_workbook(), "no xl/workbook.xml"),
        ("broken.xlsx", bad_files.workbook_with_broken_sheet(), "not a readable XLSX workbook (ExpatError"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel .xls"),
        ("binary.csv", bad_files.random_bytes(), "not a text CSV file"),
        ("nul.csv", b"payroll_number,deposits\nP001,\x00\x00\n", "binary data"),
        ("image.csv", b"\x89PNG\r\n\x1a\n" + bad_files.random_bytes(512, seed=3), "not a text CSV file"),
        ("empty.csv", b"", "no header row"),
        ("blank.csv", b"\n\n,,\n", "no header row"),
        ("notes.pdf", b"%PDF-1.4", "upload a .csv or .xlsx file"),
    ],
)
def test_unreadable_files_are_refused_naming_the_file(name, content, words):
    with pytest.raises(FileRejected) as caught:
        list(read_table(content, file_name=name))
    assert str(caught.value).startswith(f"{name}: ")
    assert words in str(caught.value)


def test_a_zip_named_csv_is_read_as_the_workbook_it_is():
    table = read_table(bad_files.real_xlsx(), file_name="export.csv")
    assert table.kind == "xlsx" and table.header == ["payroll_number", "deposits"]


def test_too_many_columns_names_the_row():
    with pytest.raises(FileRejected) as caught:
        read_table(bad_files.wide_csv(60), file_name="wide.csv")
    assert caught.value.row == 1 and "65 columns; the limit is 50" in str(caught.value)
    content = b"a,b\n1,2\n1,2,3,4\n"
    with pytest.raises(FileRejected) as caught:
        list(read_table(content, file_name="x.csv", max_columns=3))
    assert str(caught.value) == "x.csv, row 3: the row has 4 columns; the limit is 3."


def test_too_many_csv_rows_stops_at_the_first_row_past_the_cap(monkeypatch):
    seen = []
    table = read_table(bad_files.long_csv(1_000), file_name="long.csv", max_rows=100)
    with pytest.raises(FileRejected) as caught:
        for row in table:
            seen.append(row.number)
    assert seen[-1] == 101 and caught.value.row == 102


def test_a_row_past_the_cap_after_blank_rows_still_counts():
    content = b"a,b\n" + b"\n" * 200 + b"1,2\n"
    with pytest.raises(FileRejected, match="more than 100 rows"):
        list(read_table(content, file_name="gap.csv", max_rows=100))


def test_a_huge_csv_cell_is_a_form_error_not_a_crash():
    content = b'a,b\n1,"' + b"x" * 200_000 + b'"\n'
    with pytest.raises(FileRejected) as caught:
        list(read_table(content, file_name="cell.csv"))
    assert str(caught.value).startswith("cell.csv, row 2: the CSV could not be read")


def test_file_size_cap():
    with pytest.raises(FileRejected, match="the limit is 1 KB"):
        read_table(b"a,b\n" + b"1,2\n" * 400, file_name="big.csv", max_bytes=1024)


def test_upload_read_refuses_by_size_before_reading_and_never_reads_past_the_cap():
    upload = SimpleUploadedFile("big.csv", b"x" * 5000)
    with pytest.raises(FileRejected, match="big.csv: the file is 5 KB; the limit is 1 KB"):
        upload_read(upload, max_bytes=1024)

    class Unsized(io.BytesIO):
        name = "stream.csv"
        size = None

    with pytest.raises(FileRejected, match="stream.csv: the file is larger than 1 KB"):
        upload_read(Unsized(b"x" * 5000), max_bytes=1024)
    assert upload_read(SimpleUploadedFile("ok.csv", b"a,b\n"), max_bytes=1024) == b"a,b\n"


def test_caps_come_from_settings(settings):
    settings.FILE_IMPORT_MAX_ROWS = 7
    settings.FILE_IMPORT_MAX_COLUMNS = 3
    limits = import_limits()
    assert (limits.max_rows, limits.max_columns, limits.max_bytes) == (7, 3, 10 * 1024 * 1024)
    assert import_limits(max_rows=9).max_rows == 9


def test_csv_rows_stream_with_their_file_row_numbers_and_bom_and_quotes():
    content = '\ufeffDate,Reference,Amount\r\n02/03/2026,QK1,"2,500.00"\r\n\r\n,,\r\n03/03/2026,"a\nb",5\r\n'
    table = read_table(content.encode(), file_name="m.csv")
    assert table.kind == "csv" and table.header == ["Date", "Reference", "Amount"]
    assert [(r.number, r.values) for r in table] == [
        (2, ("02/03/2026", "QK1", "2,500.00")),
        (5, ("03/03/2026", "a\nb", "5")),
    ]


def test_windows_1252_csv_falls_back_and_reads():
    table = read_table("name,amount\nJosé,5\n".encode("cp1252"), file_name="w.csv")
    assert [r.values for r in table] == [("José", "5")]


def test_records_refuse_values_beyond_the_header_naming_the_row():
    table = read_table(b"a,b\n1,2\n3,4,5\n", file_name="x.csv")
    with pytest.raises(FileRejected, match="x.csv, row 3: the row has values beyond the 2 columns"):
        list(table.records())
    assert list(table.records(strict=False)) == [(2, {"a": "1", "b": "2"}), (3, {"a": "3", "b": "4"})]
    assert list(read_table(b"a,b\n1,2,,\n", file_name="y.csv").records()) == [(2, {"a": "1", "b": "2"})]


def test_xlsx_cells_are_typed_numbers_are_never_floats_and_blank_rows_are_skipped():
    content = bad_files.real_xlsx(
        [
            ("Payroll No", "Deposits", "Paid on"),
            ("P1", 1000.5, datetime.date(2026, 3, 2)),
            (None, None, None),
            ("P2", 3, None),
            (12345, 0.1, None),
        ]
    )
    rows = list(read_table(content, file_name="oct.xlsx"))
    assert [r.number for r in rows] == [2, 4, 5]
    assert rows[0].values == ("P1", Decimal("1000.5"), datetime.datetime(2026, 3, 2))
    assert rows[1].values == ("P2", 3)
    assert rows[2].values == (12345, Decimal("0.1"))
    assert not any(isinstance(v, float) for r in rows for v in r.values)


def test_formula_cells_are_read_as_their_saved_value_never_evaluated():
    sheet = b'<row><c><f>1+1</f><v>5</v></c><c t="inlineStr"><is><t>=HYPERLINK("x")</t></is></c></row>'
    content = bad_files.workbook_from_xml(header=["total", "text"], row_xml=sheet, rows=1, dimension="A1:B2")
    (row,) = list(read_table(content, file_name="f.xlsx"))
    assert row.values == (5, '=HYPERLINK("x")')  # 5 is what the file saved; evaluating would give 2


def test_cell_text():
    assert cell_text(None) == "" and cell_text("  a ") == "a" and cell_text(Decimal("12345.0")) == "12345"
    assert cell_text(datetime.date(2026, 3, 2)) == "2026-03-02" and cell_text(Decimal("1.50")) == "1.50"
