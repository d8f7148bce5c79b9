"""An import described once: its columns, its errors and its messages (``ImportSpec``), and the
checking every import shares — the header row mapped to columns, every row checked, every problem
collected, the template written.

An importer declares its spec and one function that checks a row::

    SPEC = ImportSpec(name="impor-produk", title=_l("Produk"), error=ShopError, refused=ProductImportError,
                      columns=(Column("sku", ("sku", "kode"), _l("Kode barang, unik. Wajib."), required=True), ...),
                      too_many_rows=lambda n: _l("Berkas ditolak: paling banyak %(n)s baris produk dalam satu berkas.", n=n),
                      no_rows=(_l("Berkas ditolak: tidak ada baris produk."), _l("Tidak ada baris produk.")))

    rows = SPEC.check(SPEC.read(data, filename, max_rows=MAX_ROWS), check_row, max_rows=MAX_ROWS)

``check_row(row)`` reads the row's cells by column key, puts each problem on its column with
``row.bad(key, message)`` and returns what the row will store; the spec gathers the problems of
every row and raises ``spec.refused`` listing them all, or returns the checked rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from flask_babel import lazy_gettext as _l

from koppontren import money
from koppontren.errors import DomainError
from koppontren.imports import reader
from koppontren.imports.cells import cell_amount, cell_date, cell_text, header_key, is_blank, money_message
from koppontren.imports.problems import RowProblem, RowsRefusedError

T = TypeVar("T")
#: Progress callback: (step, done, total); step "check" while rows are checked.
Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 250


@dataclass(frozen=True)
class Column:
    """One column of an import: ``key`` as the code knows it, ``names`` the headers it may be
    written as (compared as ``header_key``: case, spaces and hyphens do not matter; the first is
    the one the template and the messages use), ``help`` what to put in it (shown on the page)."""

    key: str
    names: tuple[str, ...]
    help: object = ""
    required: bool = False

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def aliases(self) -> tuple[str, ...]:
        return self.names[1:]


@dataclass(frozen=True)
class ColumnMap:
    """Where a file put each column: key -> cell index, and key -> the header as the file wrote it
    (the template's name for a column the file leaves out)."""

    index: dict[str, int]
    labels: dict[str, str]
    order: dict[str, int]

    def cell(self, raw: Sequence[object], key: str) -> object:
        i = self.index.get(key)
        return raw[i] if i is not None and i < len(raw) else None

    def label(self, key: str) -> str:
        return self.labels.get(key, key)


class Row:
    """One row being checked: its spreadsheet number, its cells by column key, and the problems
    found so far (the first problem of each column is kept)."""

    def __init__(self, number: int, raw: Sequence[object], columns: ColumnMap):
        self.number = number
        self.raw = raw
        self.columns = columns
        self.problems: dict[str, str] = {}

    def __getitem__(self, key: str) -> object:
        return self.columns.cell(self.raw, key)

    def text(self, key: str) -> str:
        return cell_text(self[key])

    def bad(self, key: str, message) -> None:
        """Put a problem on the column (its first problem is the one kept). Returns None, so that a
        checker stopping at a row's first problem may ``return row.bad(...)``."""
        self.problems.setdefault(key, str(message))

    def has_problem(self, key: str) -> bool:
        return key in self.problems

    def amount(self, key: str, decimals: int) -> Decimal | None:
        """The amount in the cell (0 when blank), or None with the problem put on the column."""
        try:
            return cell_amount(self[key], decimals)
        except money.MoneyError as err:
            self.bad(key, money_message(err))
            return None

    def date(self, key: str) -> date | None:
        """The date in the cell (None when blank, or with the problem put on the column)."""
        try:
            return cell_date(self[key])
        except ValueError:
            self.bad(key, _l("Tanggal tidak sah (tulis 2026-07-01 atau 01/07/2026)."))
            return None

    def problem_list(self) -> list[RowProblem]:
        """The row's problems in the order of the spec's columns."""
        ordered = sorted(self.problems.items(), key=lambda kv: self.columns.order.get(kv[0], len(self.columns.order)))
        return [RowProblem(self.number, self.columns.label(key), message) for key, message in ordered]


class Unique:
    """A column whose values must be unique: neither ``taken`` already (in the database) nor on an
    earlier row of the file. ``taken_message(value)`` and ``twice_message(value, first_row)``
    say which."""

    def __init__(self, taken: Iterable[str], taken_message: Callable[[str], object], twice_message: Callable[[str, int], object]):
        self.taken = set(taken)
        self.taken_message, self.twice_message = taken_message, twice_message
        self.seen: dict[str, int] = {}

    def check(self, row: Row, key: str, value: str | None) -> None:
        """Put the problem on ``key`` when ``value`` was used before; a blank value is not checked."""
        if not value:
            return
        if value in self.taken:
            row.bad(key, self.taken_message(value))
        elif value in self.seen:
            row.bad(key, self.twice_message(value, self.seen[value]))
        else:
            self.seen[value] = row.number


@dataclass(frozen=True)
class ImportSpec:
    """One import: its columns, the domain errors it raises, its own messages.

    ``error`` is the domain's error, which every refusal of the file itself becomes (unreadable,
    too big, wrong kind); ``refused`` the importer's ``RowsRefusedError`` error listing the bad rows.
    ``ignore_unknown`` lets a file carry columns the import does not read (otherwise an unknown
    column refuses the file: a misspelt amount column must not be skipped silently). ``formats``
    are the file kinds it reads and offers templates in. ``name`` is the templates' file name.
    """

    name: str
    title: object
    columns: tuple[Column, ...]
    error: type[DomainError]
    refused: type[RowsRefusedError]
    too_many_rows: Callable[[int], object]
    no_rows: tuple[object, object]
    ignore_unknown: bool = False
    formats: tuple[str, ...] = ("csv", "xlsx")
    _keys: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_keys", {c.key: c for c in self.columns})

    # --- the columns -------------------------------------------------------------------------------

    @property
    def header(self) -> list[str]:
        """The template's header row: each column's first name."""
        return [c.name for c in self.columns]

    def column(self, key: str) -> Column:
        return self._keys[key]

    def map_header(self, header_row: Sequence[object]) -> ColumnMap:
        """The file's header row mapped to the columns. Raises ``refused`` listing every problem of
        the header: an unknown column (unless ``ignore_unknown``), a column given twice, a required
        column missing."""
        accepted = {header_key(name): c.key for c in self.columns for name in c.names}
        index: dict[str, int] = {}
        labels: dict[str, str] = {}
        problems: list[RowProblem] = []
        for i, raw in enumerate(header_row):
            text, name = cell_text(raw), header_key(raw)
            if not name:
                continue
            key = accepted.get(name)
            if key is None:
                if not self.ignore_unknown:
                    problems.append(RowProblem(1, text, str(_l("Kolom tidak dikenal."))))
            elif key in index:
                problems.append(RowProblem(1, text, str(_l("Kolom ini ada dua kali."))))
            else:
                index[key], labels[key] = i, text
        problems += [RowProblem(1, c.name, str(_l("Kolom wajib tidak ada."))) for c in self.columns if c.required and c.key not in index]
        if problems:
            raise self.refused(_l("Berkas ditolak: baris judul kolom bermasalah. Tidak ada yang disimpan."), problems)
        for c in self.columns:
            labels.setdefault(c.key, c.name)
        return ColumnMap(index, labels, {c.key: i for i, c in enumerate(self.columns)})

    # --- reading and checking ----------------------------------------------------------------------

    def read(self, data: bytes, filename: str, *, max_rows: int) -> list[list[object]]:
        """The file's rows, read by the one streaming reader (reading stops at the first row past
        ``max_rows``). Raises ``refused`` for too many rows, ``error`` for a file refused whole."""
        if "xlsx" not in self.formats and not (filename or "").lower().endswith((".csv", ".txt")):
            message = _l("Gunakan berkas .csv.")
            raise self.error("invalid_file", message, {"file": message})
        try:
            return reader.read_table(data, filename, max_rows=max_rows)
        except reader.TooManyRowsError:
            raise self.too_many(max_rows) from None
        except reader.ImportFileError as err:
            raise self.error(err.code, err.message, err.fields) from None

    def too_many(self, max_rows: int) -> RowsRefusedError:
        return self.refused(self.too_many_rows(max_rows), [RowProblem(max_rows + 2, "-", str(_l("Terlalu banyak baris.")))])

    def refuse(self, problems: list[RowProblem]) -> RowsRefusedError:
        """The error refusing a file for the bad rows listed."""
        return self.refused(_l("Berkas ditolak: %(n)s baris bermasalah. Tidak ada yang disimpan.", n=len({p.row for p in problems})), problems)

    def check(self, table: list[list[object]], check_row: Callable[[Row], T | None], *, max_rows: int,
              progress: Progress | None = None, begin: Callable[[ColumnMap, list[list[object]]], None] | None = None) -> list[T]:
        """Check every row of a read table (blank rows are skipped); the checked rows in file order,
        or ``refused`` listing every problem of every row. Reads only.

        ``begin(columns, body)``, called once the header is mapped, lets a checker look up what all
        rows name in one query (the santri of every NIS) before the rows are checked one by one."""
        if not table:
            raise self.refused(_l("Berkas kosong."), [RowProblem(1, "-", str(_l("Tidak ada baris.")))])
        columns = self.map_header(table[0])
        body = table[1:]
        if len(body) > max_rows:
            raise self.too_many(max_rows)
        if begin is not None:
            begin(columns, body)
        problems: list[RowProblem] = []
        checked: list[T] = []
        for n, raw in enumerate(body, start=2):
            if progress and (n - 1) % PROGRESS_EVERY == 0:
                progress("check", n - 1, len(body))
            if all(is_blank(v) for v in raw):
                continue
            row = Row(n, raw, columns)
            item = check_row(row)
            if row.problems:
                problems += row.problem_list()
            elif item is not None:
                checked.append(item)
        if progress:
            progress("check", len(body), len(body))
        if problems:
            raise self.refuse(problems)
        if not checked:
            message, problem = self.no_rows
            raise self.refused(message, [RowProblem(2, "-", str(problem))])
        return checked

    # --- the template ------------------------------------------------------------------------------

    def template_rows(self, examples: Iterable[Sequence[object]]) -> list[list[object]]:
        return [self.header, *(list(row) for row in examples)]

    def template_csv(self, examples: Iterable[Sequence[object]]) -> bytes:
        """The template as CSV: the header row and the example rows."""
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(self.template_rows(examples))
        return out.getvalue().encode()

    def template_xlsx(self, examples: Iterable[Sequence[object]]) -> bytes:
        """The template as XLSX: the header in bold, every cell text (a spreadsheet would drop a
        NIK's, a barcode's or a phone number's leading zeros)."""
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = str(self.title)
        for row in self.template_rows(examples):
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.columns:
            for cell in column:
                cell.number_format = "@"
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
