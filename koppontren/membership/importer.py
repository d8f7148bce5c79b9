"""Member import (impor anggota): the register, with optional opening balances of simpanan pokok,
wajib and sukarela, from a CSV or XLSX file — all or nothing.

Built on the import framework (``koppontren.imports``): ``SPEC`` names the columns, the one reader
reads the file, every row is checked before anything is written and every problem is reported as
``RowProblem(row, column, problem)``. A clean file is written in one transaction: the members,
one ``member.imported`` audit event and — when any balance is non-zero — one opening entry (SA,
source ``member_import``) crediting each member's 3101/3102/2111 against one counter account, with
the wajib months that balance covers. A refused file, a dry run or any error writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from koppontren import money
from koppontren.audit.services import record
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.imports import Column, ImportSpec, Progress, Row, RowsRefusedError, Unique, cell_text, run_import
from koppontren.ledger import chart
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.posting import LineSpec, is_period_closed, post_entry
from koppontren.members import services as members
from koppontren.members.models import CATEGORIES, Member
from koppontren.members.services import CATEGORY_LABELS, GENDER_LABELS, MemberData, MemberError
from koppontren.savings import services as savings
from koppontren.savings.models import KIND_ROLES, KINDS, WajibMonth
from koppontren.tenancy.models import Cooperative

MAX_ROWS = 20_000
SOURCE = "member_import"
DESCRIPTION = "Saldo awal simpanan anggota (impor)"
CHUNK = 1000

Month = tuple[int, int]


class MemberImportError(RowsRefusedError, MemberError):
    """The file was refused whole; ``problems`` lists every problem of every bad row."""


SPEC = ImportSpec(
    name="impor-anggota", title=_l("Anggota"), error=MemberError, refused=MemberImportError,
    columns=(
        Column("number", ("nomor", "number", "nomor_anggota", "member_number"), _l("Nomor anggota. Kosongkan untuk nomor berikutnya otomatis.")),
        Column("name", ("nama", "name"), _l("Nama lengkap. Wajib."), required=True),
        Column("nik", ("nik",), _l("NIK, 16 angka. Boleh kosong.")),
        Column("category", ("kategori", "category"), _l("Wajib: santri, ustadz, karyawan, pengurus, alumni atau masyarakat."), required=True),
        Column("gender", ("jenis_kelamin", "gender"), _l("L atau P. Boleh kosong.")),
        Column("birth_date", ("tanggal_lahir", "birth_date"), _l("Tanggal lahir: 2010-05-14 atau 14/05/2010.")),
        Column("phone", ("telepon", "phone"), _l("Telepon / WhatsApp. Boleh kosong.")),
        Column("address", ("alamat", "address"), _l("Alamat. Boleh kosong.")),
        Column("join_date", ("tanggal_masuk", "join_date"), _l("Tanggal masuk. Wajib."), required=True),
        Column("pokok", ("pokok", "simpanan_pokok"), _l("Saldo awal simpanan pokok: 0 atau tepat sebesar simpanan pokok koperasi.")),
        Column("wajib", ("wajib", "simpanan_wajib"), _l("Saldo awal simpanan wajib, misalnya 120.000.")),
        Column("sukarela", ("sukarela", "simpanan_sukarela"), _l("Saldo awal simpanan sukarela.")),
        Column("wajib_paid_until", ("wajib_lunas_sampai", "wajib_paid_until"),
               _l("Bulan terakhir yang dilunasi saldo wajib (2026-06). Kosong: saldo wajib dibagi simpanan wajib bulanan, mulai bulan masuk.")),
    ),
    too_many_rows=lambda n: _l("Berkas ditolak: paling banyak %(n)s baris anggota dalam satu berkas.", n=n),
    no_rows=(_l("Berkas ditolak: tidak ada baris anggota."), _l("Tidak ada baris anggota.")),
)


@dataclass
class ImportRow:
    """One checked row: the member's column values as ``members.clean`` returns them (``number`` is
    None until the sequence assigns one), the opening balances in sen, and the wajib months the
    wajib balance pays with each month's share (sen)."""

    row: int
    values: dict
    pokok: int = 0
    wajib: int = 0
    sukarela: int = 0
    months: list[tuple[Month, int]] = field(default_factory=list)
    assigned: bool = False  # the number comes from the cooperative's sequence

    @property
    def number(self) -> str:
        return self.values["number"]

    @property
    def name(self) -> str:
        return self.values["name"]

    def balance(self, kind: str) -> int:
        return getattr(self, kind)


