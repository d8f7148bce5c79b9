"""Opening balances (saldo awal): a cooperative moving from paper enters them once, as one entry.

From a form or a CSV/XLSX file with columns account code, debit, credit and — for member accounts —
member number. A file with any bad row is refused whole, every bad row listed (row, column, problem).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from koppontren import imports, money
from koppontren.audit.services import record
from koppontren.extensions import db
from koppontren.imports import RowProblem, cell_amount, money_message
from koppontren.ledger import chart, subledgers
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.models import Account, JournalEntry
from koppontren.ledger.posting import LineSpec, lock_ledger, post_entry
from koppontren.operations import command
from koppontren.tenancy.models import Cooperative

MAX_ROWS = 20_000
HEADERS = {
    "account": ("account", "akun", "kode", "kode_akun", "kode akun", "code"),
    "debit": ("debit", "debet"),
    "credit": ("credit", "kredit"),
    "member": ("member", "anggota", "nomor_anggota", "nomor anggota", "member_number"),
}


class OpeningImportError(LedgerError):
    """The file was refused; ``problems`` lists every bad row."""

    def __init__(self, message, problems: list[RowProblem]):
        super().__init__("invalid_file", message, {f"row {p.row}": f"{p.column}: {p.problem}" for p in problems[:200]})
        self.problems = problems


@dataclass
class OpeningPlan:
    """What an import would post: lines and totals (shown by the dry run)."""

    lines: list[LineSpec] = field(default_factory=list)
    total_debit: Decimal = Decimal(0)
    total_credit: Decimal = Decimal(0)


def existing_opening(coop: Cooperative) -> JournalEntry | None:
    """The treasurer's opening entry, unless it was reversed (then a new one may be entered).

    Only entries posted here (source ``opening``) count: other SA entries, such as the members'
    opening savings of a member import, neither block nor replace it.
    """
    return db.session.scalar(select(JournalEntry).where(
        JournalEntry.cooperative_id == coop.id, JournalEntry.journal_type == "SA", JournalEntry.source == "opening",
        JournalEntry.reverses_id.is_(None), JournalEntry.reversed_by_id.is_(None)))


def read_rows(data: bytes, filename: str) -> list[list[object]]:
    """The rows of an opening-balance file (``koppontren.imports``: streamed, bounded)."""
    try:
        return imports.read_table(data, filename, max_rows=MAX_ROWS)
    except imports.TooManyRowsError:
        raise OpeningImportError(_l("Paling banyak %(n)s baris.", n=MAX_ROWS), [RowProblem(1, "-", str(_l("Terlalu banyak baris.")))]) from None
    except imports.ImportFileError as err:
        raise LedgerError(err.code, err.message, err.fields) from None


def plan_from_rows(coop: Cooperative, rows: list[list[object]]) -> OpeningPlan:
    """Check every row; raise OpeningImportError listing all problems, or return the plan."""
    if not rows:
        raise OpeningImportError(_l("Berkas kosong."), [RowProblem(1, "-", str(_l("Tidak ada baris.")))])
    header = [str(h or "").strip().lower() for h in rows[0]]
    columns = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names:
                columns[key] = i
                break
    missing = [k for k in ("account", "debit", "credit") if k not in columns]
    if missing:
        raise OpeningImportError(_l("Kolom wajib tidak ada: %(cols)s.", cols=", ".join(missing)),
                                 [RowProblem(1, m, str(_l("Kolom tidak ada."))) for m in missing])
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise OpeningImportError(_l("Paling banyak %(n)s baris.", n=MAX_ROWS), [RowProblem(1, "-", str(_l("Terlalu banyak baris.")))])
    accounts = {a.code: a for a in db.session.scalars(select(Account).where(Account.cooperative_id == coop.id))}
    member_plugin = subledgers.get("member")
    problems: list[RowProblem] = []
    plan = OpeningPlan()

    def cell(row, key):
        i = columns.get(key)
        return row[i] if i is not None and i < len(row) else None

    for n, row in enumerate(body, start=2):
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        code = str(cell(row, "account") or "").strip()
        if code.endswith(".0"):  # a code typed as a number in a spreadsheet
            code = code[:-2]
        account = accounts.get(code)
        if account is None:
            problems.append(RowProblem(n, "account", str(_l("Akun %(code)s tidak ada.", code=code or "-"))))
            continue
        if not account.postable or not account.active:
            problems.append(RowProblem(n, "account", str(_l("Akun %(code)s tidak bisa diisi (kelompok atau nonaktif).", code=code))))
            continue
        if account.subledger in ("product", "santri", "party"):
            problems.append(RowProblem(n, "account", str(_l("Saldo akun %(code)s diisi lewat modulnya (persediaan, pemasok, dompet).", code=code))))
            continue
        if (module := chart.reserved_by(account)) is not None:  # e.g. savings: the member import records the wajib months too
            problems.append(RowProblem(n, "account", str(_l("Saldo akun %(code)s dimasukkan lewat modul %(module)s (impor anggota).",
                                                            code=code, module=module))))
            continue
        amounts = {}
        for side in ("debit", "credit"):
            try:
                amounts[side] = cell_amount(cell(row, side), coop.currency_decimals)
            except money.MoneyError as err:
                problems.append(RowProblem(n, side, money_message(err)))
        if len(amounts) < 2:
            continue
        if (amounts["debit"] > 0) == (amounts["credit"] > 0):
            problems.append(RowProblem(n, "debit", str(_l("Isi tepat satu: debit atau kredit."))))
            continue
        member_id = None
        number = str(cell(row, "member") or "").strip()
        if account.subledger == "member" or number:
            if not number:
                problems.append(RowProblem(n, "member", str(_l("Akun %(code)s wajib menyebut nomor anggota.", code=code))))
                continue
            if member_plugin is None:
                problems.append(RowProblem(n, "member", str(_l("Buku anggota belum tersedia."))))
                continue
            member_id = member_plugin.by_number(coop.id, number)
            if member_id is None:
                problems.append(RowProblem(n, "member", str(_l("Anggota %(number)s tidak ada.", number=number))))
                continue
        plan.lines.append(LineSpec(account, debit=amounts["debit"], credit=amounts["credit"], member_id=member_id))
        plan.total_debit += amounts["debit"]
        plan.total_credit += amounts["credit"]
    if not problems and len(plan.lines) < 2:
        problems.append(RowProblem(len(rows), "-", str(_l("Saldo awal perlu paling sedikit dua baris."))))
    if not problems and plan.total_debit != plan.total_credit:
        problems.append(RowProblem(len(rows), "-", str(_l(
            "Total debit %(d)s tidak sama dengan total kredit %(c)s.",
            d=money.format_number(plan.total_debit, coop.currency_decimals), c=money.format_number(plan.total_credit, coop.currency_decimals)))))
    if problems:
        raise OpeningImportError(_l("Berkas ditolak: %(n)s baris bermasalah. Tidak ada yang disimpan.", n=len({p.row for p in problems})), problems)
    return plan


@command("ledger.post_opening")
def post_opening(coop: Cooperative, plan: OpeningPlan, *, entry_date: date | None = None, actor) -> JournalEntry:
    """Post the opening balances as one SA entry, dated on the books start (issue 18). Refused when an
    opening entry already exists. Dated otherwise, the opening balance moves the books start to its
    date — only while no entry is dated before it (``entries_before_opening``): it is the first entry
    of the books."""
    lock_ledger(coop.id)  # two treasurers submitting at once: the second sees the first's entry
    if existing_opening(coop) is not None:
        raise LedgerError("opening_exists", _l("Saldo awal sudah pernah dimasukkan; balik dulu jurnal saldo awal untuk menggantinya."))
    entry_date = entry_date or coop.books_start
    if entry_date != coop.books_start and isinstance(entry_date, date) and not isinstance(entry_date, datetime):
        first = select(func.min(JournalEntry.entry_date)).where(JournalEntry.cooperative_id == coop.id)
        # an opening entry reversed earlier (and its reversal) doesn't count: the books start anew
        earlier = db.session.scalar(first.where(JournalEntry.reversed_by_id.is_(None), JournalEntry.reverses_id.is_(None)))
        if earlier is not None and earlier < entry_date:
            raise LedgerError("entries_before_opening",
                              _l("Sudah ada jurnal bertanggal %(d)s: saldo awal harus jurnal pertama, bertanggal paling lambat itu.",
                                 d=earlier.strftime("%d/%m/%Y")), {"date": _l("Sesudah jurnal pertama.")})
        any_earlier = db.session.scalar(first)
        new_start = min(entry_date, any_earlier) if any_earlier is not None else entry_date
        if new_start != coop.books_start:
            record("coop.updated", cooperative_id=coop.id, actor_id=getattr(actor, "id", None),
                   changed={"books_start": new_start.isoformat()})
            coop.books_start = new_start
    return post_entry(coop, entry_date=entry_date, description="Saldo awal", lines=plan.lines, journal_type="SA",
                      source="opening", actor=actor)


def import_opening(coop: Cooperative, data: bytes, filename: str, *, entry_date: date, actor, dry_run: bool = False):
    """Read, check and (unless ``dry_run``) post an opening-balance file, all or nothing."""
    if existing_opening(coop) is not None:
        raise LedgerError("opening_exists", _l("Saldo awal sudah pernah dimasukkan; balik dulu jurnal saldo awal untuk menggantinya."))
    plan = plan_from_rows(coop, read_rows(data, filename))
    if dry_run:
        return plan
    return post_opening(coop, plan, entry_date=entry_date, actor=actor)
