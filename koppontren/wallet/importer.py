"""Imports of the santri wallet, all or nothing, with every bad row listed (row, column, problem),
built on the import framework (``koppontren.imports``) like every import:

* the santri register (``impor santri``) from CSV or XLSX: nis, nama, kelas, asrama, nomor_anggota;
* a bank statement (``mutasi bank``) as CSV: tanggal, referensi, nis, jumlah — one top-up per row,
  recorded by ``services.bulk_topups`` (one entry per date, Dr 1112 / Cr 2113).

Every row is checked here first so that each problem names its column; whatever the service still
refuses (a race with another treasurer) comes back as the same kind of problem. A refused file or a
dry run writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from koppontren.clock import today
from koppontren.imports import Column, ColumnMap, ImportSpec, Row, RowProblem, RowsRefusedError, Unique, cell_text, run_import
from koppontren.members import services as members
from koppontren.tenancy.models import Cooperative
from koppontren.wallet import queries
from koppontren.wallet import services as wallet
from koppontren.wallet.errors import BulkRefusedError, WalletError

MAX_ROWS = 5_000
NIS_RE = re.compile(r"^[0-9A-Za-z./-]{1,30}$")


class WalletImportError(RowsRefusedError, WalletError):
    """The file was refused whole; ``problems`` lists every problem of every bad row."""


def _too_many_rows(n: int):
    return _l("Berkas ditolak: paling banyak %(n)s baris dalam satu berkas.", n=n)


SANTRI_SPEC = ImportSpec(
    name="impor-santri", title=_l("Santri"), error=WalletError, refused=WalletImportError,
    columns=(
        Column("nis", ("nis", "nomor_induk", "nomor_induk_santri", "student_number"), _l("Nomor induk santri, unik. Wajib."), required=True),
        Column("name", ("nama", "name", "nama_santri"), _l("Nama lengkap. Wajib."), required=True),
        Column("kelas", ("kelas", "class"), _l("Kelas. Boleh kosong.")),
        Column("asrama", ("asrama", "dormitory", "kamar"), _l("Asrama / kamar. Boleh kosong.")),
        Column("member_number", ("nomor_anggota", "member_number", "no_anggota"), _l("Nomor anggota koperasi bila santri anggota. Boleh kosong.")),
    ),
    too_many_rows=_too_many_rows,
    no_rows=(_l("Berkas ditolak: tidak ada baris santri."), _l("Tidak ada baris santri.")),
)

STATEMENT_SPEC = ImportSpec(
    name="mutasi-bank-isi-saldo", title=_l("Mutasi bank"), error=WalletError, refused=WalletImportError, formats=("csv",),
    columns=(
        Column("date", ("tanggal", "date", "tgl"), _l("Tanggal transfer: 2026-07-01 atau 01/07/2026. Wajib."), required=True),
        Column("reference", ("referensi", "reference", "ref", "keterangan", "berita"),
               _l("Nomor referensi bank. Sangat dianjurkan (mencegah catat ganda).")),
        Column("nis", ("nis", "nomor_induk"), _l("NIS santri penerima. Wajib."), required=True),
        Column("amount", ("jumlah", "amount", "nominal", "kredit", "credit"), _l("Jumlah, misalnya 150.000. Wajib."), required=True),
    ),
    too_many_rows=_too_many_rows,
    no_rows=(_l("Berkas ditolak: tidak ada baris isi saldo."), _l("Tidak ada baris isi saldo.")),
)


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


def clean_nis(value: object) -> str:
    return "".join(cell_text(value).split())


def _reference(value: object) -> str:
    return " ".join(cell_text(value).split())[:100]


# --- the santri register ---------------------------------------------------------------------------

class _SantriChecker:
    """Checks santri rows against the register, the members and the rows before them."""

    def __init__(self, coop: Cooperative):
        self.coop = coop
        self.nis = Unique(queries.existing_nis(coop), lambda n: _l("NIS %(n)s sudah terdaftar.", n=n),
                          lambda n, r: _l("NIS %(n)s juga ada di baris %(r)s.", n=n, r=r))
        self.members = Unique(queries.linked_member_numbers(coop), lambda n: _l("Anggota %(n)s sudah terhubung ke santri lain.", n=n),
                              lambda n, r: _l("Anggota %(n)s juga ada di baris %(r)s.", n=n, r=r))

    def __call__(self, row: Row) -> SantriRow | None:
        nis = clean_nis(row["nis"])
        name = " ".join(row.text("name").split())
        kelas, asrama, number = row.text("kelas"), row.text("asrama"), row.text("member_number")
        if not nis:
            row.bad("nis", _l("NIS wajib diisi."))
        elif not NIS_RE.match(nis):
            row.bad("nis", _l("NIS hanya huruf, angka, titik, garis miring atau tanda hubung (paling banyak 30)."))
        else:
            self.nis.check(row, "nis", nis)
        if not name:
            row.bad("name", _l("Nama wajib diisi."))
        elif len(name) > 200:
            row.bad("name", _l("Nama paling banyak 200 karakter."))
        if len(kelas) > 40:
            row.bad("kelas", _l("Kelas paling banyak 40 karakter."))
        if len(asrama) > 60:
            row.bad("asrama", _l("Asrama paling banyak 60 karakter."))
        if number and members.get_by_number(self.coop, number) is None:
            row.bad("member_number", _l("Anggota %(n)s tidak ada.", n=number))
        else:
            self.members.check(row, "member_number", number)
        return SantriRow(row.number, wallet.SantriData(nis=nis, name=name, kelas=kelas or None, asrama=asrama or None,
                                                       member_number=number or None))


def check_santri_rows(coop: Cooperative, table: list[list[object]]) -> list[SantriRow]:
    """Check every row of a read santri table; the rows, or WalletImportError listing every problem.
    Reads only."""
    return SANTRI_SPEC.check(table, _SantriChecker(coop), max_rows=MAX_ROWS)


def import_santri(coop: Cooperative, data: bytes, filename: str, *, dry_run: bool = False, actor=None) -> list[SantriRow] | list:
    """Import a santri file, all or nothing. ``dry_run`` returns the checked rows and writes
    nothing; otherwise the created santri. Raises WalletImportError (every bad row) or
    WalletError(``invalid_file`` …)."""

    def write(rows: list[SantriRow]) -> list:
        try:
            return wallet.import_santri(coop, [r.data for r in rows], actor=actor)
        except BulkRefusedError as err:  # the register changed since the check: same shape of answer
            raise SANTRI_SPEC.refuse([RowProblem(rows[p.row - 1].row if 0 < p.row <= len(rows) else p.row, SANTRI_SPEC.column("nis").name,
                                                 p.problem) for p in err.problems]) from None

    return run_import(lambda: check_santri_rows(coop, SANTRI_SPEC.read(data, filename, max_rows=MAX_ROWS)), write, dry_run=dry_run)


def santri_template_rows() -> list[list[object]]:
    """The santri template's two example rows (``SANTRI_SPEC.header`` heads them)."""
    return [
        ["2026001", "Ahmad Fauzi", "7A", "Asrama Al-Fatih", ""],
        ["2026002", "Siti Aminah", "8B", "Asrama Khadijah", ""],
    ]


