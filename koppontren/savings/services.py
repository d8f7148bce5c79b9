"""Simpanan pokok, wajib and sukarela: settings, deposits, withdrawals, arrears, passbook, bulk
wajib collection and the exit settlement of RULES.md §2.

Each operation is a command (``koppontren.operations``): one unit of work that locks the member,
checks, computes the journal lines (``savings.postings``), posts them through ``ledger.posting`` and
writes the transaction document (and the wajib months); the unit commits once. A repeated request
(the same ``idempotency_key``) returns the first result through the one table of operation keys.
Balances are never stored: they are read from the ledger's member subledger. Refusals raise
SavingsError and write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.posting import post_entry
from koppontren.members import services as members
from koppontren.members.services import CATEGORIES, Member
from koppontren.operations import command
from koppontren.savings import postings
from koppontren.savings.models import KIND_ROLES, KINDS, SavingsSettings, SavingsTransaction, WajibMonth, WajibRate
from koppontren.savings.postings import Balances
from koppontren.tenancy.models import Cooperative


class SavingsError(DomainError):
    """A refused savings operation. Codes: ``invalid_amount``, ``invalid_date``, ``invalid_account``,
    ``not_active``, ``pokok_already_paid``, ``pokok_not_set``, ``wajib_not_set``, ``month_paid``,
    ``invalid_month``, ``insufficient_balance``, ``withdrawal_not_allowed``, ``has_receivables``,
    ``receivables_exceed_savings``, ``nothing_selected``, ``bulk_refused``, ``not_found``, and any
    LedgerError code (``period_closed`` …) passed through."""


KIND_LABELS = {"pokok": _l("Simpanan pokok"), "wajib": _l("Simpanan wajib"), "sukarela": _l("Simpanan sukarela"),
               "keluar": _l("Pengembalian simpanan (anggota keluar)")}
#: kind names in the ledger's language (journal descriptions are Indonesian whatever the reader's locale)
_KIND_ID = {"pokok": "simpanan pokok", "wajib": "simpanan wajib", "sukarela": "simpanan sukarela",
            "exit_payable": "utang kepada anggota keluar", "shu_payable": "SHU belum dibayar"}
DIRECTION_LABELS = {"deposit": _l("Setoran"), "withdrawal": _l("Penarikan")}
ACTION_LABELS.update({
    "savings.settings": _l("Pengaturan simpanan diubah"),
    "savings.deposit": _l("Setoran simpanan"),
    "savings.withdrawal": _l("Penarikan simpanan"),
    "savings.bulk_wajib": _l("Setoran wajib massal"),
})
#: Receivables a leaving member's savings are netted against (roles in the chart).
RECEIVABLE_ROLES = ("receivable_member", "loan_member")
MAX_MONTHS_AHEAD = 24
MONTH_NAMES_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
                  "Oktober", "November", "Desember")

Month = tuple[int, int]


def format_amount(coop: Cooperative, sen: int) -> str:
    """An amount in sen as the reader writes it: ``Rp1.250.000`` or ``IDR 1,250,000``."""
    locale = get_locale()
    return money.format_idr(money.from_sen(sen), coop.currency_decimals, locale.language if locale else "id")


def month_key(m: Month) -> str:
    return f"{m[0]:04d}-{m[1]:02d}"


def parse_month(text: str) -> Month:
    """``"2026-11"`` → (2026, 11). Raises SavingsError(code="invalid_month")."""
    try:
        y, m = (int(p) for p in str(text).strip().split("-"))
        if 1900 <= y <= 2999 and 1 <= m <= 12:
            return y, m
    except (ValueError, TypeError):
        pass
    raise SavingsError("invalid_month", _l("Bulan %(m)s tidak sah (tulis misalnya 2026-11).", m=text), {"months": _l("Tidak sah.")})


def month_label_id(m: Month) -> str:
    """The ledger's (Indonesian) name of a month, for descriptions: ``November 2026``."""
    return f"{MONTH_NAMES_ID[m[1] - 1]} {m[0]}"


def month_label(m: Month) -> str:
    """A month in the reader's language: ``November 2026``."""
    return format_date(date(m[0], m[1], 1), "MMMM y")


def _next_month(m: Month) -> Month:
    return (m[0] + 1, 1) if m[1] == 12 else (m[0], m[1] + 1)


def _months_between(first: Month, last: Month) -> list[Month]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = _next_month(m)
    return out


def _months_text(months: list[Month]) -> str:
    if not months:
        return ""
    if len(months) == 1:
        return month_label_id(months[0])
    return f"{month_label_id(months[0])} – {month_label_id(months[-1])} ({len(months)} bulan)"


# --- settings ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """The savings settings as plain values (sen); ``default_account_id`` is never None."""

    pokok_amount: int
    sukarela_earns_shu: bool
    default_account_id: int
    wajib_rates: dict[str, int]

    def wajib_rate(self, category: str) -> int:
        return self.wajib_rates.get(category, 0)


def get_settings(coop: Cooperative) -> Settings:
    row = db.session.scalar(select(SavingsSettings).where(SavingsSettings.cooperative_id == coop.id))
    rates = {r.category: r.amount for r in db.session.scalars(select(WajibRate).where(WajibRate.cooperative_id == coop.id))}
    default_id = row.default_account_id if row and row.default_account_id else chart.account_for(coop, "cash").id
    return Settings(row.pokok_amount if row else 0, bool(row.sukarela_earns_shu) if row else False, default_id,
                    {c: rates.get(c, 0) for c in CATEGORIES})


def payment_accounts(coop: Cooperative) -> list:
    """Cash and bank accounts a member may pay into or be paid from (not the santri-deposit bank,
    whose money belongs to the santri wallets)."""
    return [a for a in chart.accounts(coop, postable_only=True, active_only=True)
            if a.cash_flow == "cash" and a.role not in ("bank_santri", "cash_transit")]


