"""Posting and reversing journal entries — the only writer of ``journal_entry`` and ``journal_line``.

Every rule of DESIGN.md §3 "Ledger rules" is checked here before anything is written; the database
checks the same again where it can (triggers in the migrations). A refusal raises LedgerError with a
stable code and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError

from koppontren import money
from koppontren.audit.services import record
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.ledger import subledgers
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.fiscal import fiscal_year_of
from koppontren.ledger.models import Account, JournalEntry, JournalLine, LedgerHead, Period
from koppontren.tenancy.models import Cooperative

GENESIS_HASH = "0" * 64

JOURNAL_TYPES = {
    "JU": _l("Jurnal umum"),
    "KM": _l("Kas masuk"),
    "KK": _l("Kas keluar"),
    "PJ": _l("Penjualan"),
    "PB": _l("Pembelian"),
    "SP": _l("Simpanan"),
    "SHU": _l("SHU"),
    "PN": _l("Penutup"),
    "SA": _l("Saldo awal"),
}
SUBLEDGER_NAMES = {"member": _l("anggota"), "party": _l("pemasok/pelanggan")}
#: Types a person may pick for a manual journal; the others are posted by their modules.
MANUAL_JOURNAL_TYPES = ("JU", "KM", "KK")


@dataclass(frozen=True)
class LineSpec:
    """One line to post. ``account``: an account code (str), id (int) or Account. Amounts are
    Decimal (or int) rupiah, exactly one of them positive. ``member_id``/``party_id`` name the
    subledger record where the account needs one."""

    account: str | int | Account
    debit: Decimal | int = Decimal(0)
    credit: Decimal | int = Decimal(0)
    member_id: int | None = None
    party_id: int | None = None
    memo: str | None = None


@dataclass
class _Checked:
    account: Account
    debit: int
    credit: int
    member_id: int | None
    party_id: int | None
    memo: str | None


@dataclass
class PostingRequest:
    journal_type: str
    entry_date: date
    description: str
    reference: str | None
    lines: list[_Checked] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Hash of what was asked, to tell an idempotent retry from a different request."""
        payload = {
            "type": self.journal_type, "date": self.entry_date.isoformat(), "description": self.description,
            "reference": self.reference,
            "lines": [[c.account.id, c.debit, c.credit, c.member_id, c.party_id, c.memo] for c in self.lines],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# --- validation -------------------------------------------------------------------------------------

def _amount_sen(value, decimals: int, line_no: int, side: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, float | bool):
        raise LedgerError("invalid_amount", _l("Baris %(n)s: jumlah tidak boleh berupa float.", n=line_no), {f"lines.{line_no}.{side}": "float"})
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except Exception:
        raise LedgerError("invalid_amount", _l("Baris %(n)s: jumlah tidak sah.", n=line_no), {f"lines.{line_no}.{side}": _l("Tidak sah.")}) from None
    if not amount.is_finite():
        raise LedgerError("invalid_amount", _l("Baris %(n)s: jumlah tidak sah.", n=line_no), {f"lines.{line_no}.{side}": _l("Tidak sah.")})
    if amount < 0:
        raise LedgerError("invalid_line", _l("Baris %(n)s: jumlah tidak boleh negatif.", n=line_no), {f"lines.{line_no}.{side}": _l("Negatif.")})
    if amount != amount.quantize(Decimal(1).scaleb(-decimals)):
        raise LedgerError("invalid_amount", _l("Baris %(n)s: terlalu banyak angka desimal.", n=line_no),
                          {f"lines.{line_no}.{side}": _l("Terlalu banyak desimal.")})
    if abs(amount) > money.MAX_AMOUNT:
        raise LedgerError("invalid_amount", _l("Baris %(n)s: jumlah terlalu besar.", n=line_no), {f"lines.{line_no}.{side}": _l("Terlalu besar.")})
    return money.to_sen(amount)


def _load_accounts(coop: Cooperative, refs) -> tuple[dict[str, Account], dict[int, Account]]:
    """Every account the lines name, in one query (by code and by id), scoped to the cooperative."""
    codes = {str(r).strip() for r in refs if not isinstance(r, Account | int) or isinstance(r, bool)}
    ids = {r for r in refs if isinstance(r, int) and not isinstance(r, bool)}
    conditions = []
    if codes:
        conditions.append(Account.code.in_(codes))
    if ids:
        conditions.append(Account.id.in_(ids))
    if not conditions:
        return {}, {}
    found = db.session.scalars(select(Account).where(Account.cooperative_id == coop.id, or_(*conditions))).all()
    return {a.code: a for a in found}, {a.id: a for a in found}


def _resolve_account(coop: Cooperative, ref, line_no: int, known: tuple[dict[str, Account], dict[int, Account]],
                     allow_inactive: bool = False) -> Account:
    by_code, by_id = known
    if isinstance(ref, Account):
        account = ref if ref.cooperative_id == coop.id else None
    elif isinstance(ref, int) and not isinstance(ref, bool):
        account = by_id.get(ref)
    else:
        account = by_code.get(str(ref).strip())
    if account is None:
        raise LedgerError("unknown_account", _l("Baris %(n)s: akun %(code)s tidak ada di koperasi ini.", n=line_no, code=ref),
                          {f"lines.{line_no}.account": _l("Tidak dikenal.")})
    if not account.postable:
        raise LedgerError("not_postable", _l("Baris %(n)s: akun %(code)s adalah akun kelompok, tidak bisa diisi.", n=line_no, code=account.code),
                          {f"lines.{line_no}.account": _l("Akun kelompok.")})
    if not account.active and not allow_inactive:
        raise LedgerError("inactive_account", _l("Baris %(n)s: akun %(code)s sudah dinonaktifkan.", n=line_no, code=account.code),
                          {f"lines.{line_no}.account": _l("Nonaktif.")})
    return account


def _check_subledger(coop: Cooperative, account: Account, spec: LineSpec, line_no: int, internal: frozenset[str]) -> None:
    kind = account.subledger
    if kind in ("product", "santri") and kind not in internal:
        raise LedgerError("module_only_account",
                          _l("Baris %(n)s: akun %(code)s hanya diisi oleh modulnya sendiri (persediaan/dompet santri).", n=line_no, code=account.code),
                          {f"lines.{line_no}.account": _l("Hanya lewat modul.")})
    for ref_kind, ref in (("member", spec.member_id), ("party", spec.party_id)):
        needed = kind == ref_kind
        if ref is None:
            if needed:
                raise LedgerError("subledger_required",
                                  _l("Baris %(n)s: akun %(code)s wajib menyebut %(what)s.", n=line_no, code=account.code,
                                     what=SUBLEDGER_NAMES[ref_kind]),
                                  {f"lines.{line_no}.{ref_kind}": _l("Wajib diisi.")})
            continue
        plugin = subledgers.get(ref_kind)
        if plugin is None:
            raise LedgerError("subledger_unavailable",
                              _l("Baris %(n)s: buku pembantu %(kind)s belum tersedia.", n=line_no, kind=SUBLEDGER_NAMES[ref_kind]),
                              {f"lines.{line_no}.{ref_kind}": _l("Belum tersedia.")})
        if isinstance(ref, bool) or not isinstance(ref, int) or not plugin.exists(coop.id, ref):
            raise LedgerError(f"unknown_{ref_kind}", _l("Baris %(n)s: %(kind)s tidak ada di koperasi ini.", n=line_no, kind=SUBLEDGER_NAMES[ref_kind]),
                              {f"lines.{line_no}.{ref_kind}": _l("Tidak dikenal.")})


def is_period_closed(coop_id: int, day: date) -> bool:
    return bool(db.session.scalar(select(Period.closed).where(
        Period.cooperative_id == coop_id, Period.year == day.year, Period.month == day.month)))


def validate(
    coop: Cooperative, *, entry_date, description: str, lines, journal_type: str = "JU", reference: str | None = None,
    internal_subledgers: frozenset[str] = frozenset(), allow_closed_period: bool = False, allow_inactive: bool = False,
    check_period: bool = True,
) -> PostingRequest:
    """Check a posting against every rule without writing; returns the checked request.

    ``check_period=False`` leaves the closed-month check to the writer, which makes it under the
    cooperative's ledger lock (post_entry does; forms that only want early feedback keep it on).

    Raises LedgerError (see its codes). Used by post_entry and by forms that show errors early.
    """
    if journal_type not in JOURNAL_TYPES:
        raise LedgerError("invalid_journal_type", _l("Jenis jurnal %(t)s tidak dikenal.", t=journal_type), {"journal_type": _l("Tidak dikenal.")})
    if isinstance(entry_date, datetime) or not isinstance(entry_date, date):
        raise LedgerError("invalid_date", _l("Tanggal jurnal tidak sah."), {"date": _l("Tidak sah.")})
    if entry_date.year < 1900 or entry_date.year > 2999:
        raise LedgerError("invalid_date", _l("Tanggal jurnal di luar jangkauan."), {"date": _l("Tidak sah.")})
    description = (description or "").strip()
    if not description or len(description) > 500:
        raise LedgerError("invalid_description", _l("Keterangan jurnal wajib diisi (paling banyak 500 karakter)."),
                          {"description": _l("Wajib diisi.")})
    reference = (reference or "").strip()[:100] or None
    lines = list(lines or [])
    if len(lines) < 2:
        raise LedgerError("too_few_lines", _l("Jurnal harus punya paling sedikit dua baris."), {"lines": _l("Minimal dua baris.")})
    request = PostingRequest(journal_type, entry_date, description, reference)
    known = _load_accounts(coop, [spec.account for spec in lines if isinstance(spec, LineSpec)])
    total_debit = total_credit = 0
    for n, spec in enumerate(lines, start=1):
        if not isinstance(spec, LineSpec):
            raise LedgerError("invalid_line", _l("Baris %(n)s tidak sah.", n=n), {f"lines.{n}": _l("Tidak sah.")})
        debit = _amount_sen(spec.debit, coop.currency_decimals, n, "debit")
        credit = _amount_sen(spec.credit, coop.currency_decimals, n, "credit")
        if (debit > 0) == (credit > 0):
            raise LedgerError("invalid_line", _l("Baris %(n)s: isi tepat satu sisi, debit atau kredit.", n=n),
                              {f"lines.{n}.debit": _l("Isi debit atau kredit.")})
        account = _resolve_account(coop, spec.account, n, known, allow_inactive)
        _check_subledger(coop, account, spec, n, internal_subledgers)
        memo = (spec.memo or "").strip()[:200] or None
        request.lines.append(_Checked(account, debit, credit, spec.member_id, spec.party_id, memo))
        total_debit += debit
        total_credit += credit
    if total_debit != total_credit:
        raise LedgerError(
            "unbalanced",
            _l("Jurnal tidak seimbang: debit %(d)s, kredit %(c)s.",
               d=money.format_number(money.from_sen(total_debit), coop.currency_decimals),
               c=money.format_number(money.from_sen(total_credit), coop.currency_decimals)),
            {"lines": _l("Debit harus sama dengan kredit.")},
        )
    if check_period and not allow_closed_period and is_period_closed(coop.id, entry_date):
        raise _period_closed_error(entry_date)
    return request


def _period_closed_error(day: date) -> LedgerError:
    return LedgerError("period_closed", _l("Periode %(m)02d/%(y)s sudah ditutup.", m=day.month, y=day.year),
                       {"date": _l("Periode tertutup.")})


# --- writing --------------------------------------------------------------------------------------

def start_chain(coop: Cooperative) -> LedgerHead:
    """Create the cooperative's chain head (at cooperative creation, so postings never race to)."""
    head = db.session.scalar(select(LedgerHead).where(LedgerHead.cooperative_id == coop.id))
    if head is None:
        head = LedgerHead(cooperative_id=coop.id, last_hash=GENESIS_HASH, entries=0)
        db.session.add(head)
        db.session.flush()
    return head


def lock_ledger(coop_id: int) -> LedgerHead:
    """Lock the cooperative's chain head: postings, period changes and the opening-balance check of one
    cooperative queue here (PostgreSQL row lock; SQLite writers are already serialised: every write
    transaction begins IMMEDIATE, see create_app). Checks that must not race a posting run after it."""
    head = db.session.scalar(select(LedgerHead).where(LedgerHead.cooperative_id == coop_id).with_for_update())
    if head is None:
        head = LedgerHead(cooperative_id=coop_id, last_hash=GENESIS_HASH, entries=0)
        db.session.add(head)
        db.session.flush()
    return head


#: One statement, compiled once, valid on SQLite (≥ 3.35) and PostgreSQL: take the next number of the
#: cooperative's journal type and fiscal year, creating the counter on first use.
_NEXT_SEQUENCE = text(
    "INSERT INTO voucher_counter (cooperative_id, journal_type, fiscal_year, last_sequence) VALUES (:c, :t, :fy, 1) "
    "ON CONFLICT (cooperative_id, journal_type, fiscal_year) DO UPDATE SET last_sequence = voucher_counter.last_sequence + 1 "
    "RETURNING last_sequence"
)


def _next_sequence(coop_id: int, journal_type: str, fiscal_year: int) -> int:
    return db.session.execute(_NEXT_SEQUENCE, {"c": coop_id, "t": journal_type, "fy": fiscal_year}).scalar_one()


def entry_hash(entry: JournalEntry, lines: list[JournalLine] | list[tuple], reverses_number: str | None = None) -> str:
    """SHA-256 over an entry's canonical content and the previous entry's hash.

    ``lines`` are JournalLine rows or tuples (line_no, account_id, debit, credit, member_id, party_id, memo).
    """
    rows = [
        (ln.line_no, ln.account_id, ln.debit, ln.credit, ln.member_id, ln.party_id, ln.memo) if isinstance(ln, JournalLine) else tuple(ln)
        for ln in lines
    ]
    payload = {
        "coop": entry.cooperative_id, "number": entry.number, "type": entry.journal_type, "fy": entry.fiscal_year,
        "seq": entry.sequence, "date": entry.entry_date.isoformat(), "description": entry.description,
        "reference": entry.reference, "reverses": entry.reverses_id, "total": entry.total,
        "lines": sorted([list(r) for r in rows]), "prev": entry.prev_hash,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def _find_by_key(coop_id: int, key: str) -> JournalEntry | None:
    return db.session.scalar(select(JournalEntry).where(JournalEntry.cooperative_id == coop_id, JournalEntry.idempotency_key == key))


def _write(coop: Cooperative, request: PostingRequest, *, source: str, idempotency_key: str | None, actor,
           reverses: JournalEntry | None = None, allow_closed_period: bool = False) -> JournalEntry:
    head = lock_ledger(coop.id)
    if not allow_closed_period and is_period_closed(coop.id, request.entry_date):
        # checked again under the lock: the month may have been closed while this request was validated
        raise _period_closed_error(request.entry_date)
    fingerprint = request.fingerprint()
    if idempotency_key:
        existing = _find_by_key(coop.id, idempotency_key)
        if existing is not None:
            if existing.request_hash != fingerprint:
                raise LedgerError("idempotency_conflict",
                                  _l("Kunci idempotensi ini sudah dipakai untuk jurnal lain (%(n)s).", n=existing.number),
                                  {"idempotency_key": _l("Sudah dipakai.")})
            existing.was_replayed = True
            return existing
    fiscal_year = fiscal_year_of(request.entry_date, coop.fiscal_year_start_month)
    sequence = _next_sequence(coop.id, request.journal_type, fiscal_year)
    entry = JournalEntry(
        cooperative_id=coop.id, journal_type=request.journal_type, fiscal_year=fiscal_year, sequence=sequence,
        number=f"{request.journal_type}/{fiscal_year}/{sequence:06d}", entry_date=request.entry_date,
        description=request.description, reference=request.reference, source=source,
        total=sum(c.debit for c in request.lines), idempotency_key=idempotency_key, request_hash=fingerprint,
        reverses_id=reverses.id if reverses else None, created_by_id=getattr(actor, "id", None),
        prev_hash=head.last_hash, entry_hash="",
    )
    rows = [
        (n, c.account.id, c.debit, c.credit, c.member_id, c.party_id, c.memo) for n, c in enumerate(request.lines, start=1)
    ]
    entry.entry_hash = entry_hash(entry, rows)
    db.session.add(entry)
    db.session.flush()
    db.session.execute(
        JournalLine.__table__.insert(),
        [
            {"cooperative_id": coop.id, "entry_id": entry.id, "line_no": n, "account_id": account_id,
             "entry_date": request.entry_date, "debit": debit, "credit": credit, "member_id": member_id,
             "party_id": party_id, "memo": memo}
            for n, account_id, debit, credit, member_id, party_id, memo in rows
        ],
    )
    head.last_entry_id = entry.id
    head.last_hash = entry.entry_hash
    head.entries = (head.entries or 0) + 1
    entry.was_replayed = False
    return entry


def post_entry(
    coop: Cooperative, *, entry_date: date, description: str, lines, journal_type: str = "JU",
    reference: str | None = None, source: str = "manual", idempotency_key: str | None = None, actor=None,
    internal_subledgers: frozenset[str] = frozenset(), allow_closed_period: bool = False, allow_inactive: bool = False,
    commit: bool = True,
) -> JournalEntry:
    """Post one balanced entry and return it, or raise LedgerError and write nothing.

    With ``idempotency_key``: the same key and content again returns the first entry (its
    ``was_replayed`` is True); the same key with different content raises ``idempotency_conflict``.
    ``internal_subledgers`` is for modules that keep their own subledger (the shop passes
    ``{"product"}`` for inventory lines backed by stock moves). ``commit=False`` lets a domain
    service post inside its own unit of work and commit once.
    """
    key = (idempotency_key or "").strip()[:200] or None
    request = validate(coop, entry_date=entry_date, description=description, lines=lines, journal_type=journal_type,
                       reference=reference, internal_subledgers=internal_subledgers, allow_closed_period=allow_closed_period,
                       allow_inactive=allow_inactive, check_period=False)
    try:
        entry = _write(coop, request, source=source, idempotency_key=key, actor=actor, allow_closed_period=allow_closed_period)
        if not entry.was_replayed:
            record("entry.posted", cooperative_id=coop.id, actor_id=getattr(actor, "id", None),
                   number=entry.number, total=str(money.from_sen(entry.total)), source=source)
        if commit:
            db.session.commit()
    except IntegrityError:
        # Another transaction committed the same idempotency key between our check and our insert.
        db.session.rollback()
        if key and (existing := _find_by_key(coop.id, key)) is not None:
            if existing.request_hash != request.fingerprint():
                raise LedgerError("idempotency_conflict", _l("Kunci idempotensi ini sudah dipakai untuk jurnal lain.")) from None
            existing.was_replayed = True
            return existing
        raise
    except Exception:
        db.session.rollback()
        raise
    return entry


def reverse(
    coop: Cooperative, entry: JournalEntry, *, entry_date: date | None = None, description: str | None = None,
    actor=None, idempotency_key: str | None = None, commit: bool = True,
) -> JournalEntry:
    """Undo ``entry`` by posting its mirror image (debits and credits swapped) and linking the two.

    Raises LedgerError(code="already_reversed" | "cannot_reverse_reversal" | "invalid_date" |
    "period_closed" | "not_found").
    """
    if entry.cooperative_id != coop.id:
        raise LedgerError("not_found", _l("Jurnal tidak ditemukan."))
    try:
        for guard in subledgers.reversal_guards():  # before the ledger lock: guards lock their own rows first, as their modules do
            guard(coop, entry)
        lock_ledger(coop.id)
        db.session.refresh(entry)
        if entry.reverses_id is not None:
            raise LedgerError("cannot_reverse_reversal", _l("Jurnal %(n)s adalah pembalik; posting ulang jurnal aslinya bila perlu.", n=entry.number))
        if entry.reversed_by_id is not None:
            raise LedgerError("already_reversed", _l("Jurnal %(n)s sudah dibalik.", n=entry.number))
        day = entry_date or max(today(), entry.entry_date)
        if day < entry.entry_date:
            raise LedgerError("invalid_date", _l("Tanggal pembalikan tidak boleh sebelum tanggal jurnal asli."), {"date": _l("Terlalu awal.")})
        lines = [
            LineSpec(ln.account_id, debit=money.from_sen(ln.credit), credit=money.from_sen(ln.debit),
                     member_id=ln.member_id, party_id=ln.party_id, memo=ln.memo)
            for ln in entry.lines
        ]
        request = validate(
            coop, entry_date=day, description=description or f"Pembalik {entry.number}: {entry.description}"[:500],
            lines=lines, journal_type=entry.journal_type, reference=entry.number,
            internal_subledgers=frozenset({"member", "party", "product", "santri"}), allow_inactive=True, check_period=False,
        )
        reversal = _write(coop, request, source="reversal", idempotency_key=(idempotency_key or "").strip() or None,
                          actor=actor, reverses=entry)
        if not reversal.was_replayed:
            db.session.execute(
                update(JournalEntry)
                .where(JournalEntry.cooperative_id == coop.id, JournalEntry.id == entry.id, JournalEntry.reversed_by_id.is_(None))
                .values(reversed_by_id=reversal.id)
            )
            record("entry.reversed", cooperative_id=coop.id, actor_id=getattr(actor, "id", None),
                   number=entry.number, reversal=reversal.number)
        if commit:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(entry)
    return reversal
