"""Imports of the santri wallet, all or nothing, with every bad row listed (row, column, problem)
like the member import — it shares its reader and header mapping (``koppontren.imports``):

* the santri register (``impor santri``) from CSV or XLSX: nis, nama, kelas, asrama, nomor_anggota;
* a bank statement (``mutasi bank``) as CSV: tanggal, referensi, nis, jumlah — one top-up per row,
  recorded by ``services.bulk_topups`` (one entry per date, Dr 1112 / Cr 2113).

Rows are numbered as in the spreadsheet (the header is row 1). Every row is checked here first so
that each problem names its column; whatever the service still refuses (a race with another
treasurer) comes back as the same kind of problem. A refused file writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from koppontren import imports, money
from koppontren.clock import today
from koppontren.imports import RowProblem, cell_amount, cell_text, map_columns, money_message
from koppontren.members import services as members
from koppontren.tenancy.models import Cooperative
from koppontren.wallet import queries
from koppontren.wallet import services as wallet
from koppontren.wallet.errors import BulkRefusedError, WalletError

MAX_ROWS = 5_000
NIS_RE = re.compile(r"^[0-9A-Za-z./-]{1,30}$")

#: column -> accepted header names (lower-cased, spaces and hyphens read as "_"); the first is the
#: one the template and the messages use.
SANTRI_HEADERS = {
    "nis": ("nis", "nomor_induk", "nomor_induk_santri", "student_number"),
    "name": ("nama", "name", "nama_santri"),
    "kelas": ("kelas", "class"),
    "asrama": ("asrama", "dormitory", "kamar"),
    "member_number": ("nomor_anggota", "member_number", "no_anggota"),
}
SANTRI_REQUIRED = ("nis", "name")

STATEMENT_HEADERS = {
    "date": ("tanggal", "date", "tgl"),
    "reference": ("referensi", "reference", "ref", "keterangan", "berita"),
    "nis": ("nis", "nomor_induk"),
    "amount": ("jumlah", "amount", "nominal", "kredit", "credit"),
}
STATEMENT_REQUIRED = ("date", "nis", "amount")


class WalletImportError(WalletError):
    """The file was refused whole; ``problems`` lists every problem of every bad row."""

    def __init__(self, message, problems: list[RowProblem]):
        super().__init__("invalid_file", message, {f"row {p.row}": f"{p.column}: {p.problem}" for p in problems[:200]})
        self.problems = problems


@dataclass(frozen=True)
class SantriRow:
    row: int
    data: wallet.SantriData


@dataclass(frozen=True)
class StatementRow:
    row: int
    day: date
    reference: str | None
    nis: str
    amount: Decimal


@dataclass(frozen=True)
class StatementPlan:
    """What a bank statement would record (the dry run shows it)."""

    rows: list[StatementRow]
    names: dict[str, str]  # nis -> santri name

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.rows), Decimal(0))


def _too_many_rows() -> WalletImportError:
    return WalletImportError(_l("Berkas ditolak: paling banyak %(n)s baris dalam satu berkas.", n=MAX_ROWS),
                             [RowProblem(MAX_ROWS + 2, "-", str(_l("Terlalu banyak baris.")))])


def _read(data: bytes, filename: str, *, csv_only: bool = False) -> list[list[object]]:
    if csv_only and not (filename or "").lower().endswith((".csv", ".txt")):
        raise WalletError("invalid_file", _l("Gunakan berkas .csv (mutasi bank)."), {"file": _l("Gunakan berkas .csv (mutasi bank).")})
    try:  # koppontren.imports: streamed, reading stops at the first row past MAX_ROWS
        return imports.read_table(data, filename, max_rows=MAX_ROWS)
    except imports.TooManyRowsError:
        raise _too_many_rows() from None
    except imports.ImportFileError as err:
        raise WalletError(err.code, err.message, err.fields) from None


def _header(table: list[list[object]], headers, required):
    if not table:
        raise WalletImportError(_l("Berkas kosong."), [RowProblem(1, "-", str(_l("Tidak ada baris.")))])
    columns, labels, problems = map_columns(table[0], headers, required)
    if problems:
        raise WalletImportError(_l("Berkas ditolak: baris judul kolom bermasalah. Tidak ada yang disimpan."), problems)
    body = table[1:]
    if len(body) > MAX_ROWS:
        raise _too_many_rows()
    return columns, labels, body


def _cell(columns: dict[str, int], raw: list[object], key: str):
    i = columns.get(key)
    return raw[i] if i is not None and i < len(raw) else None


def _refused(problems: list[RowProblem]) -> WalletImportError:
    return WalletImportError(_l("Berkas ditolak: %(n)s baris bermasalah. Tidak ada yang disimpan.", n=len({p.row for p in problems})),
                             problems)


def clean_nis(value: object) -> str:
    return "".join(cell_text(value).split())


# --- the santri register ---------------------------------------------------------------------------

def check_santri_rows(coop: Cooperative, table: list[list[object]]) -> list[SantriRow]:
    """Check every row of a read santri table; the rows, or WalletImportError listing every problem.
    Reads only."""
    columns, labels, body = _header(table, SANTRI_HEADERS, SANTRI_REQUIRED)
    taken = queries.existing_nis(coop)
    seen: dict[str, int] = {}
    seen_members: dict[str, int] = {}
    linked = queries.linked_member_numbers(coop)
    problems: list[RowProblem] = []
    rows: list[SantriRow] = []
    for n, raw in enumerate(body, start=2):
        if all(cell_text(v) == "" for v in raw):
            continue
        found: dict[str, str] = {}

        def bad(key: str, message, found=found) -> None:
            found.setdefault(key, str(message))

        nis = clean_nis(_cell(columns, raw, "nis"))
        name = " ".join(cell_text(_cell(columns, raw, "name")).split())
        kelas = cell_text(_cell(columns, raw, "kelas"))
        asrama = cell_text(_cell(columns, raw, "asrama"))
        number = cell_text(_cell(columns, raw, "member_number"))
        if not nis:
            bad("nis", _l("NIS wajib diisi."))
        elif not NIS_RE.match(nis):
            bad("nis", _l("NIS hanya huruf, angka, titik, garis miring atau tanda hubung (paling banyak 30)."))
        elif nis in taken:
            bad("nis", _l("NIS %(n)s sudah terdaftar.", n=nis))
        elif nis in seen:
            bad("nis", _l("NIS %(n)s juga ada di baris %(r)s.", n=nis, r=seen[nis]))
        else:
            seen[nis] = n
        if not name:
            bad("name", _l("Nama wajib diisi."))
        elif len(name) > 200:
            bad("name", _l("Nama paling banyak 200 karakter."))
        if len(kelas) > 40:
            bad("kelas", _l("Kelas paling banyak 40 karakter."))
        if len(asrama) > 60:
            bad("asrama", _l("Asrama paling banyak 60 karakter."))
        if number:
            if members.get_by_number(coop, number) is None:
                bad("member_number", _l("Anggota %(n)s tidak ada.", n=number))
            elif number in linked:
                bad("member_number", _l("Anggota %(n)s sudah terhubung ke santri lain.", n=number))
            elif number in seen_members:
                bad("member_number", _l("Anggota %(n)s juga ada di baris %(r)s.", n=number, r=seen_members[number]))
            else:
                seen_members[number] = n
        if found:
            order = list(SANTRI_HEADERS)
            problems.extend(RowProblem(n, labels[k], m) for k, m in sorted(found.items(), key=lambda kv: order.index(kv[0])))
            continue
        rows.append(SantriRow(n, wallet.SantriData(nis=nis, name=name, kelas=kelas or None, asrama=asrama or None,
                                                   member_number=number or None)))
    if problems:
        raise _refused(problems)
    if not rows:
        raise WalletImportError(_l("Berkas ditolak: tidak ada baris santri."), [RowProblem(2, "-", str(_l("Tidak ada baris santri.")))])
    return rows


def import_santri(coop: Cooperative, data: bytes, filename: str, *, dry_run: bool = False, actor=None) -> list[SantriRow] | list:
    """Import a santri file, all or nothing. ``dry_run`` returns the checked rows and writes
    nothing; otherwise the created santri. Raises WalletImportError (every bad row) or
    WalletError(``invalid_file`` …)."""
    rows = check_santri_rows(coop, _read(data, filename))
    if dry_run:
        return rows
    try:
        return wallet.import_santri(coop, [r.data for r in rows], actor=actor)
    except BulkRefusedError as err:  # the register changed since the check: same shape of answer
        raise _refused([RowProblem(rows[p.row - 1].row if 0 < p.row <= len(rows) else p.row, SANTRI_HEADERS["nis"][0], p.problem)
                        for p in err.problems]) from None


def santri_template_rows() -> list[list[object]]:
    return [
        [names[0] for names in SANTRI_HEADERS.values()],
        ["2026001", "Ahmad Fauzi", "7A", "Asrama Al-Fatih", ""],
        ["2026002", "Siti Aminah", "8B", "Asrama Khadijah", ""],
    ]


# --- the bank statement ----------------------------------------------------------------------------

def _cell_date(value: object) -> date | None:
    """ISO ``2026-07-01``, ``01/07/2026``, ``01-07-2026`` or a spreadsheet date; None when blank.
    Raises ValueError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    raise ValueError(text)