@dataclass
class ImportPlan:
    """What a file would create (the dry run shows it): every row in file order with its number,
    the opening entry's date and counter account, and the totals per kind (sen)."""

    rows: list[ImportRow]
    entry_date: date
    account: object  # the counter account (ledger Account)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def numbers(self) -> list[str]:
        return [r.number for r in self.rows]

    @property
    def assigned_numbers(self) -> list[str]:
        return [r.number for r in self.rows if r.assigned]

    @property
    def totals(self) -> dict[str, int]:
        return {kind: sum(r.balance(kind) for r in self.rows) for kind in KINDS}

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def month_count(self) -> int:
        return sum(len(r.months) for r in self.rows)

    def first_rows(self, n: int = 10) -> list[ImportRow]:
        return self.rows[:n]


@dataclass(frozen=True)
class ImportResult:
    """What a real import stored: the members' numbers in file order, and the opening entry
    (None when every balance was zero)."""

    numbers: list[str]
    totals: dict[str, int]
    month_count: int
    entry_id: int | None
    entry_number: str | None
    account_code: str

    @property
    def count(self) -> int:
        return len(self.numbers)


# --- cells ---------------------------------------------------------------------------------------

def _cell_month(value: object) -> Month | None:
    """``2026-06`` or a spreadsheet date (its month); None when blank. Raises ValueError."""
    if isinstance(value, date):
        return value.year, value.month
    text = cell_text(value)
    if not text:
        return None
    parts = text.split("-")
    if len(parts) == 2 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
        year, month = int(parts[0]), int(parts[1])
        if 1900 <= year <= 2999 and 1 <= month <= 12:
            return year, month
    raise ValueError(text)


def _category_names() -> dict[str, str]:
    """Every name a category may be written as (code, Indonesian or English label, lower case)."""
    names = {c: c for c in CATEGORIES}
    for locale in ("id", "en"):
        with force_locale(locale):
            for code, label in CATEGORY_LABELS.items():
                names[str(label).lower()] = code
                for part in str(label).lower().split("/"):
                    names.setdefault(part.strip(), code)
    return names


def _gender_names() -> dict[str, str]:
    names = {g.lower(): g for g in GENDER_LABELS}
    with force_locale("id"):
        names.update({str(label).lower(): g for g, label in GENDER_LABELS.items()})
    return names


def _months_from(first: Month, count: int) -> list[Month]:
    out, (y, m) = [], first
    for _ in range(count):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _months_between(first: Month, last: Month) -> list[Month]:
    return _months_from(first, (last[0] - first[0]) * 12 + last[1] - first[1] + 1)


def _latest_month() -> Month:
    """The furthest month wajib may be paid ahead (as at the savings counter)."""
    now = today()
    index = now.year * 12 + now.month - 1 + savings.MAX_MONTHS_AHEAD
    return index // 12, index % 12 + 1


# --- the counter account -------------------------------------------------------------------------

def counter_accounts(coop: Cooperative) -> list:
    """Accounts the opening savings may be set against: the cash and bank accounts where the money
    is (not the santri-deposit bank, whose money belongs to the santri wallets), or an equity
    account without subledger such as 3104 when the treasurer's own opening balances already hold
    that money. All active and postable."""
    return [a for a in chart.accounts(coop, postable_only=True, active_only=True)
            if not a.subledger and ((a.cash_flow == "cash" and a.role not in ("bank_santri", "cash_transit")) or a.type == "equity")]


def counter_account(coop: Cooperative, ref: int | str | None = None):
    """The counter account by id or code; None: the savings settings' default cash/bank account.
    Raises MemberError(code="invalid_account")."""
    allowed = counter_accounts(coop)
    if ref is None or ref == "":
        ref = savings.get_settings(coop).default_account_id
    found = next((a for a in allowed if (a.id == ref if isinstance(ref, int) else a.code == str(ref).strip())), None)
    if found is None:
        raise MemberError("invalid_account", _l("Akun lawan %(a)s tidak bisa dipakai: pilih akun aktif tanpa buku pembantu (kas, bank, hibah …).",
                                                a=ref), {"account": _l("Tidak sah.")})
    return found