def _payment_account(coop: Cooperative, account_id: int | None):
    accounts = {a.id: a for a in payment_accounts(coop)}
    account_id = account_id or get_settings(coop).default_account_id
    account = accounts.get(account_id)
    if account is None:
        raise SavingsError("invalid_account", _l("Pilih akun kas atau bank yang aktif."), {"account": _l("Tidak sah.")})
    return account


def _settings_problems(coop: Cooperative, pokok_amount, wajib_rates: dict, default_account_id: int | None) -> dict[str, object]:
    """Each amount a Decimal (or int) rupiah from 0 to the largest amount, known categories, an
    active cash or bank account."""
    problems: dict[str, object] = {}
    for name, value in [("pokok_amount", pokok_amount), *((f"wajib_{c}", v) for c, v in wajib_rates.items())]:
        if value is None or not isinstance(value, Decimal | int) or value < 0 or value > money.MAX_AMOUNT:
            problems[name] = _l("Jumlah tidak sah.")
    if set(wajib_rates) - set(CATEGORIES):
        problems["wajib"] = _l("Kategori tidak dikenal.")
    if default_account_id is not None and default_account_id not in {a.id for a in payment_accounts(coop)}:
        problems["default_account"] = _l("Pilih akun kas atau bank yang aktif.")
    return problems


@command("savings.settings")
def update_settings(coop: Cooperative, *, pokok_amount: Decimal, wajib_rates: dict[str, Decimal], sukarela_earns_shu: bool,
                    default_account_id: int | None, actor, numbering: tuple[str, int] | None = None) -> Settings:
    """Change the savings settings (amounts are Decimal rupiah ≥ 0) and, with ``numbering`` =
    (prefix, digits), the member numbering of the same page — both or neither."""
    problems = _settings_problems(coop, pokok_amount, wajib_rates, default_account_id)
    if problems:
        raise SavingsError("invalid_amount", next(iter(problems.values())), problems)
    if numbering is not None:
        members.update_numbering(coop, prefix=numbering[0], digits=numbering[1], actor=actor)
    row = db.session.scalar(select(SavingsSettings).where(SavingsSettings.cooperative_id == coop.id))
    if row is None:
        row = SavingsSettings(cooperative_id=coop.id)
        db.session.add(row)
    row.pokok_amount = money.to_sen(pokok_amount)
    row.sukarela_earns_shu = bool(sukarela_earns_shu)
    row.default_account_id = default_account_id
    existing = {r.category: r for r in db.session.scalars(select(WajibRate).where(WajibRate.cooperative_id == coop.id))}
    for category, amount in wajib_rates.items():
        rate = existing.get(category) or WajibRate(cooperative_id=coop.id, category=category)
        rate.amount = money.to_sen(amount)
        db.session.add(rate)
    record("savings.settings", cooperative_id=coop.id, actor_id=getattr(actor, "id", None),
           pokok=str(pokok_amount), wajib={c: str(v) for c, v in wajib_rates.items()}, sukarela_earns_shu=bool(sukarela_earns_shu))
    return get_settings(coop)


# --- balances ------------------------------------------------------------------------------------

def kind_accounts(coop: Cooperative) -> dict[str, object]:
    """kind -> the ledger account of that simpanan (by role)."""
    return {kind: chart.account_for(coop, role) for kind, role in KIND_ROLES.items()}


_BALANCE_ROLES = {"pokok": "savings_principal", "wajib": "savings_mandatory", "sukarela": "savings_voluntary",
                  "exit_payable": "exit_payable", "shu_payable": "shu_payable", "receivable": "receivable_member",
                  "loan": "loan_member", "term": "savings_term"}


def balances_of_many(coop: Cooperative, member_ids=None, as_of: date | None = None) -> dict[int, Balances]:
    """member_id -> Balances, from the ledger's member subledger in one query."""
    accounts = {name: chart.account_for(coop, role) for name, role in _BALANCE_ROLES.items()}
    raw = queries.member_balances(coop, [a.id for a in accounts.values()], member_ids, as_of)
    out = {}
    for member_id, by_account in raw.items():
        values = {}
        for name, account in accounts.items():
            net_debit = by_account.get(account.id, 0)
            values[name] = net_debit if account.normal_balance == "debit" else -net_debit
        out[member_id] = Balances(**values)
    return out


def balances(coop: Cooperative, member_id: int, as_of: date | None = None) -> Balances:
    return balances_of_many(coop, [member_id], as_of).get(member_id, Balances())


# --- wajib months and arrears --------------------------------------------------------------------

def _month_rows(coop: Cooperative, member_ids) -> list[WajibMonth]:
    return list(db.session.scalars(select(WajibMonth).where(WajibMonth.cooperative_id == coop.id,
                                                            WajibMonth.member_id.in_(list(member_ids)))))


def paid_months_of_many(coop: Cooperative, member_ids) -> dict[int, set[Month]]:
    """member_id -> months of wajib paid by entries that still stand (not reversed)."""
    rows = _month_rows(coop, member_ids)
    void = queries.reversed_entry_ids(coop, {r.entry_id for r in rows})
    out: dict[int, set[Month]] = {}
    for r in rows:
        if r.entry_id not in void:
            out.setdefault(r.member_id, set()).add((r.year, r.month))
    return out


def paid_months(coop: Cooperative, member_id: int) -> set[Month]:
    return paid_months_of_many(coop, [member_id]).get(member_id, set())


@dataclass(frozen=True)
class Arrears:
    """Tunggakan wajib: unpaid months from the join month to the month of ``as_of`` inclusive, at
    the category's current monthly amount (sen). Not a receivable: never booked (RULES.md §2)."""

    months: list[Month] = field(default_factory=list)
    monthly: int = 0

    @property
    def amount(self) -> int:
        return self.monthly * len(self.months)

    @property
    def count(self) -> int:
        return len(self.months)


