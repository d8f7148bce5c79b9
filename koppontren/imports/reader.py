"""The one reader of every file import (members, products, opening balances, santri, bank statements).

``read_table`` gives the rows of a CSV (UTF-8, comma or semicolon) or of the first sheet of an XLSX,
streamed row by row and bounded before anything large is read:

* rows: the header and at most ``max_rows`` rows are read; when one more row follows, reading stops
  there and ``TooManyRowsError`` is raised (the importer answers with its own message);
* columns: a header wider than ``MAX_COLUMNS`` is refused; cells further right are not read (no
  header names them, so no importer would use them);
* XLSX is a zip archive: before anything is inflated, its end record and central directory are
  checked — at most ``MAX_ENTRIES`` members, no encryption, only stored or deflated members, and the
  sum of the members' uncompressed sizes at most ``IMPORT_MAX_UNCOMPRESSED`` (config
  ``KOPPONTREN_IMPORT_MAX_UNCOMPRESSED``, default 50 MB). The archive is then read through a guard
  that counts the bytes actually inflated and stops at the same limit, so a size that lies in the
  directory cannot carry the reading further;
* CSV: a line longer than ``MAX_LINE`` characters is refused before it is parsed.

Every refusal is an ``ImportFileError`` (code ``invalid_file``, message in the user's language,
``fields = {"file": message}``); ``ImportSpec.read`` turns it into the importer's own domain error.
"""

from __future__ import annotations

import csv
import io
import itertools
import posixpath
import struct
import xml.parsers.expat
import zipfile
import zlib
from datetime import datetime

from flask import current_app, has_app_context
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

from koppontren.errors import DomainError

DEFAULT_MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_COLUMNS = 100
MAX_LINE = 1_000_000  # characters in one CSV line
MAX_ENTRIES = 1_000  # members of an XLSX archive (a workbook has a dozen or two)
MAX_DIRECTORY = 1024 * 1024  # bytes of its central directory

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel's encrypted workbooks and the old .xls are OLE files


class ImportFileError(DomainError):
    """The file was refused before its rows were checked (unreadable, too big, wrong kind)."""

    def __init__(self, message, code: str = "invalid_file"):
        super().__init__(code, message, {"file": message})


class TooManyRowsError(ImportFileError):
    """The file has more rows than the importer's ``max_rows``; reading stopped at the first extra row."""

    def __init__(self, limit: int):
        super().__init__(_l("Berkas ditolak: paling banyak %(n)s baris.", n=limit))
        self.limit = limit


def max_uncompressed() -> int:
    """The configured limit on an archive's uncompressed size (bytes)."""
    if has_app_context():
        return int(current_app.config.get("IMPORT_MAX_UNCOMPRESSED", DEFAULT_MAX_UNCOMPRESSED))
    return DEFAULT_MAX_UNCOMPRESSED