# --- checking ------------------------------------------------------------------------------------

class _RowChecker:
    """Checks one row after another against the register, the savings settings and the rows before
    it (duplicates within the file); remembers what it needs to compare."""

    def __init__(self, coop: Cooperative, entry_date: date):
        self.coop, self.entry_date = coop, entry_date
        self.settings = savings.get_settings(coop)
        self.categories, self.genders = _category_names(), _gender_names()
        self.latest = _latest_month()
        registered = db.session.execute(select(Member.number, Member.nik).where(Member.cooperative_id == coop.id)).all()
        self.numbers = Unique((number for number, _nik in registered), lambda n: _l("Nomor anggota %(n)s sudah dipakai.", n=n),
                              lambda n, r: _l("Nomor anggota %(n)s juga ada di baris %(r)s.", n=n, r=r))
        self.niks = Unique((nik for _number, nik in registered if nik), lambda _n: _l("NIK ini sudah terdaftar pada anggota lain."),
                           lambda _n, r: _l("NIK ini juga ada di baris %(r)s.", r=r))

    def __call__(self, row: Row) -> ImportRow | None:
        """The checked row, or None with its problems put on the row (every problem of every
        column: a duplicate is looked for even when another column of the row is bad)."""
        dates = {key: row.date(key) for key in ("birth_date", "join_date")}
        join = dates["join_date"]
        if join is None:
            row.bad("join_date", _l("Tanggal masuk wajib diisi."))
        amounts: dict[str, int] = {}
        for kind in KINDS:
            amount = row.amount(kind, self.coop.currency_decimals)
            amounts[kind] = money.to_sen(amount) if amount is not None else 0
        try:
            paid_until = _cell_month(row["wajib_paid_until"])
        except ValueError:
            paid_until = None
            row.bad("wajib_paid_until", _l("Bulan tidak sah (tulis misalnya 2026-06)."))

        category, gender = row.text("category"), row.text("gender")
        data = MemberData(
            name=row.text("name"), category=self.categories.get(category.lower(), category), join_date=join or today(),
            nik=row.text("nik"), gender=self.genders.get(gender.lower(), gender), birth_date=dates["birth_date"],
            phone=row.text("phone"), address=row.text("address"), number=row.text("number"),
        )
        values = None
        try:
            values = members.clean(self.coop, data, check_unique=False)
        except MemberError as err:
            for key, message in err.fields.items():
                row.bad(key, message)
        if not row.has_problem("number"):
            self.numbers.check(row, "number", (data.number or "").strip())
        if not row.has_problem("nik"):
            self.niks.check(row, "nik", re.sub(r"[\s.-]", "", data.nik or ""))
        months = self._check_balances(row, data, join, amounts, paid_until) if join is not None else []
        if row.problems:
            return None
        return ImportRow(row.number, values, pokok=amounts["pokok"], wajib=amounts["wajib"], sukarela=amounts["sukarela"], months=months)

    def _check_balances(self, row: Row, data: MemberData, join: date, amounts: dict[str, int], paid_until: Month | None) -> list[tuple[Month, int]]:
        """Pokok is 0 or the cooperative's amount; a member with a balance joined by the entry's
        date; the wajib months the opening wajib covers (``_wajib_months``)."""
        pokok = amounts["pokok"]
        if pokok and pokok != self.settings.pokok_amount:
            if self.settings.pokok_amount <= 0:
                row.bad("pokok", _l("Jumlah simpanan pokok belum diatur di pengaturan simpanan."))
            else:
                row.bad("pokok", _l("Simpanan pokok koperasi ini %(a)s: isi jumlah itu atau 0.",
                                    a=money.format_idr(money.from_sen(self.settings.pokok_amount), self.coop.currency_decimals)))
        if any(amounts.values()) and join > self.entry_date:
            row.bad("join_date", _l("Anggota dengan saldo awal harus sudah masuk pada tanggal saldo awal (%(d)s).", d=self.entry_date.isoformat()))
        return self._wajib_months(row, data, (join.year, join.month), amounts["wajib"], paid_until)

    def _wajib_months(self, row: Row, data: MemberData, join_month: Month, wajib: int, paid_until: Month | None) -> list[tuple[Month, int]]:
        """The wajib months the opening wajib covers: up to ``wajib_paid_until`` (the balance split
        over them), else as many whole months of the category's rate as it pays, from the join month."""
        if paid_until is not None:
            if wajib <= 0:
                row.bad("wajib_paid_until", _l("Isi saldo wajib untuk bulan-bulan ini, atau kosongkan kolom ini."))
            elif paid_until < join_month:
                row.bad("wajib_paid_until", _l("Bulan %(m)s sebelum bulan masuk anggota.", m=savings.month_key(paid_until)))
            elif paid_until > self.latest:
                row.bad("wajib_paid_until", _l("Paling jauh %(n)s bulan ke depan.", n=savings.MAX_MONTHS_AHEAD))
            else:
                covered = _months_between(join_month, paid_until)
                return list(zip(covered, money.split_largest_remainder(wajib, [1] * len(covered)), strict=True))
            return []
        rate = self.settings.wajib_rate(data.category) if data.category in CATEGORIES else 0
        if wajib <= 0 or rate <= 0:
            return []
        covered = _months_from(join_month, wajib // rate)
        if covered and covered[-1] > self.latest:
            row.bad("wajib", _l("Saldo wajib ini menutup %(k)s bulan, lebih dari %(n)s bulan ke depan; isi kolom wajib_lunas_sampai.",
                                k=len(covered), n=savings.MAX_MONTHS_AHEAD))
        return [(m, rate) for m in covered]


def check_rows(coop: Cooperative, table: list[list[object]], *, entry_date: date, progress: Progress | None = None) -> list[ImportRow]:
    """Check every row of a read table; return the rows, or raise MemberImportError listing every
    problem of every row. Reads only."""
    return SPEC.check(table, _RowChecker(coop, entry_date), max_rows=MAX_ROWS, progress=progress)


def _assign_numbers(coop: Cooperative, rows: list[ImportRow]) -> None:
    """Give the rows without a number the next numbers of the cooperative's sequence, in one call
    unless a number the file gives by hand is in the way (then further numbers are taken)."""
    blank = [r for r in rows if r.values["number"] is None]
    if not blank:
        return
    in_file = {r.values["number"] for r in rows if r.values["number"] is not None}
    numbers: list[str] = []
    while len(numbers) < len(blank):
        numbers += [n for n in members.next_numbers(coop, len(blank) - len(numbers)) if n not in in_file]
    for row, number in zip(blank, numbers, strict=True):
        row.values["number"], row.assigned = number, True


def plan_import(coop: Cooperative, data: bytes, filename: str, *, entry_date: date | None = None, account: int | str | None = None,
                progress: Progress | None = None) -> ImportPlan:
    """Read and check a file; return the plan (numbers not yet assigned). Reads only.

    Raises MemberImportError (the bad rows) or MemberError (``invalid_file``, ``invalid_date``,
    ``invalid_account``, ``period_closed``).
    """
    entry_date = entry_date or today()
    if entry_date > today():
        raise MemberError("future_date", _l("Tanggal saldo awal tidak boleh setelah hari ini."), {"date": _l("Tidak sah.")})
    counter = counter_account(coop, account)
    rows = check_rows(coop, SPEC.read(data, filename, max_rows=MAX_ROWS), entry_date=entry_date, progress=progress)
    plan = ImportPlan(rows, entry_date, counter)
    if plan.total and is_period_closed(coop.id, entry_date):
        raise MemberError("period_closed", _l("Periode %(m)02d/%(y)s sudah ditutup; pilih tanggal saldo awal lain.",
                                              m=entry_date.month, y=entry_date.year), {"date": _l("Periode tertutup.")})
    return plan


# --- writing -------------------------------------------------------------------------------------

def _insert_members(coop: Cooperative, rows: list[ImportRow], progress: Progress | None) -> list[int]:
    """Insert the members in chunks (executemany with RETURNING); their ids in row order."""
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        params = [{**r.values, "cooperative_id": coop.id, "status": "aktif"} for r in chunk]
        ids += list(db.session.scalars(insert(Member).returning(Member.id, sort_by_parameter_order=True), params))
        if progress:
            progress("write", start + len(chunk), len(rows))
    return ids


def _post_opening(coop: Cooperative, plan: ImportPlan, ids: list[int], actor):
    """The one opening entry: Dr counter account / Cr 3101, 3102, 2111 per member (member subledger)."""
    accounts = {kind: chart.account_for(coop, role) for kind, role in KIND_ROLES.items()}
    credits = []
    for row, member_id in zip(plan.rows, ids, strict=True):
        memo = f"{row.number} {row.name}"[:200]
        credits += [LineSpec(accounts[kind], credit=money.from_sen(row.balance(kind)), member_id=member_id, memo=memo)
                    for kind in KINDS if row.balance(kind)]
    try:
        return post_entry(coop, entry_date=plan.entry_date, description=DESCRIPTION, journal_type="SA", source=SOURCE, actor=actor,
                          lines=[LineSpec(plan.account, debit=money.from_sen(plan.total)), *credits], commit=False)
    except LedgerError as err:
        raise MemberError(err.code, err.message, err.fields) from None


def _write(coop: Cooperative, plan: ImportPlan, actor, progress: Progress | None) -> ImportResult:
    ids = _insert_members(coop, plan.rows, progress)
    members.remember_existing(coop.id, ids)
    entry = _post_opening(coop, plan, ids, actor) if plan.total else None
    if entry is not None:
        months = [{"cooperative_id": coop.id, "member_id": member_id, "year": y, "month": m, "amount": sen, "entry_id": entry.id}
                  for row, member_id in zip(plan.rows, ids, strict=True) for (y, m), sen in row.months]
        for start in range(0, len(months), CHUNK * 5):  # Core executemany: no ORM bookkeeping per row
            db.session.execute(WajibMonth.__table__.insert(), months[start:start + CHUNK * 5])
    totals = plan.totals
    record("member.imported", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), count=plan.count,
           first=plan.numbers[0], last=plan.numbers[-1], number=entry.number if entry else None,
           **{kind: str(money.from_sen(sen)) for kind, sen in totals.items() if sen})
    return ImportResult(plan.numbers, totals, plan.month_count, entry.id if entry else None, entry.number if entry else None,
                        plan.account.code)