def _first_due_month(coop: Cooperative, member: Member) -> Month:
    """Wajib falls due from the later of the member's join month and the books start's month: months
    before the books start were settled in the cooperative's earlier books (issue 18)."""
    start = max(member.join_date, coop.books_start) if coop.books_start else member.join_date
    return (start.year, start.month)


def _arrears_for(coop: Cooperative, member: Member, paid: set[Month], rate: int, as_of: date) -> Arrears:
    if member.status != "aktif" or rate <= 0 or member.join_date > as_of:
        return Arrears([], rate)
    due = _months_between(_first_due_month(coop, member), (as_of.year, as_of.month))
    return Arrears([m for m in due if m not in paid], rate)


def arrears(coop: Cooperative, member: Member, as_of: date | None = None) -> Arrears:
    settings = get_settings(coop)
    return _arrears_for(coop, member, paid_months(coop, member.id), settings.wajib_rate(member.category), as_of or today())


def arrears_report(coop: Cooperative, as_of: date | None = None, category: str | None = None) -> list[tuple[Member, Arrears]]:
    """Active members with unpaid wajib months up to ``as_of``, most months first."""
    as_of = as_of or today()
    settings = get_settings(coop)
    active = [m for m in members.active_members(coop) if not category or m.category == category]
    paid = paid_months_of_many(coop, [m.id for m in active]) if active else {}
    rows = []
    for member in active:
        a = _arrears_for(coop, member, paid.get(member.id, set()), settings.wajib_rate(member.category), as_of)
        if a.months:
            rows.append((member, a))
    rows.sort(key=lambda r: (-r[1].count, r[0].number))
    return rows


def next_wajib_months(coop: Cooperative, member: Member, count: int) -> list[Month]:
    """The ``count`` oldest unpaid months from the member's join month on (arrears first, then ahead)."""
    paid = paid_months(coop, member.id)
    out, m = [], _first_due_month(coop, member)
    while len(out) < count:
        if m not in paid:
            out.append(m)
        m = _next_month(m)
    return out


# --- posting helpers -----------------------------------------------------------------------------

def _entry_date(member: Member, day: date | None) -> date:
    day = day or today()
    if day > today():
        raise SavingsError("future_date", _l("Tanggal tidak boleh setelah hari ini."), {"date": _l("Tidak sah.")})
    if day < member.join_date:
        raise SavingsError("invalid_date", _l("Tanggal tidak boleh sebelum tanggal masuk anggota (%(d)s).", d=member.join_date.isoformat()),
                           {"date": _l("Terlalu awal.")})
    return day


def _amount_sen(coop: Cooperative, amount) -> int:
    if isinstance(amount, float | bool) or not isinstance(amount, Decimal | int):
        raise SavingsError("invalid_amount", _l("Jumlah tidak sah."), {"amount": _l("Tidak sah.")})
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0:
        raise SavingsError("invalid_amount", _l("Jumlah harus lebih dari nol."), {"amount": _l("Harus lebih dari nol.")})
    if amount > money.MAX_AMOUNT:
        raise SavingsError("amount_too_large", _l("Jumlah terlalu besar."), {"amount": _l("Terlalu besar.")})
    if amount != amount.quantize(Decimal(1).scaleb(-coop.currency_decimals)):
        raise SavingsError("invalid_amount", _l("Jumlah tidak sah."), {"amount": _l("Tidak sah.")})
    return money.to_sen(amount)


def _locked_active_member(coop: Cooperative, member: Member | int) -> Member:
    member_id = member if isinstance(member, int) else member.id
    locked = members.lock_member(coop, member_id)
    if locked is None:
        raise SavingsError("not_found", _l("Anggota tidak ditemukan."))
    if locked.status != "aktif":
        raise SavingsError("not_active", _l("Anggota %(n)s sudah tidak aktif (%(s)s).", n=locked.number,
                                             s=members.STATUS_LABELS[locked.status]))
    return locked


def _post(coop: Cooperative, journal_type_override: str = "SP", **kw):
    """post_entry, joining the command's unit of work; a ledger refusal becomes a SavingsError."""
    try:
        return post_entry(coop, journal_type=journal_type_override, source="savings", **kw)
    except LedgerError as err:
        raise SavingsError(err.code, err.message, err.fields) from None


def _document(coop, member, *, kind, direction, amount, day, entry, account, description, months=None, actor) -> SavingsTransaction:
    tx = SavingsTransaction(
        cooperative_id=coop.id, member_id=member.id, kind=kind, direction=direction, amount=amount, tx_date=day,
        entry_id=entry.id, voucher=entry.number, account_name=account.name_id, description=description,
        months=",".join(month_key(m) for m in months) if months else None, created_by_id=getattr(actor, "id", None))
    db.session.add(tx)
    return tx


def _clear_void_months(coop: Cooperative, member_id: int, months: list[Month]) -> None:
    """Rows of these months whose paying entry was reversed no longer count: make room for the new payment."""
    rows = [r for r in _month_rows(coop, [member_id]) if (r.year, r.month) in set(months)]
    void = queries.reversed_entry_ids(coop, {r.entry_id for r in rows})
    stale = [r.id for r in rows if r.entry_id in void]
    if stale:
        db.session.execute(delete(WajibMonth).where(WajibMonth.cooperative_id == coop.id, WajibMonth.id.in_(stale)))


# --- deposits and withdrawals --------------------------------------------------------------------