def read_table(data: bytes, filename: str, *, max_rows: int, limit: int | None = None) -> list[list[object]]:
    """The header row and at most ``max_rows`` further rows of a CSV or XLSX file, trailing empty
    cells dropped. Raises TooManyRowsError or ImportFileError; reads nothing past the first extra row."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _xlsx_rows(data, max_rows, max_uncompressed() if limit is None else limit)
    if name.endswith((".csv", ".txt")):
        return _csv_rows(data, max_rows)
    raise ImportFileError(_l("Gunakan berkas .csv atau .xlsx."))


def _trimmed(row) -> list[object]:
    """A row without its trailing empty cells."""
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return list(row[:end])


def _too_wide() -> ImportFileError:
    return ImportFileError(_l("Berkas ditolak: paling banyak %(n)s kolom.", n=MAX_COLUMNS))


def _collect(rows, max_rows: int) -> list[list[object]]:
    """Take the header and ``max_rows`` rows from an iterator, raising TooManyRowsError on the next one."""
    table: list[list[object]] = []
    for row in rows:
        if len(table) > max_rows:  # header + max_rows already read: this is one row too many
            raise TooManyRowsError(max_rows)
        if not table and len(_trimmed(row)) > MAX_COLUMNS:
            raise _too_wide()
        table.append(_trimmed(row[:MAX_COLUMNS]))
    return table


# --- CSV -------------------------------------------------------------------------------------------

def _lines(stream: io.TextIOBase):
    """The lines of a text stream (line ends kept), refusing one longer than MAX_LINE before it is parsed."""
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE:
            raise ImportFileError(_l("Berkas CSV ditolak: ada baris yang lebih panjang dari %(n)s karakter.", n=MAX_LINE))
        yield line


def _csv_rows(data: bytes, max_rows: int) -> list[list[object]]:
    # newline="": a lone CR ends a line as Excel on a Mac writes it; NUL bytes or a huge cell are refused
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    try:
        lines = _lines(stream)
        first = next(lines, None)
        if first is None:
            return []
        delimiter = ";" if first.count(";") > first.count(",") else ","
        return _collect(csv.reader(itertools.chain([first], lines), delimiter=delimiter), max_rows)
    except UnicodeDecodeError:
        raise ImportFileError(_l("Berkas CSV harus berenkode UTF-8.")) from None
    except csv.Error as err:
        raise ImportFileError(_l("Berkas CSV tidak dapat dibaca: %(problem)s.", problem=str(err))) from None


# --- XLSX ------------------------------------------------------------------------------------------

def _megabytes(size: int) -> str:
    return format_decimal(round(size / (1024 * 1024), 1))


def _too_large(limit: int) -> ImportFileError:
    return ImportFileError(_l("Berkas XLSX ditolak: isinya lebih dari %(mb)s MB setelah dibuka (dipadatkan). Tidak ada yang disimpan.",
                              mb=_megabytes(limit)))


def _unreadable() -> ImportFileError:
    return ImportFileError(_l("Berkas XLSX tidak dapat dibaca."))


def _check_end_record(data: bytes) -> None:
    """Before zipfile reads the central directory: the end record must be a plain one (no ZIP64)
    naming a small directory of few members, so reading the directory is cheap."""
    if data[:8] == _OLE:
        raise ImportFileError(_l("Berkas XLSX ditolak: berkas ini dilindungi kata sandi atau berformat .xls lama. "
                                 "Simpan sebagai .xlsx tanpa kata sandi lalu unggah lagi."))
    tail = data[-(_EOCD_SIZE + 65_535):]
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise _unreadable()
    _, disk, directory_disk, on_disk, entries, size, offset, _ = struct.unpack("<4s4H2LH", tail[at:at + _EOCD_SIZE])
    zip64 = 0xFFFF in (disk, directory_disk, on_disk, entries) or 0xFFFFFFFF in (size, offset) or tail[max(at - 20, 0):at].startswith(_ZIP64_LOCATOR)
    if zip64 or disk or directory_disk or on_disk != entries or entries > MAX_ENTRIES or size > MAX_DIRECTORY:
        raise _unreadable()


def _check_members(archive: zipfile.ZipFile, limit: int) -> None:
    """From the central directory only, nothing inflated: no encrypted member, only stored or
    deflated ones, their uncompressed sizes adding up to at most ``limit``."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _unreadable()
    if any(info.flag_bits & 0x1 for info in infos):
        raise ImportFileError(_l("Berkas XLSX ditolak: isinya dilindungi kata sandi. Simpan tanpa kata sandi lalu unggah lagi."))
    if any(info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos):
        raise _unreadable()
    if sum(info.file_size for info in infos) > limit:
        raise _too_large(limit)


class _Budget:
    """Bytes actually inflated, counting for each member the furthest any reading of it got (a
    member read twice counts once); going over ``limit`` stops the reading. zipfile itself stops a
    member at the size its directory entry claims (a lie then fails the CRC); this count does not
    rely on that."""

    def __init__(self, limit: int):
        self.limit = limit
        self.total = 0
        self.furthest: dict[int, int] = {}

    def reached(self, member: int, position: int) -> None:
        before = self.furthest.get(member, 0)
        if position > before:
            self.furthest[member] = position
            self.total += position - before
            if self.total > self.limit:
                raise _too_large(self.limit)