def check_statement_rows(coop: Cooperative, table: list[list[object]]) -> StatementPlan:
    """Check every row of a read bank statement; the plan, or WalletImportError listing every
    problem (unknown or closed NIS, amounts, dates, references recorded before or twice in the
    file). Reads only."""
    columns, labels, body = _header(table, STATEMENT_HEADERS, STATEMENT_REQUIRED)
    refs = [" ".join(cell_text(_cell(columns, raw, "reference")).split())[:100] for raw in body]
    used = queries.used_bank_references(coop, {r for r in refs if r})
    known = queries.santri_by_nis(coop, {clean_nis(_cell(columns, raw, "nis")) for raw in body})
    seen_refs: dict[str, int] = {}
    problems: list[RowProblem] = []
    rows: list[StatementRow] = []
    now = today()
    for n, raw in enumerate(body, start=2):
        if all(cell_text(v) == "" for v in raw):
            continue
        found: dict[str, str] = {}

        def bad(key: str, message, found=found) -> None:
            found.setdefault(key, str(message))

        try:
            day = _cell_date(_cell(columns, raw, "date"))
        except ValueError:
            day = None
            bad("date", _l("Tanggal tidak sah (tulis 2026-07-01 atau 01/07/2026)."))
        if day is None and "date" not in found:
            bad("date", _l("Tanggal wajib diisi."))
        elif day is not None and day > now:
            bad("date", _l("Tanggal tidak boleh setelah hari ini."))
        ref = refs[n - 2]
        if ref:
            if ref in used:
                bad("reference", _l("Referensi %(r)s sudah dicatat sebagai isi saldo.", r=ref))
            elif ref in seen_refs:
                bad("reference", _l("Referensi %(r)s juga ada di baris %(n)s.", r=ref, n=seen_refs[ref]))
            else:
                seen_refs[ref] = n
        nis = clean_nis(_cell(columns, raw, "nis"))
        santri = known.get(nis)
        if not nis:
            bad("nis", _l("NIS wajib diisi."))
        elif santri is None:
            bad("nis", _l("NIS %(n)s tidak dikenal.", n=nis))
        elif not santri.active:
            bad("nis", _l("Dompet %(n)s sudah ditutup.", n=santri.name))
        amount = Decimal(0)
        try:
            amount = cell_amount(_cell(columns, raw, "amount"), coop.currency_decimals)
        except money.MoneyError as err:
            bad("amount", money_message(err))
        else:
            if amount <= 0:
                bad("amount", _l("Jumlah harus lebih dari nol."))
        if found:
            order = list(STATEMENT_HEADERS)
            problems.extend(RowProblem(n, labels[k], m) for k, m in sorted(found.items(), key=lambda kv: order.index(kv[0])))
            continue
        rows.append(StatementRow(n, day, ref or None, nis, amount))
    if problems:
        raise _refused(problems)
    if not rows:
        raise WalletImportError(_l("Berkas ditolak: tidak ada baris isi saldo."), [RowProblem(2, "-", str(_l("Tidak ada baris isi saldo.")))])
    return StatementPlan(rows, {nis: s.name for nis, s in known.items()})


def import_statement(coop: Cooperative, data: bytes, filename: str, *, dry_run: bool = False, actor=None,
                     idempotency_key: str | None = None) -> StatementPlan | list:
    """Record a bank statement's top-ups, all or nothing. ``dry_run`` returns the StatementPlan and
    writes nothing; otherwise the wallet transactions. Raises WalletImportError (every bad row) or
    WalletError (``invalid_file``, ``period_closed`` …)."""
    plan = check_statement_rows(coop, _read(data, filename, csv_only=True))
    if dry_run:
        return plan
    try:
        return wallet.bulk_topups(coop, [wallet.TopupRow(row=r.row, nis=r.nis, amount=r.amount, day=r.day, reference=r.reference,
                                                         method="bank") for r in plan.rows],
                                  actor=actor, idempotency_key=idempotency_key)
    except BulkRefusedError as err:
        raise _refused([RowProblem(p.row, STATEMENT_HEADERS["nis"][0], p.problem) for p in err.problems]) from None


def statement_template_rows() -> list[list[object]]:
    day = today().isoformat()
    return [
        [names[0] for names in STATEMENT_HEADERS.values()],
        [day, "TRF-0001", "2026001", "150.000"],
        [day, "TRF-0002", "2026002", "200000"],
    ]