@command("savings.deposit")
def deposit(coop: Cooperative, member: Member | int, kind: str, *, amount: Decimal | None = None, months: list[Month] | None = None,
            day: date | None = None, account_id: int | None = None, actor=None, idempotency_key: str | None = None,
            note: str | None = None) -> SavingsTransaction:
    """Record a deposit of simpanan ``kind`` and return its transaction (print the kwitansi from it).

    * pokok: the cooperative's pokok amount, once per member (refused while a pokok balance stands);
    * wajib: ``months`` (or ``amount`` = n × the monthly rate, paying the n oldest unpaid months);
    * sukarela: any positive ``amount``.

    Raises SavingsError (``pokok_already_paid``, ``month_paid``, ``insufficient_…`` …).
    """
    if kind not in KINDS:
        raise SavingsError("invalid_field", _l("Jenis simpanan tidak dikenal."), {"kind": _l("Tidak sah.")})
    locked = _locked_active_member(coop, member)
    entry_day = _entry_date(locked, day)
    account = _payment_account(coop, account_id)
    sen, rate, paid_months_list = _deposit_amount(coop, locked, kind, amount, months)
    description = f"Setoran {_KIND_ID[kind]} {locked.number} {locked.name}"
    if paid_months_list:
        description += f" bulan {_months_text(paid_months_list)}"
    if note:
        description += f" — {note.strip()[:150]}"
    lines = postings.deposit_lines(amount_sen=sen, member_id=locked.id, cash_account=account,
                                   savings_account=chart.account_for(coop, KIND_ROLES[kind]))
    entry = _post(coop, entry_date=entry_day, description=description[:500], actor=actor, lines=lines)
    if paid_months_list:
        _clear_void_months(coop, locked.id, paid_months_list)
        db.session.add_all([WajibMonth(cooperative_id=coop.id, member_id=locked.id, year=y, month=m, amount=rate, entry_id=entry.id)
                            for y, m in paid_months_list])
    tx = _document(coop, locked, kind=kind, direction="deposit", amount=sen, day=entry_day, entry=entry, account=account,
                   description=description[:500], months=paid_months_list, actor=actor)
    record("savings.deposit", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), member=locked.number, kind=kind,
           amount=str(money.from_sen(sen)), number=entry.number)
    return tx


def _deposit_amount(coop: Cooperative, member: Member, kind: str, amount, months) -> tuple[int, int, list[Month]]:
    """What a deposit of ``kind`` comes to: (sen, the monthly wajib rate, the wajib months paid)."""
    if kind == "pokok":
        return _pokok_sen(coop, member, amount), 0, []
    if kind == "wajib":
        rate = _wajib_rate(coop, member, amount, months)
        chosen = _wajib_months(coop, member, rate, months, amount)
        return rate * len(chosen), rate, chosen
    return _amount_sen(coop, amount), 0, []


def _pokok_sen(coop: Cooperative, member: Member, amount) -> int:
    """The cooperative's pokok amount, once per member; a cooperative that has not set its pokok yet
    takes the amount the treasurer gives."""
    pokok = get_settings(coop).pokok_amount
    if pokok <= 0 and amount is None:
        raise SavingsError("pokok_not_set", _l("Jumlah simpanan pokok belum diatur di pengaturan simpanan; isi jumlahnya."),
                           {"amount": _l("Wajib diisi.")})
    if balances(coop, member.id).pokok > 0:
        raise SavingsError("pokok_already_paid", _l("Simpanan pokok %(n)s sudah dibayar; simpanan pokok hanya sekali.", n=member.number),
                           {"kind": _l("Sudah dibayar.")})
    sen = pokok if pokok > 0 else _amount_sen(coop, amount)
    if amount is not None and _amount_sen(coop, amount) != sen:
        raise SavingsError("invalid_amount", _l("Simpanan pokok koperasi ini %(a)s.", a=format_amount(coop, sen)),
                           {"amount": _l("Harus sama dengan simpanan pokok.")})
    return sen


def _wajib_rate(coop: Cooperative, member: Member, amount, months) -> int:
    """The monthly wajib of the member's category; with no rate set yet, the amount given for the
    chosen months sets it (each month a whole rupiah, or sen)."""
    rate = get_settings(coop).wajib_rate(member.category)
    if rate <= 0 and months and amount is not None:
        count = len(set(months))
        given = _amount_sen(coop, amount)
        if given % (count * 10 ** (2 - coop.currency_decimals)):
            raise SavingsError("invalid_amount", _l("Jumlah harus terbagi rata atas %(n)s bulan.", n=count),
                               {"amount": _l("Tidak terbagi rata.")})
        rate = given // count
    if rate <= 0:
        raise SavingsError("wajib_not_set", _l("Simpanan wajib bulanan untuk kategori ini belum diatur; pilih bulan dan isi jumlahnya."))
    return rate