class _Counted(io.RawIOBase):
    """A member being inflated, counted against the budget as it is read."""

    def __init__(self, raw, budget: _Budget, member: int):
        super().__init__()
        self._raw, self._budget, self._member, self._position = raw, budget, member, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._position += n
        self._budget.reached(self._member, self._position)
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _GuardedZip(zipfile.ZipFile):
    """A read-only archive whose members inflate through ``_Counted``."""

    budget: _Budget
    members: frozenset[str]

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        if mode != "r":
            raise ValueError("read only")
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        return _Counted(super().open(info, mode, pwd, force_zip64=force_zip64), self.budget, info.header_offset)


def _open_archive(data: bytes, limit: int) -> _GuardedZip:
    _check_end_record(data)
    try:
        archive = _GuardedZip(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, RuntimeError, struct.error):
        raise _unreadable() from None
    archive.budget = _Budget(limit)
    archive.members = frozenset(archive.namelist())
    _check_members(archive, limit)
    return archive


# The sheet, its shared strings, styles and the workbook's parts are read with expat, event by
# event: no tree is built, a tag longer than MAX_TAG or nesting deeper than MAX_DEPTH is refused, a
# cell's text is capped, and the parse stops at the row limit. Only the shared strings the rows read
# use are kept. Values follow openpyxl's (read-only, data_only): numbers int or float, date-styled
# numbers datetime, booleans bool, text str.

MAX_TAG = 64 * 1024
MAX_DEPTH = 64
MAX_CELL_TEXT = 32_767  # Excel's own limit
MAX_STYLES = 100_000
_CHUNK = 64 * 1024


class _Stop(Exception):  # noqa: N818 - not an error: the handler found what it was looking for
    """Raised by a handler to end a parse early."""


class _Shared:
    """A cell pointing into the shared strings, resolved once the rows are read."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


def _attribute(name: str) -> str:
    """An attribute's local name; ``r:id`` for the relationships namespace's ``id``."""
    space, _, local = name.rpartition(" ")
    return "r:" + local if space.endswith("/relationships") else local


def _parse(archive: zipfile.ZipFile, member: str, start, end=None, text=None) -> None:
    """Feed one archive member to expat in chunks, calling ``start(name, attrs, depth)``,
    ``end(name, depth)`` and ``text(data)`` with local names; a handler raises _Stop to end early."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    depth = 0

    def on_start(name, attrs):
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _unreadable()
        start(_local(name), {_attribute(k): v for k, v in attrs.items()}, depth)

    def on_end(name):
        nonlocal depth
        if end is not None:
            end(_local(name), depth)
        depth -= 1

    def no_doctype(*_args):  # no part of a workbook has one; refusing it rules out entity tricks
        raise _unreadable()

    parser.StartElementHandler, parser.EndElementHandler = on_start, on_end
    parser.StartDoctypeDeclHandler = no_doctype
    if text is not None:
        parser.CharacterDataHandler = text
    parser.buffer_text = True
    tag_from = None  # offset where a tag still open at the end of the last chunk began
    offset = 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                opened, closed = chunk.rfind(b"<"), chunk.rfind(b">")
                if opened > closed:
                    tag_from = offset + opened
                elif closed > opened:
                    tag_from = None
                offset += len(chunk)
                if tag_from is not None and offset - tag_from > MAX_TAG:
                    raise _unreadable()
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        pass


def _capped(parts: list[str], data: str) -> None:
    parts.append(data)
    if sum(map(len, parts)) > MAX_CELL_TEXT:
        raise ImportFileError(_l("Berkas XLSX ditolak: ada sel yang lebih panjang dari %(n)s karakter.", n=MAX_CELL_TEXT))


def _target(base: str, target: str) -> str:
    """A relationship's target as an archive member name, relative to the part ``base``."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type's last word, member name) of a part's relationships."""
    rels_name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    found: dict[str, tuple[str, str]] = {}

    def start(name, attrs, _depth):
        if name == "Relationship" and "Id" in attrs and "Target" in attrs:
            if len(found) >= MAX_ENTRIES:
                raise _unreadable()
            found[attrs["Id"]] = (attrs.get("Type", "").rpartition("/")[2], _target(part, attrs["Target"]))

    if rels_name in archive.members:
        _parse(archive, rels_name, start)
    return found