def import_members(coop: Cooperative, data: bytes, filename: str, *, entry_date: date | None = None, account: int | str | None = None,
                   actor=None, dry_run: bool = False, progress: Progress | None = None) -> ImportPlan | ImportResult:
    """Import a member file, all or nothing, as one transaction committed once.

    ``entry_date`` dates the opening entry (default today); ``account`` (id or code) is the counter
    account it debits (default: the savings settings' cash/bank account). ``dry_run`` returns the
    ImportPlan — with the numbers the sequence would assign — and writes nothing; otherwise returns
    the ImportResult.

    Raises MemberImportError listing every bad row, or MemberError (``invalid_file``,
    ``invalid_date``, ``invalid_account``, ``period_closed``, ``conflict``).
    """
    def prepare() -> ImportPlan:
        plan = plan_import(coop, data, filename, entry_date=entry_date, account=account, progress=progress)
        _assign_numbers(coop, plan.rows)  # a dry run rolls the sequence back: the numbers were only previewed
        return plan

    return run_import(prepare, lambda plan: _write(coop, plan, actor, progress), dry_run=dry_run,
                      conflict=lambda: MemberError("conflict", _l("Buku anggota berubah selama impor (nomor atau NIK baru dipakai); ulangi impor.")))


# --- the template --------------------------------------------------------------------------------

def template_rows(coop: Cooperative) -> list[list[object]]:
    """The template's two example rows (``SPEC.header`` heads them), with this cooperative's pokok
    and wajib amounts."""
    settings = savings.get_settings(coop)
    decimals = coop.currency_decimals
    fmt = lambda sen: money.format_number(money.from_sen(sen), decimals) if sen else ""  # noqa: E731
    now = today()
    join_month = (now.year - 1, now.month)
    santri_months = 12 if settings.wajib_rate("santri") else 0
    return [
        ["", "Ahmad Fauzi", "3507123405060001", "santri", "L", "2010-05-14", "081234567890", "Asrama Putra Blok A",
         date(*join_month, 1).isoformat(), fmt(settings.pokok_amount), fmt(settings.wajib_rate("santri") * santri_months), "50.000",
         savings.month_key(_months_from(join_month, santri_months)[-1]) if santri_months else ""],
        ["", "Siti Aminah", "", "ustadz", "P", "14/02/1990", "", "Jl. Pesantren No. 5", f"01/{now.month:02d}/{now.year}",
         fmt(settings.pokok_amount), "", "", ""],
    ]