def _wajib_months(coop: Cooperative, member: Member, rate: int, months: list[Month] | None, amount) -> list[Month]:
    """The months a wajib deposit pays: given, or the oldest unpaid ones worth ``amount``."""
    if months:
        chosen = sorted(set(months))
        if amount is not None and _amount_sen(coop, amount) != rate * len(chosen):
            raise SavingsError("invalid_amount", _l("Jumlah tidak sama dengan %(n)s bulan × simpanan wajib %(r)s.",
                                                    n=len(chosen), r=format_amount(coop, rate)),
                               {"amount": _l("Tidak sesuai bulan yang dipilih.")})
    else:
        sen = _amount_sen(coop, amount)
        if sen % rate:
            raise SavingsError("invalid_amount", _l("Jumlah harus kelipatan simpanan wajib bulanan %(r)s.",
                                                    r=format_amount(coop, rate)),
                               {"amount": _l("Bukan kelipatan.")})
        chosen = next_wajib_months(coop, member, sen // rate)
    paid = paid_months(coop, member.id)
    join = (member.join_date.year, member.join_date.month)
    limit = _months_ahead_limit()
    for m in chosen:
        if m < join:
            raise SavingsError("invalid_month", _l("Bulan %(m)s sebelum anggota masuk.", m=month_label_id(m)), {"months": _l("Terlalu awal.")})
        if m > limit:
            raise SavingsError("invalid_month", _l("Paling jauh %(n)s bulan ke depan.", n=MAX_MONTHS_AHEAD), {"months": _l("Terlalu jauh.")})
        if m in paid:
            raise SavingsError("month_paid", _l("Simpanan wajib bulan %(m)s sudah dibayar.", m=month_label_id(m)), {"months": _l("Sudah dibayar.")})
    if len(chosen) > 120:
        raise SavingsError("invalid_month", _l("Terlalu banyak bulan sekaligus."), {"months": _l("Terlalu banyak.")})
    return chosen


def available_sukarela(coop: Cooperative, member_id: int, day: date) -> int:
    """What may be withdrawn on ``day``: the lowest running sukarela balance from that day on, so
    a back-dated withdrawal can never push any later (or earlier) balance below zero."""
    account = chart.account_for(coop, "savings_voluntary")
    running = balances(coop, member_id, as_of=day).sukarela
    lowest = running
    for _entry, line in queries.member_lines(coop, member_id, [account.id], date_from=day + timedelta(days=1)):
        running += line.credit - line.debit
        lowest = min(lowest, running)
    return max(lowest, 0)


def _latest_movement(coop: Cooperative, member_id: int) -> date | None:
    """The date of the member's latest line on any member-subledger account."""
    return queries.latest_member_line_date(coop, member_id)


def _months_ahead_limit() -> Month:
    """The furthest month wajib may be paid in advance."""
    now = today()
    return now.year + (now.month + MAX_MONTHS_AHEAD - 1) // 12, (now.month + MAX_MONTHS_AHEAD - 1) % 12 + 1


@command("savings.withdrawal")
def withdraw(coop: Cooperative, member: Member | int, kind: str = "sukarela", *, amount: Decimal, day: date | None = None,
             account_id: int | None = None, actor=None, idempotency_key: str | None = None, note: str | None = None,
             allow_inactive: bool = False) -> SavingsTransaction:
    """Pay out simpanan sukarela, never below zero (the member's row is locked while the balance is
    read, so two withdrawals racing on one balance cannot overdraw it). Pokok and wajib cannot be
    withdrawn while the person is a member: only through exit.

    Raises SavingsError(code="withdrawal_not_allowed" | "insufficient_balance" | …).
    """
    if kind in ("pokok", "wajib"):
        raise SavingsError("withdrawal_not_allowed",
                           _l("Simpanan pokok dan wajib tidak dapat ditarik selama masih menjadi anggota; gunakan proses keluar anggota."),
                           {"kind": _l("Tidak dapat ditarik.")})
    if kind != "sukarela":
        raise SavingsError("invalid_field", _l("Jenis simpanan tidak dikenal."), {"kind": _l("Tidak sah.")})
    return _withdraw_locked(coop, member, amount=amount, day=day, account_id=account_id, actor=actor, note=note,
                            allow_inactive=allow_inactive)


def _withdraw_locked(coop, member, *, amount, day, account_id, actor, note, allow_inactive=False):
    if allow_inactive:
        locked = members.lock_member(coop, member if isinstance(member, int) else member.id)
    else:
        locked = _locked_active_member(coop, member)
    entry_day = _entry_date(locked, day)
    account = _payment_account(coop, account_id)
    sen = _amount_sen(coop, amount)
    available = available_sukarela(coop, locked.id, entry_day)
    if sen > available:
        raise SavingsError("insufficient_balance",
                           _l("Saldo simpanan sukarela %(n)s hanya %(a)s; penarikan %(w)s ditolak.", n=locked.number,
                              a=format_amount(coop, available),
                              w=format_amount(coop, sen)),
                           {"amount": _l("Melebihi saldo %(a)s.", a=format_amount(coop, available))})
    description = f"Penarikan simpanan sukarela {locked.number} {locked.name}"
    if note:
        description += f" — {note.strip()[:150]}"
    entry = _post(coop, entry_date=entry_day, description=description[:500], actor=actor,
                  lines=postings.withdrawal_lines(amount_sen=sen, member_id=locked.id, cash_account=account,
                                                  voluntary_account=chart.account_for(coop, "savings_voluntary")))
    tx = _document(coop, locked, kind="sukarela", direction="withdrawal", amount=sen, day=entry_day, entry=entry, account=account,
                   description=description[:500], actor=actor)
    record("savings.withdrawal", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), member=locked.number,
           kind="sukarela", amount=str(money.from_sen(sen)), number=entry.number)
    return tx


@command("savings.sukarela_credit")
def credit_sukarela_from(coop: Cooperative, member_id: int, *, amount_sen: int, day: date, from_account, description: str,
                         actor=None, journal_type: str = "SP") -> SavingsTransaction:
    """Credit a member's simpanan sukarela from another (non-cash) account in the caller's unit of
    work, e.g. SHU paid into savings: ``Dr from_account (member) / Cr 2111 (member)``. The savings
    module keeps 2111 to itself, so other modules move money into it through here; the deposit gets
    its transaction document (kwitansi, passbook) like any other. Joins the caller's unit of work.

    Raises SavingsError (``not_active``, ``invalid_amount``, LedgerError codes)."""
    locked = _locked_active_member(coop, member_id)
    if isinstance(amount_sen, bool) or not isinstance(amount_sen, int) or amount_sen <= 0:
        raise SavingsError("invalid_amount", _l("Jumlah harus lebih dari nol."), {"amount": _l("Harus lebih dari nol.")})
    description = (description or f"Setoran simpanan sukarela {locked.number} {locked.name}")[:500]
    entry = _post(coop, entry_date=day, description=description, actor=actor, journal_type_override=journal_type,
                  lines=postings.sukarela_credit_lines(amount_sen=amount_sen, member_id=locked.id, from_account=from_account,
                                                       voluntary_account=chart.account_for(coop, "savings_voluntary")))
    tx = _document(coop, locked, kind="sukarela", direction="deposit", amount=amount_sen, day=day, entry=entry,
                   account=from_account, description=description, actor=actor)
    record("savings.deposit", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), member=locked.number, kind="sukarela",
           amount=str(money.from_sen(amount_sen)), number=entry.number)
    return tx


