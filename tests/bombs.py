"""Hostile spreadsheets for the upload tests, built in memory without holding what they inflate to:
a zip bomb (a sheet of repeated bytes written to the archive in chunks), the same bomb with a
central directory that lies about the size, and sheets with many rows."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable

from openpyxl import Workbook

MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
SHEET_START = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_END = b"</sheetData></worksheet>"


def xlsx(rows: Iterable[Iterable[object]]) -> bytes:
    """An ordinary workbook as openpyxl writes it."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_sheet(chunks: Iterable[bytes], *, level: int = 6) -> bytes:
    """A valid workbook whose first sheet's XML is ``chunks``, streamed into the archive (deflated)."""
    base = zipfile.ZipFile(io.BytesIO(xlsx([["x"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for info in base.infolist():
            if info.filename != SHEET:
                archive.writestr(info.filename, base.read(info.filename))
        with archive.open(SHEET, "w") as sheet:
            for chunk in chunks:
                sheet.write(chunk)
    return out.getvalue()


def bomb(size: int = 500 * MB) -> bytes:
    """About 2 MB that inflate to ``size`` bytes of sheet XML (blank space between the tags)."""
    block = b" " * MB
    return with_sheet([SHEET_START, *(block for _ in range(size // MB)), SHEET_END], level=1)


def directory_entries(data: bytes) -> dict[str, int]:
    """Member name -> offset of its central directory header."""
    end = data.rfind(b"PK\x05\x06")
    count, _size, offset = struct.unpack("<HLL", data[end + 10:end + 20])
    found = {}
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack("<HHH", data[offset + 28:offset + 34])
        found[data[offset + 46:offset + 46 + name_len].decode()] = offset
        offset += 46 + name_len + extra_len + comment_len
    return found


def patched(data: bytes, member: str, *, size: int | None = None, flags: int | None = None, method: int | None = None) -> bytes:
    """``data`` with the central directory's record of ``member`` changed (the local header is left
    as it was: the directory is what readers trust)."""
    at = directory_entries(data)[member]
    out = bytearray(data)
    if flags is not None:
        out[at + 8:at + 10] = struct.pack("<H", flags)
    if method is not None:
        out[at + 10:at + 12] = struct.pack("<H", method)
    if size is not None:
        out[at + 24:at + 28] = struct.pack("<L", size)
    return bytes(out)


def member_rows(count: int) -> Iterable[list[str]]:
    """The member import's header and ``count`` rows (spreadsheet rows 2 … count + 1)."""
    yield ["nama", "kategori", "tanggal_masuk"]
    for n in range(2, count + 2):
        yield [f"Santri {n}", "santri", "2026-01-05"]


def member_sheet(count: int, *, garbage_at: int | None = None) -> Iterable[bytes]:
    """Sheet XML of ``member_rows``; with ``garbage_at`` the XML breaks at that row, so a reader
    that got there would refuse the file as unreadable instead of by its row limit."""
    yield SHEET_START
    for n, row in enumerate(member_rows(count), start=1):
        if n == garbage_at:
            yield b"<<< not XML"
        cells = "".join(f'<c r="{col}{n}" t="inlineStr"><is><t>{value}</t></is></c>' for col, value in zip("ABC", row, strict=True))
        yield f'<row r="{n}">{cells}</row>'.encode()
    yield SHEET_END


def member_csv(count: int, *, garbage_at: int | None = None) -> bytes:
    """CSV of ``member_rows``; with ``garbage_at`` that row is not UTF-8."""
    lines = []
    for n, row in enumerate(member_rows(count), start=1):
        lines.append(b"\xff\xfe broken\n" if n == garbage_at else (",".join(row) + "\n").encode())
    return b"".join(lines)
