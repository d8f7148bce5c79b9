"""The one reader of every import (koppontren/imports/reader.py): rows streamed and stopped at the row
limit, XLSX archives checked in their central directory before anything is inflated and counted
while they are read, and every refusal a clear ImportFileError. Memory is measured with tracemalloc
(peak of what Python allocates while the file is read, zlib's and expat's buffers included)."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from koppontren.imports import reader as imports
from tests import bombs
from tests.bombs import MB


def _naive(*args) -> datetime:
    return datetime(*args)  # noqa: DTZ001 - spreadsheets hold naive dates


def _peak(read):
    """(what ``read()`` raised, the peak traced memory while it ran)."""
    tracemalloc.start()
    try:
        with pytest.raises(imports.ImportFileError) as err:
            read()
        return err.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return bombs.bomb()


def test_the_bomb_is_small_and_inflates_to_500_mb(bomb):
    archive = zipfile.ZipFile(io.BytesIO(bomb))
    assert len(bomb) < 3 * MB and archive.getinfo(bombs.SHEET).file_size >= 500 * MB


def test_a_zip_bomb_is_refused_from_its_directory_without_inflating_it(app_ctx, bomb):
    err, peak = _peak(lambda: imports.read_table(bomb, "anggota.xlsx", max_rows=20_000))
    assert err.code == "invalid_file" and "lebih dari 50 MB setelah dibuka" in str(err.message)
    assert err.fields == {"file": err.message}
    assert peak < 100 * MB
    assert peak < 10 * MB  # in fact nothing was inflated


def test_the_limit_is_the_config_setting(app_ctx, monkeypatch):
    data = bombs.with_sheet([bombs.SHEET_START, b" " * (2 * MB), bombs.SHEET_END])
    assert imports.read_table(data, "a.xlsx", max_rows=10) == []  # 2 MB is well under the default 50 MB
    monkeypatch.setitem(app_ctx.config, "IMPORT_MAX_UNCOMPRESSED", MB)
    with pytest.raises(imports.ImportFileError) as err:
        imports.read_table(data, "a.xlsx", max_rows=10)
    assert "lebih dari 1 MB setelah dibuka" in str(err.value.message)


def test_a_directory_that_lies_about_the_size_does_not_carry_the_reading_past_it(app_ctx, bomb):
    liar = bombs.patched(bomb, bombs.SHEET, size=10_000)  # the directory says 10 kB, the data inflate to 500 MB
    err, peak = _peak(lambda: imports.read_table(liar, "anggota.xlsx", max_rows=20_000))
    assert str(err.message) == "Berkas XLSX tidak dapat dibaca."
    assert peak < 20 * MB


def test_the_bytes_actually_inflated_are_counted_and_stop_the_reading(app_ctx, bomb, monkeypatch):
    """With the directory check out of the way the guard alone stops the bomb at the limit."""
    monkeypatch.setattr(imports, "_check_members", lambda archive, limit: None)
    err, peak = _peak(lambda: imports.read_table(bomb, "anggota.xlsx", max_rows=20_000, limit=2 * MB))
    assert "lebih dari 2 MB setelah dibuka" in str(err.message)
    assert peak < 20 * MB


@pytest.mark.parametrize("make, message", [
    (lambda d: bombs.patched(d, bombs.SHEET, flags=0x1), "dilindungi kata sandi"),
    (lambda d: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + d, "dilindungi kata sandi atau berformat .xls lama"),
    (lambda d: bombs.patched(d, bombs.SHEET, method=99), "tidak dapat dibaca"),  # AES or anything but stored/deflated
    (lambda d: d[:len(d) // 2], "tidak dapat dibaca"),
    (lambda d: d.replace(b"PK\x05\x06", b"PK\x00\x00"), "tidak dapat dibaca"),
])
def test_encrypted_truncated_or_strange_archives_are_refused(app_ctx, make, message):
    with pytest.raises(imports.ImportFileError) as err:
        imports.read_table(make(bombs.xlsx([["nama"], ["Ahmad"]])), "a.xlsx", max_rows=10)
    assert message in str(err.value.message)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_an_archive_of_many_members_or_a_nested_one_is_refused_cleanly(app_ctx):
    many = _zip({f"x/{n}.xml": b"" for n in range(imports.MAX_ENTRIES + 1)})
    nested = _zip({"inner.xlsx": bombs.xlsx([["nama"]]), "[Content_Types].xml": b"<Types/>"})
    for data in (many, nested, _zip({})):
        with pytest.raises(imports.ImportFileError) as err:
            imports.read_table(data, "a.xlsx", max_rows=10)
        assert str(err.value.message) == "Berkas XLSX tidak dapat dibaca."


@pytest.mark.parametrize("sheet", [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><worksheet>&b;</worksheet>',
    bombs.SHEET_START + b"<x>" * 1000 + b"</x>" * 1000 + bombs.SHEET_END,  # nesting
    bombs.SHEET_START + b'<row r="1" ' + b"a" * (200 * 1024) + b'="1"/>' + bombs.SHEET_END,  # one enormous tag
    bombs.SHEET_START + b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + b"a" * 40_000 + b"</t></is></c></row>" + bombs.SHEET_END,
    bombs.SHEET_START + b'<row r="1"><c r="A1"><v>12',  # cut off
])
def test_hostile_sheet_xml_is_refused(app_ctx, sheet):
    with pytest.raises(imports.ImportFileError):
        imports.read_table(bombs.with_sheet([sheet]), "a.xlsx", max_rows=10)


def test_a_30000_row_xlsx_is_refused_at_the_row_limit_without_reading_on(app_ctx):
    data = bombs.with_sheet(bombs.member_sheet(30_000, garbage_at=25_000))  # a reader that got to row 25,000 would fail there
    err, peak = _peak(lambda: imports.read_table(data, "anggota.xlsx", max_rows=20_000))
    assert isinstance(err, imports.TooManyRowsError) and err.limit == 20_000
    assert peak < 40 * MB
    assert len(imports.read_table(bombs.with_sheet(bombs.member_sheet(20_000)), "anggota.xlsx", max_rows=20_000)) == 20_001


def test_a_30000_row_csv_is_refused_at_the_row_limit_without_reading_on(app_ctx):
    data = bombs.member_csv(30_000, garbage_at=25_000)  # not UTF-8 there: read that far, it would be refused for it
    err, peak = _peak(lambda: imports.read_table(data, "anggota.csv", max_rows=20_000))
    assert isinstance(err, imports.TooManyRowsError)
    assert peak < 40 * MB
    assert len(imports.read_table(bombs.member_csv(20_000), "anggota.csv", max_rows=20_000)) == 20_001


def test_a_sheet_that_skips_rows_keeps_the_spreadsheet_row_numbers_and_a_far_row_counts(app_ctx):
    sheet = [bombs.SHEET_START, b'<row r="1"><c r="A1" t="inlineStr"><is><t>nama</t></is></c></row>',
             b'<row r="4"><c r="B4"><v>7</v></c></row>', bombs.SHEET_END]
    assert imports.read_table(bombs.with_sheet(sheet), "a.xlsx", max_rows=10) == [["nama"], [], [], [None, 7]]
    far = [bombs.SHEET_START, b'<row r="1"/>', b'<row r="1048576"/>', bombs.SHEET_END]
    with pytest.raises(imports.TooManyRowsError):
        imports.read_table(bombs.with_sheet(far), "a.xlsx", max_rows=10)


def test_a_forged_dimension_changes_nothing(app_ctx):
    sheet = [bombs.SHEET_START.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>'),
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>nama</t></is></c></row>', bombs.SHEET_END]
    assert imports.read_table(bombs.with_sheet(sheet), "a.xlsx", max_rows=10) == [["nama"]]


def test_too_many_columns_in_the_header_are_refused_and_cells_without_a_header_are_not_read(app_ctx):
    wide = [["c"] * (imports.MAX_COLUMNS + 1)]
    for data, name in ((bombs.xlsx(wide), "a.xlsx"), ((",".join(wide[0]) + "\n").encode(), "a.csv")):
        with pytest.raises(imports.ImportFileError) as err:
            imports.read_table(data, name, max_rows=10)
        assert "paling banyak 100 kolom" in str(err.value.message)
    far = [["nama"], ["Ahmad", *([None] * 200), "far"]]
    assert imports.read_table(bombs.xlsx(far), "a.xlsx", max_rows=10) == [["nama"], ["Ahmad"]]


def test_a_csv_line_longer_than_the_limit_is_refused_before_it_is_parsed(app_ctx):
    with pytest.raises(imports.ImportFileError) as err:
        imports.read_table(b"nama\n" + b"," * (imports.MAX_LINE + 10) + b"\n", "a.csv", max_rows=10)
    assert "lebih panjang dari" in str(err.value.message)


def test_values_are_read_as_openpyxl_reads_them(app_ctx):
    """Shared and inline strings, rich text, numbers, dates (1900 and 1904 calendars), booleans,
    cached formula results, blank cells: the same values as openpyxl's read-only reader gives."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    for epoch1904 in (False, True):
        workbook = Workbook()
        workbook.epoch = _naive(1904, 1, 1) if epoch1904 else _naive(1899, 12, 30)
        sheet = workbook.active
        sheet.append(["nama", "jumlah", "tanggal", "aktif", "kode", None, "akhir"])
        sheet.append(["Ahmad", 1250000, _naive(2026, 1, 5), True, "007", None, 1.5])
        sheet.append([CellRichText("Siti ", TextBlock(InlineFont(b=True), "Aminah")), -3, _naive(2025, 12, 31, 8, 30), False, "=1+1"])
        sheet["C3"].number_format = "dd/mm/yyyy"
        sheet.append([])
        sheet.append(["", 0, None, None, "x"])
        workbook.create_sheet("kedua").append(["other"])
        out = io.BytesIO()
        workbook.save(out)
        data = out.getvalue()
        expected = [[v for v in row] for row in load_workbook(io.BytesIO(data), read_only=True, data_only=True).active.values]
        expected = [imports._trimmed(row) for row in expected]
        assert imports.read_table(data, "a.xlsx", max_rows=10) == expected
        assert expected[1][2] == _naive(2026, 1, 5) and expected[2][0] == "Siti Aminah"