# --- bulk wajib collection -----------------------------------------------------------------------

@dataclass(frozen=True)
class BulkProblem:
    member_number: str
    problem: str


class BulkRefusedError(SavingsError):
    """A bulk collection refused whole; ``problems`` names every member that blocks it."""

    def __init__(self, message, problems: list[BulkProblem]):
        super().__init__("bulk_refused", message, {p.member_number: p.problem for p in problems[:200]})
        self.problems = problems


def bulk_candidates(coop: Cooperative, month: Month) -> list[tuple[Member, int]]:
    """Active members who joined by ``month``, have not paid it and have a monthly rate: (member, rate)."""
    settings = get_settings(coop)
    active = [m for m in members.active_members(coop) if (m.join_date.year, m.join_date.month) <= month]
    paid = paid_months_of_many(coop, [m.id for m in active]) if active else {}
    return [(m, settings.wajib_rate(m.category)) for m in active
            if month not in paid.get(m.id, set()) and settings.wajib_rate(m.category) > 0]


@command("savings.bulk_wajib")
def collect_wajib_bulk(coop: Cooperative, *, month: Month, member_ids: list[int], day: date | None = None,
                       account_id: int | None = None, actor=None, note: str | None = None, idempotency_key: str | None = None):
    """Record one month's wajib for many members as one entry (one credit line per member), e.g.
    deducted from honoraria. All or nothing: any member who cannot pay that month refuses the whole
    batch, every such member listed. Returns (entry, transactions)."""
    if not member_ids:
        raise SavingsError("nothing_selected", _l("Pilih paling sedikit satu anggota."), {"members": _l("Kosong.")})
    account = _payment_account(coop, account_id)
    entry_day = day or today()
    if entry_day > today():
        raise SavingsError("future_date", _l("Tanggal tidak boleh setelah hari ini."), {"date": _l("Tidak sah.")})
    if month > _months_ahead_limit():
        raise SavingsError("invalid_month", _l("Paling jauh %(n)s bulan ke depan.", n=MAX_MONTHS_AHEAD), {"month": _l("Terlalu jauh.")})
    wanted = sorted(set(member_ids))
    found = {mid: members.lock_member(coop, mid) for mid in wanted}  # locked in id order: two batches never deadlock
    plan, problems = _bulk_plan(coop, month, entry_day, found)
    if problems:
        raise BulkRefusedError(_l("Setoran massal ditolak: %(n)s anggota bermasalah. Tidak ada yang disimpan.", n=len(problems)), problems)
    description = f"Setoran simpanan wajib bulan {month_label_id(month)} ({len(plan)} anggota)"
    if note:
        description += f" — {note.strip()[:150]}"
    lines = postings.bulk_wajib_lines([postings.WajibItem(m.id, rate, f"{m.number} {m.name}") for m, rate in plan],
                                      cash_account=account, wajib_account=chart.account_for(coop, "savings_mandatory"))
    entry = _post(coop, entry_date=entry_day, description=description[:500], actor=actor, lines=lines)
    txs = []
    for m, rate in plan:
        _clear_void_months(coop, m.id, [month])
        db.session.add(WajibMonth(cooperative_id=coop.id, member_id=m.id, year=month[0], month=month[1], amount=rate, entry_id=entry.id))
        txs.append(_document(coop, m, kind="wajib", direction="deposit", amount=rate, day=entry_day, entry=entry, account=account,
                             description=f"Setoran simpanan wajib {m.number} {m.name} bulan {month_label_id(month)}", months=[month],
                             actor=actor))
    record("savings.bulk_wajib", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), month=month_key(month),
           members=len(plan), amount=str(money.from_sen(sum(rate for _, rate in plan))), number=entry.number)
    return entry, txs


def _bulk_plan(coop: Cooperative, month: Month, entry_day: date, found: dict[int, Member | None]):
    """(member, rate) of each member who can pay ``month``, and a BulkProblem for each who cannot."""
    settings = get_settings(coop)
    paid = paid_months_of_many(coop, list(found))
    plan, problems = [], []
    for mid, m in found.items():
        if m is None:
            problems.append(BulkProblem(str(mid), str(_l("Anggota tidak ditemukan."))))
            continue
        rate = settings.wajib_rate(m.category)
        problem = _bulk_problem(m, rate, month, entry_day, paid.get(mid, set()))
        if problem is not None:
            problems.append(BulkProblem(m.number, str(problem)))
        else:
            plan.append((m, rate))
    return plan, problems


def _bulk_problem(m: Member, rate: int, month: Month, entry_day: date, paid: set[Month]):
    """Why ``m`` cannot pay ``month``'s wajib in a bulk collection, or None."""
    if m.status != "aktif":
        return _l("Tidak aktif.")
    if rate <= 0:
        return _l("Simpanan wajib kategori %(c)s belum diatur.", c=members.CATEGORY_LABELS[m.category])
    if (m.join_date.year, m.join_date.month) > month:
        return _l("Masuk setelah bulan itu.")
    if m.join_date > entry_day:
        return _l("Tanggal setoran sebelum tanggal masuk anggota.")
    if month in paid:
        return _l("Bulan %(m)s sudah dibayar.", m=month_label_id(month))
    return None


