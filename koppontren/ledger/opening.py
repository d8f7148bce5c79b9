"""Opening balances (saldo awal): a cooperative moving from paper enters them once, as one entry.

From a form or a CSV/XLSX file with columns account code, debit, credit and — for member accounts —
member number. The file goes through the import framework (``koppontren.imports``) like every
import: a file with any bad row is refused whole, every bad row listed (row, column, problem).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from koppontren import money
from koppontren.audit.services import record
from koppontren.extensions import db
from koppontren.imports import Column, ImportSpec, Row, RowProblem, RowsRefusedError, run_import
from koppontren.ledger import chart, subledgers
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.models import Account, JournalEntry
from koppontren.ledger.posting import LineSpec, lock_ledger, post_entry
from koppontren.operations import command
from koppontren.tenancy.models import Cooperative

MAX_ROWS = 20_000


class OpeningImportError(RowsRefusedError, LedgerError):
    """The file was refused; ``problems`` lists every bad row."""


SPEC = ImportSpec(
    name="saldo-awal", title=_l("Saldo awal"), error=LedgerError, refused=OpeningImportError,
    # a trial balance exported from another book carries the accounts' names and more: read only these
    ignore_unknown=True,
    columns=(
        Column("account", ("account", "akun", "kode", "kode_akun", "code"), _l("Kode akun, misalnya 1101. Wajib."), required=True),
        Column("debit", ("debit", "debet"), _l("Saldo debit, misalnya 1.250.000. Isi debit atau kredit."), required=True),
        Column("credit", ("credit", "kredit"), _l("Saldo kredit. Isi debit atau kredit."), required=True),
        Column("member", ("member", "anggota", "nomor_anggota", "member_number"),
               _l("Nomor anggota, untuk akun piutang anggota. Boleh kosong untuk akun lain.")),
    ),
    too_many_rows=lambda n: _l("Berkas ditolak: paling banyak %(n)s baris dalam satu berkas.", n=n),
    no_rows=(_l("Berkas ditolak: saldo awal perlu paling sedikit dua baris."), _l("Saldo awal perlu paling sedikit dua baris.")),
)


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
    """The rows of an opening-balance file (the one streaming reader, bounded)."""
    return SPEC.read(data, filename, max_rows=MAX_ROWS)


class _LineChecker:
    """Checks each row as one line of the opening entry: the account (postable, active, not kept by
    a module), exactly one side, the member of a member account. A row's first problem is its only
    one: a line on an unknown account has no side or member worth checking."""

    def __init__(self, coop: Cooperative):
        self.coop = coop
        self.accounts = {a.code: a for a in db.session.scalars(select(Account).where(Account.cooperative_id == coop.id))}
        self.member_plugin = subledgers.get("member")

    def __call__(self, row: Row) -> LineSpec | None:
        code = row.text("account").removesuffix(".0")  # a code a spreadsheet wrote as a number
        account = self.accounts.get(code)
        if account is None:
            return row.bad("account", _l("Akun %(code)s tidak ada.", code=code or "-"))
        if not account.postable or not account.active:
            return row.bad("account", _l("Akun %(code)s tidak bisa diisi (kelompok atau nonaktif).", code=code))
        if account.subledger in ("product", "santri", "party"):
            return row.bad("account", _l("Saldo akun %(code)s diisi lewat modulnya (persediaan, pemasok, dompet).", code=code))
        if (module := chart.reserved_by(account)) is not None:  # e.g. savings: the member import records the wajib months too
            return row.bad("account", _l("Saldo akun %(code)s dimasukkan lewat modul %(module)s (impor anggota).", code=code, module=module))
        debit, credit = row.amount("debit", self.coop.currency_decimals), row.amount("credit", self.coop.currency_decimals)
        if debit is None or credit is None:
            return None
        if (debit > 0) == (credit > 0):
            return row.bad("debit", _l("Isi tepat satu: debit atau kredit."))
        member_id = None
        number = row.text("member")
        if account.subledger == "member" or number:
            if not number:
                return row.bad("member", _l("Akun %(code)s wajib menyebut nomor anggota.", code=code))
            if self.member_plugin is None:
                return row.bad("member", _l("Buku anggota belum tersedia."))
            member_id = self.member_plugin.by_number(self.coop.id, number)
            if member_id is None:
                return row.bad("member", _l("Anggota %(number)s tidak ada.", number=number))
        return LineSpec(account, debit=debit, credit=credit, member_id=member_id)


def plan_from_rows(coop: Cooperative, rows: list[list[object]]) -> OpeningPlan:
    """Check every row; raise OpeningImportError listing all problems, or return the plan."""
    lines = SPEC.check(rows, _LineChecker(coop), max_rows=MAX_ROWS)
    plan = OpeningPlan(lines, sum((s.debit for s in lines), Decimal(0)), sum((s.credit for s in lines), Decimal(0)))
    if len(plan.lines) < 2:
        raise SPEC.refuse([RowProblem(len(rows), "-", str(_l("Saldo awal perlu paling sedikit dua baris.")))])
    if plan.total_debit != plan.total_credit:
        decimals = coop.currency_decimals
        raise SPEC.refuse([RowProblem(len(rows), "-", str(_l("Total debit %(d)s tidak sama dengan total kredit %(c)s.",
                                                              d=money.format_number(plan.total_debit, decimals),
                                                              c=money.format_number(plan.total_credit, decimals))))])
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
    """Read, check and (unless ``dry_run``) post an opening-balance file, all or nothing. Returns
    the OpeningPlan of a dry run, else the entry posted."""
    if existing_opening(coop) is not None:
        raise LedgerError("opening_exists", _l("Saldo awal sudah pernah dimasukkan; balik dulu jurnal saldo awal untuk menggantinya."))
    return run_import(lambda: plan_from_rows(coop, read_rows(data, filename)),
                      lambda plan: post_opening(coop, plan, entry_date=entry_date, actor=actor), dry_run=dry_run)


def template_rows() -> list[list[object]]:
    """The template's two example rows (``SPEC.header`` heads them): cash against equity."""
    return [["1101", "5000000", "", ""], ["3104", "", "5000000", ""]]