@pytest.mark.parametrize("data, name, message", [
    (b"nama\n\xff\n", "a.csv", "harus berenkode UTF-8"),
    (b"nama\n\"" + b"a" * 200_000 + b"\"\n", "a.csv", "tidak dapat dibaca"),
    (b"x", "a.pdf", "Gunakan berkas .csv atau .xlsx"),
    (b"not a zip", "a.xlsx", "tidak dapat dibaca"),
])
def test_unreadable_files_are_refused_with_a_message(app_ctx, data, name, message):
    with pytest.raises(imports.ImportFileError) as err:
        imports.read_table(data, name, max_rows=10)
    assert message in str(err.value.message)


def test_csv_reading_keeps_its_ways(app_ctx):
    assert imports.read_table(b"", "a.csv", max_rows=10) == []
    assert imports.read_table(b"\xef\xbb\xbfnama;kategori\rAhmad;santri\r", "a.csv", max_rows=10) == [["nama", "kategori"], ["Ahmad", "santri"]]
    assert imports.read_table(b'nama,alamat\nA,"Jl. X\nNo. 5",\n\n', "a.txt", max_rows=10) == [["nama", "alamat"], ["A", "Jl. X\nNo. 5"], []]


# --- random files: a table or the reader's own refusal, nothing else -----------------------------