# --- exit ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExitResult:
    reclassification: object | None  # Dr 3101, Dr 3102 / Cr 2131
    settlement: object | None  # Dr 2131 (+ 2121) / Cr 1121, 1131, Kas
    sukarela: SavingsTransaction | None  # the normal withdrawal of what sukarela is left
    payout: int  # sen paid in cash/bank by the settlement
    netted: int  # sen of receivables netted


def exit_preview(coop: Cooperative, member: Member) -> Balances:
    return balances(coop, member.id)


@command("savings.exit")
def exit_member(coop: Cooperative, member: Member | int, *, effective_date: date, status: str = "keluar", reason: str | None = None,
                net_receivables: bool = False, settlement_date: date | None = None, account_id: int | None = None,
                actor=None) -> ExitResult:
    """A member leaves (RULES.md §2), in one unit of work:

    1. on ``effective_date``: ``Dr 3101, Dr 3102 / Cr 2131`` for the member's pokok and wajib;
    2. settlement on ``settlement_date`` (default the same day): ``Dr 2131`` (and ``Dr 2121`` for
       unpaid SHU) ``/ Cr 1121, Cr 1131`` for the receivables netted, ``Cr Kas`` for the rest;
    3. what is left of sukarela is repaid as a normal withdrawal;

    then the status becomes ``keluar``/``meninggal`` with the date; history stays. Refused while the
    member owes receivables or loans the treasurer has not chosen to net (``has_receivables``), or
    owes more than all their savings (``receivables_exceed_savings``).
    """
    return _exit_member(coop, member, effective_date=effective_date, status=status, reason=reason, net_receivables=net_receivables,
                        settlement_date=settlement_date, account_id=account_id, actor=actor)


def _exit_member(coop: Cooperative, member: Member | int, *, effective_date, status, reason, net_receivables, settlement_date,
                 account_id, actor) -> ExitResult:
    locked = _locked_active_member(coop, member)
    if status not in ("keluar", "meninggal"):
        raise SavingsError("invalid_field", _l("Status keluar tidak sah."), {"status": _l("Tidak sah.")})
    eff, settle_day = _exit_dates(coop, locked, effective_date, settlement_date)
    account = _payment_account(coop, account_id)
    b = balances(coop, locked.id)
    figures = postings.exit_figures(b)
    _check_exit(coop, locked, b, figures, net_receivables)
    accounts = postings.ExitAccounts(**{name: chart.account_for(coop, role) for name, role in postings.EXIT_ROLES.items()}, cash=account)
    name = f"{locked.number} {locked.name}"
    reclass = settlement = sukarela_tx = None
    if lines := postings.exit_reclassification_lines(b, locked.id, accounts):
        reclass = _post(coop, entry_date=eff, description=f"Anggota keluar {name}: simpanan pokok dan wajib menjadi utang", lines=lines,
                        actor=actor, allow_inactive=True)
    if lines := postings.exit_settlement_lines(b, locked.id, accounts):
        settlement = _post(coop, entry_date=settle_day, description=f"Penyelesaian anggota keluar {name}", lines=lines, actor=actor,
                           allow_inactive=True)
        if figures.cash_out:
            _document(coop, locked, kind="keluar", direction="withdrawal", amount=figures.cash_out, day=settle_day, entry=settlement,
                      account=account, description=f"Pengembalian simpanan anggota keluar {name}", actor=actor)
    if figures.sukarela_rest > 0:
        sukarela_tx = _withdraw_locked(coop, locked, amount=money.from_sen(figures.sukarela_rest), day=settle_day, account_id=account.id,
                                       actor=actor, note="anggota keluar")
    members.mark_left(coop, locked, status=status, day=eff, reason=reason)
    record("member.exited", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=locked.number, status=status,
           date=eff.isoformat(), payout=str(money.from_sen(figures.cash_out + max(figures.sukarela_rest, 0))),
           netted=str(money.from_sen(figures.to_net)))
    return ExitResult(reclass, settlement, sukarela_tx, figures.cash_out, figures.to_net)


def _exit_dates(coop: Cooperative, member: Member, effective_date: date, settlement_date: date | None) -> tuple[date, date]:
    """The exit date (not before the member's latest movement) and the settlement date (between it and today)."""
    eff = _entry_date(member, effective_date)
    settle_day = settlement_date or eff
    if settle_day < eff or settle_day > today():
        raise SavingsError("invalid_date", _l("Tanggal penyelesaian antara tanggal keluar dan hari ini."), {"settlement_date": _l("Tidak sah.")})
    latest = _latest_movement(coop, member.id)
    if latest is not None and eff < latest:
        raise SavingsError("invalid_date", _l("Tanggal keluar tidak boleh sebelum mutasi terakhir anggota (%(d)s).", d=latest.isoformat()),
                           {"effective_date": _l("Terlalu awal.")})
    return eff, settle_day


def _check_exit(coop: Cooperative, member: Member, b: Balances, figures: postings.ExitFigures, net_receivables: bool) -> None:
    """Refuse an exit while a term deposit stands, while receivables are owed and not chosen to be
    netted, or when they exceed everything the member has."""
    def fmt(sen):
        return format_amount(coop, sen)
    if b.term:
        raise SavingsError("has_term_deposit", _l("%(n)s masih punya simpanan berjangka %(a)s; cairkan dulu.", n=member.number, a=fmt(b.term)))
    if figures.to_net > 0 and not net_receivables:
        raise SavingsError("has_receivables",
                           _l("%(n)s masih punya piutang %(r)s dan pinjaman %(l)s. Pilih 'potong dari simpanan' atau lunasi dulu.",
                              n=member.number, r=fmt(figures.owed_receivable), l=fmt(figures.owed_loan)),
                           {"net_receivables": _l("Piutang belum diselesaikan.")})
    available = postings.exit_available(b)
    if figures.to_net > available:
        raise SavingsError("receivables_exceed_savings",
                           _l("Piutang dan pinjaman %(n)s (%(r)s) melebihi seluruh simpanannya (%(s)s); lunasi dulu selisihnya.",
                              n=member.number, r=fmt(figures.to_net), s=fmt(available)))