def _workbook(archive: zipfile.ZipFile) -> tuple[str, str | None, str | None, datetime]:
    """(first worksheet, shared strings, styles, date epoch) of the workbook."""
    package = _relationships(archive, "")
    book = next((target for kind, target in package.values() if kind == "officeDocument"), "xl/workbook.xml")
    rels = _relationships(archive, book)
    found: dict[str, object] = {"epoch": WINDOWS_EPOCH}

    def start(name, attrs, _depth):
        if name == "workbookPr" and attrs.get("date1904", "").lower() in ("1", "true"):
            found["epoch"] = MAC_EPOCH
        elif name == "sheet":
            kind, target = rels.get(attrs.get("r:id", ""), ("", ""))
            if kind == "worksheet" and target in archive.members:
                found["sheet"] = target
                raise _Stop

    _parse(archive, book, start)
    if "sheet" not in found:
        raise _unreadable()

    def part(kind: str, default: str) -> str | None:
        name = next((target for k, target in rels.values() if k == kind), default)
        return name if name in archive.members else None

    return found["sheet"], part("sharedStrings", "xl/sharedStrings.xml"), part("styles", "xl/styles.xml"), found["epoch"]


def _date_styles(archive: zipfile.ZipFile, member: str | None) -> tuple[set[int], set[int]]:
    """The cell styles (indexes into cellXfs) whose number format is a date, and those a duration."""
    dates: set[int] = set()
    durations: set[int] = set()
    if member is None:
        return dates, durations
    custom: dict[str, tuple[bool, bool]] = {}  # numFmtId -> (a date, a duration): the codes themselves are not kept
    where = {"xf": -1, "in_xfs": False}

    def kinds(code: str | None) -> tuple[bool, bool]:
        return (bool(code) and is_date_format(code), bool(code) and is_timedelta_format(code))

    def start(name, attrs, _depth):
        if name == "numFmt" and "numFmtId" in attrs:
            if len(custom) >= MAX_STYLES:
                raise _unreadable()
            custom[attrs["numFmtId"]] = kinds(attrs.get("formatCode"))
        elif name == "cellXfs":
            where["in_xfs"] = True
        elif name == "xf" and where["in_xfs"]:
            where["xf"] += 1
            if where["xf"] >= MAX_STYLES:
                raise _unreadable()
            number = attrs.get("numFmtId", "0")
            is_date, is_duration = custom.get(number) or kinds(BUILTIN_FORMATS.get(int(number)) if number.isdecimal() else None)
            if is_date:
                dates.add(where["xf"])
            if is_duration:
                durations.add(where["xf"])

    def end(name, _depth):
        if name == "cellXfs":
            raise _Stop

    _parse(archive, member, start, end)
    return dates, durations


def _column(reference: str) -> int:
    """1 for "A7", 28 for "AB7"; 0 when there are no letters."""
    number = 0
    for char in reference:
        if not ("A" <= char <= "Z"):
            break
        number = number * 26 + ord(char) - 64
    return number