# --- the bank statement ----------------------------------------------------------------------------

class _StatementChecker:
    """Checks statement rows: the santri of every NIS and the references recorded before are looked
    up once for the whole file (``begin``)."""

    def __init__(self, coop: Cooperative):
        self.coop = coop
        self.today = today()
        self.known: dict = {}
        self.references: Unique | None = None  # set by begin(), once the file's references are known

    def begin(self, columns: ColumnMap, body: list[list[object]]) -> None:
        refs = {_reference(columns.cell(raw, "reference")) for raw in body}
        self.references = Unique(queries.used_bank_references(self.coop, {r for r in refs if r}),
                                 lambda r: _l("Referensi %(r)s sudah dicatat sebagai isi saldo.", r=r),
                                 lambda r, n: _l("Referensi %(r)s juga ada di baris %(n)s.", r=r, n=n))
        self.known = queries.santri_by_nis(self.coop, {clean_nis(columns.cell(raw, "nis")) for raw in body})

    def __call__(self, row: Row) -> StatementRow | None:
        day = row.date("date")
        if day is None and not row.has_problem("date"):
            row.bad("date", _l("Tanggal wajib diisi."))
        elif day is not None and day > self.today:
            row.bad("date", _l("Tanggal tidak boleh setelah hari ini."))
        reference = _reference(row["reference"])
        self.references.check(row, "reference", reference)
        nis = clean_nis(row["nis"])
        santri = self.known.get(nis)
        if not nis:
            row.bad("nis", _l("NIS wajib diisi."))
        elif santri is None:
            row.bad("nis", _l("NIS %(n)s tidak dikenal.", n=nis))
        elif not santri.active:
            row.bad("nis", _l("Dompet %(n)s sudah ditutup.", n=santri.name))
        amount = row.amount("amount", self.coop.currency_decimals)
        if amount is not None and amount <= 0:
            row.bad("amount", _l("Jumlah harus lebih dari nol."))
        if row.problems:
            return None
        return StatementRow(row.number, day, reference or None, nis, amount)


def check_statement_rows(coop: Cooperative, table: list[list[object]]) -> StatementPlan:
    """Check every row of a read bank statement; the plan, or WalletImportError listing every
    problem (unknown or closed NIS, amounts, dates, references recorded before or twice in the
    file). Reads only."""
    checker = _StatementChecker(coop)
    rows = STATEMENT_SPEC.check(table, checker, max_rows=MAX_ROWS, begin=checker.begin)
    return StatementPlan(rows, {nis: s.name for nis, s in checker.known.items()})


def import_statement(coop: Cooperative, data: bytes, filename: str, *, dry_run: bool = False, actor=None,
                     idempotency_key: str | None = None) -> StatementPlan | list:
    """Record a bank statement's top-ups, all or nothing. ``dry_run`` returns the StatementPlan and
    writes nothing; otherwise the wallet transactions. Raises WalletImportError (every bad row) or
    WalletError (``invalid_file``, ``period_closed`` …)."""

    def write(plan: StatementPlan) -> list:
        try:
            return wallet.bulk_topups(coop, [wallet.TopupRow(row=r.row, nis=r.nis, amount=r.amount, day=r.day, reference=r.reference,
                                                             method="bank") for r in plan.rows],
                                      actor=actor, idempotency_key=idempotency_key)
        except BulkRefusedError as err:
            raise STATEMENT_SPEC.refuse([RowProblem(p.row, STATEMENT_SPEC.column("nis").name, p.problem) for p in err.problems]) from None

    return run_import(lambda: check_statement_rows(coop, STATEMENT_SPEC.read(data, filename, max_rows=MAX_ROWS)), write, dry_run=dry_run)


def statement_template_rows() -> list[list[object]]:
    """The statement template's two example rows (``STATEMENT_SPEC.header`` heads them)."""
    day = today().isoformat()
    return [
        [day, "TRF-0001", "2026001", "150.000"],
        [day, "TRF-0002", "2026002", "200000"],
    ]