# --- reversals ----------------------------------------------------------------------------------

def guard_reversal(coop: Cooperative, entry) -> None:
    """Refuse to reverse an entry that would leave a member's simpanan below zero — a sukarela
    deposit already withdrawn, a pokok or wajib already moved out by an exit. Locks the members
    first (the order every savings operation takes), so a racing withdrawal waits for the verdict."""
    effect = _savings_effect(coop, entry)
    for member_id in sorted({m for m, _ in effect}):
        member = members.get_member(coop, member_id)
        if member is not None and member.status != "aktif":
            raise LedgerError("member_left", _l(
                "Jurnal %(e)s tidak bisa dibalik: %(n)s sudah keluar dan simpanannya sudah diselesaikan.", e=entry.number, n=member.number))
    shrinking = {key: delta for key, delta in effect.items() if delta < 0}
    for member_id in sorted({m for m, _ in shrinking}):
        members.lock_member(coop, member_id)
        _refuse_overdraw(coop, entry, member_id, {kind: delta for (mid, kind), delta in shrinking.items() if mid == member_id})


def _savings_effect(coop: Cooperative, entry) -> dict[tuple[int, str], int]:
    """(member id, kind) -> what reversing ``entry`` does to that balance (sen, + up / − down)."""
    accounts = {chart.account_for(coop, role).id: kind for kind, role in
                (*KIND_ROLES.items(), ("exit_payable", "exit_payable"), ("shu_payable", "shu_payable"))}
    effect: dict[tuple[int, str], int] = {}
    for line in entry.lines:
        kind = accounts.get(line.account_id)
        if kind is not None and line.member_id is not None:
            effect[(line.member_id, kind)] = effect.get((line.member_id, kind), 0) + line.debit - line.credit
    return effect


def _refuse_overdraw(coop: Cooperative, entry, member_id: int, deltas: dict[str, int]) -> None:
    """Raise LedgerError(reversal_would_overdraw) when a (locked) member's balance would go below zero."""
    current = balances(coop, member_id)
    for kind, delta in deltas.items():
        if current.of(kind) + delta < 0:
            number = members.get_member(coop, member_id).number
            raise LedgerError("reversal_would_overdraw", _l(
                "Jurnal %(e)s tidak bisa dibalik: saldo %(k)s %(n)s tinggal %(a)s, kurang dari yang akan dibatalkan.",
                e=entry.number, k=str(_KIND_ID.get(kind, kind)), n=number,
                a=format_amount(coop, current.of(kind))))


# --- reading documents ---------------------------------------------------------------------------

def transactions_of(coop: Cooperative, member_id: int, limit: int = 100) -> list[tuple[SavingsTransaction, bool]]:
    """A member's savings transactions, newest first, each with whether it was cancelled (reversed)."""
    txs = list(db.session.scalars(select(SavingsTransaction).where(
        SavingsTransaction.cooperative_id == coop.id, SavingsTransaction.member_id == member_id)
        .order_by(SavingsTransaction.tx_date.desc(), SavingsTransaction.id.desc()).limit(limit)))
    void = queries.reversed_entry_ids(coop, {t.entry_id for t in txs})
    return [(t, t.entry_id in void) for t in txs]


def get_transaction(coop: Cooperative, tx_id: int) -> SavingsTransaction | None:
    if isinstance(tx_id, bool) or not isinstance(tx_id, int):
        return None
    return db.session.scalar(select(SavingsTransaction).where(SavingsTransaction.cooperative_id == coop.id, SavingsTransaction.id == tx_id))


def is_cancelled(coop: Cooperative, tx: SavingsTransaction) -> bool:
    return tx.entry_id in queries.reversed_entry_ids(coop, [tx.entry_id])


def tx_months(tx: SavingsTransaction) -> list[Month]:
    return [parse_month(k) for k in tx.months.split(",")] if tx.months else []


@dataclass(frozen=True)
class PassbookRow:
    date: date
    number: str
    description: str
    debit_sen: int  # withdrawal (the member's balance goes down)
    credit_sen: int  # deposit
    balance_sen: int
    entry_id: int


@dataclass(frozen=True)
class Passbook:
    """Mutasi of one simpanan of one member between two dates, with running balance."""

    kind: str
    date_from: date
    date_to: date
    opening_sen: int
    rows: list[PassbookRow]
    closing_sen: int
    total_debit_sen: int
    total_credit_sen: int


def passbook(coop: Cooperative, member: Member, kind: str, date_from: date, date_to: date) -> Passbook:
    account = chart.account_for(coop, KIND_ROLES[kind])
    ledger = queries.account_ledger(coop, account, date_from, date_to, member_id=member.id)
    rows = [PassbookRow(ln.line.entry_date, ln.entry.number, ln.entry.description, ln.line.debit, ln.line.credit, ln.running, ln.entry.id)
            for ln in ledger.lines]
    return Passbook(kind, date_from, date_to, ledger.opening, rows, ledger.closing, ledger.total_debit, ledger.total_credit)


def receivable_movements(coop: Cooperative, member_id: int, limit: int = 50):
    """The member's latest lines on receivable and loan accounts (purchases on credit, loans)."""
    ids = [chart.account_for(coop, role).id for role in RECEIVABLE_ROLES]
    return queries.member_lines(coop, member_id, ids, limit=limit)


def latest_movements(coop: Cooperative, member_id: int, limit: int = 30):
    ids = [a.id for a in kind_accounts(coop).values()]
    return queries.member_lines(coop, member_id, ids, limit=limit)