_TOKENS = ['<row r="1">', '<row r="3">', "<row>", '<row r="x">', "</row>", '<c r="A1">', '<c r="B1" t="s">', '<c t="inlineStr">',
           '<c r="ZZ9" t="b">', '<c s="1">', '<c s="999" r="C2" t="d">', '<c t="e">', "</c>", "<v>", "</v>", "<v>1</v>", "<v>0</v>",
           "<v>1.5e3</v>", "<v>2026-01-05</v>", "<v>-1</v>", "<v>abc</v>", "<is><t>teks</t></is>", "<is><r><t>a</t></r><rPh><t>b</t></rPh></is>",
           "<f>1+1</f>", "&amp;", "&#0;", "&#x41;", "<![CDATA[x]]>", "<!-- c -->", " ", "<x/>", "</sheetData>", "<sheetData>"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_TOKENS), max_size=30))
def test_random_sheet_xml_gives_rows_or_a_refusal(app_ctx, tokens):
    data = bombs.with_sheet([bombs.SHEET_START, "".join(tokens).encode(), bombs.SHEET_END])
    try:
        rows = imports.read_table(data, "a.xlsx", max_rows=5)
    except imports.ImportFileError as err:
        assert err.code == "invalid_file" and str(err.message)
    else:
        assert isinstance(rows, list) and len(rows) <= 6


@pytest.fixture(scope="module")
def stored_xlsx() -> bytes:
    """A workbook whose members are stored, not deflated: flipped bytes land in the XML itself."""
    source = zipfile.ZipFile(io.BytesIO(bombs.xlsx([["nama", "jumlah"], ["Ahmad", 1250000], ["Siti", 2.5]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
    return out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(min_value=0, max_value=1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8))
def test_a_damaged_workbook_gives_rows_or_a_refusal(app_ctx, stored_xlsx, flips):
    data = bytearray(stored_xlsx)
    for where, value in flips:
        data[int(where * len(data))] = value
    try:
        imports.read_table(bytes(data), "a.xlsx", max_rows=5)
    except imports.ImportFileError as err:
        assert err.code == "invalid_file" and str(err.message)