class _SheetReader:
    """The rows of a worksheet, read by expat events; stops after ``max_rows`` rows below the header."""

    def __init__(self, max_rows: int, dates: set[int], durations: set[int], epoch):
        self.max_rows, self.dates, self.durations, self.epoch = max_rows, dates, durations, epoch
        self.rows: list[list[object]] = []
        self.shared: set[int] = set()
        self.row = 0  # the sheet's row number being read
        self.row_cells: list[object] | None = None
        self.col = 0
        self.cell: dict | None = None
        self.text: list[str] | None = None
        self.in_phonetic = False

    def start(self, name, attrs, _depth):
        if name == "row":
            self._start_row(attrs.get("r"))
        elif name == "c" and self.row_cells is not None:
            self.col = _column(attrs.get("r", "").upper()) or self.col + 1
            self.cell = {"t": attrs.get("t", "n"), "s": attrs.get("s", "0"), "v": None, "is": None}
        elif self.cell is not None:
            self._start_in_cell(name)

    def _start_row(self, reference: str | None) -> None:
        number = int(float(reference)) if reference else self.row + 1
        if number > self.max_rows + 1:  # row max_rows + 2 of the sheet: one row too many
            raise TooManyRowsError(self.max_rows)
        if number <= self.row:  # out of order or repeated: skipped, as openpyxl does
            self.row_cells = None
            return
        while len(self.rows) < number - 1:  # rows the sheet leaves out are empty rows
            self.rows.append([])
        self.row, self.row_cells, self.col = number, [], 0

    def _start_in_cell(self, name: str) -> None:
        if name == "v" and self.cell["v"] is None:
            self.text = self.cell["v"] = []
        elif name == "is":
            self.cell["is"] = []
        elif name == "rPh":
            self.in_phonetic = True
        elif name == "t" and self.cell["is"] is not None and not self.in_phonetic:
            self.text = self.cell["is"]

    def data(self, data):
        if self.text is not None:
            _capped(self.text, data)

    def end(self, name, _depth):
        if name in ("v", "t"):
            self.text = None
        elif name == "rPh":
            self.in_phonetic = False
        elif name == "c" and self.cell is not None:
            value = self._value(self.cell)
            self.cell = None
            if value is None or value == "":
                return
            if self.col > MAX_COLUMNS:
                if self.row == 1:
                    raise _too_wide()
                return
            cells = self.row_cells
            if len(cells) < self.col:
                cells.extend([None] * (self.col - len(cells)))
            cells[self.col - 1] = value
        elif name == "row" and self.row_cells is not None:
            self.rows.append(self.row_cells)
            self.row_cells = None

    def _value(self, cell: dict) -> object:
        kind = cell["t"]
        if kind == "inlineStr":
            return "".join(cell["is"]) if cell["is"] is not None else None
        text = "".join(cell["v"]) if cell["v"] is not None else ""
        if not text:
            return None
        if kind == "n":
            number = float(text) if "." in text or "e" in text.lower() else int(text)
            style = int(cell["s"] or 0)
            if style in self.dates:
                try:
                    return from_excel(number, self.epoch, timedelta=style in self.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            index = int(text)
            self.shared.add(index)
            return _Shared(index)
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return from_ISO8601(text)
        return text  # "str" (a formula's text), "e" (an error such as #N/A)


def _shared_strings(archive: zipfile.ZipFile, member: str | None, wanted: set[int]) -> dict[int, str]:
    """The shared strings the rows use (only those are kept), as openpyxl reads them: the item's
    text and its runs' text, without phonetic runs."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    if member is None:
        raise _unreadable()
    state = {"index": -1, "parts": None, "phonetic": False, "text": None}
    last = max(wanted)

    def start(name, _attrs, _depth):
        if name == "si":
            state["index"] += 1
            state["parts"] = [] if state["index"] in wanted else None
        elif name == "rPh":
            state["phonetic"] = True
        elif name == "t" and state["parts"] is not None and not state["phonetic"]:
            state["text"] = state["parts"]

    def text(data):
        if state["text"] is not None:
            _capped(state["text"], data)

    def end(name, _depth):
        if name == "t":
            state["text"] = None
        elif name == "rPh":
            state["phonetic"] = False
        elif name == "si":
            if state["parts"] is not None:
                found[state["index"]] = "".join(state["parts"]).replace("x005F_", "")
                state["parts"] = None
            if state["index"] >= last:
                raise _Stop

    _parse(archive, member, start, end, text)
    if len(found) < len(wanted):
        raise _unreadable()
    return found


def _xlsx_rows(data: bytes, max_rows: int, limit: int) -> list[list[object]]:
    archive = _open_archive(data, limit)
    try:
        sheet, strings, styles, epoch = _workbook(archive)
        reader = _SheetReader(max_rows, *_date_styles(archive, styles), epoch)
        _parse(archive, sheet, reader.start, reader.end, reader.data)
        if reader.row_cells is not None:  # a sheet cut off inside a row
            raise _unreadable()
        texts = _shared_strings(archive, strings, reader.shared)
        return [_trimmed([texts[v.index] if isinstance(v, _Shared) else v for v in row]) for row in reader.rows]
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, KeyError, IndexError, TypeError, ValueError, OverflowError, EOFError, OSError, RuntimeError,
            zlib.error, xml.parsers.expat.ExpatError):  # a broken part, a bad CRC (a size that lies), a malformed number
        raise _unreadable() from None
    finally:
        archive.close()
