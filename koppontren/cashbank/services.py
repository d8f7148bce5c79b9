"""Transfers between cash accounts (pemindahbukuan / mutasi kas, RULES-2 §8.2). Pages, API and CLI
call only these.

A transfer moves money from one cash account (Kas Besar, Kas Kecil, Kas Toko, a bank) to another:
one MK entry ``Dr destination / Cr source``; a fee is a third line ``Dr 6109 Beban Administrasi Bank``
and the source gives amount + fee. Money that leaves on one day and arrives on a later one goes
through 1105 Kas dalam Perjalanan: ``Dr 1105 / Cr source`` when it leaves, ``Dr destination / Cr 1105``
when it arrives. The ledger refuses an entry dated in the future, so an arrival after today is posted
later, by :func:`arrive` (the page lists the transfers still in transit).

The lines come from :func:`plan_transfer`, a pure function of the document; the ledger checks the
rest (closed month, the day's cash never below zero, …) and its refusals (LedgerError) propagate
unchanged. Each operation is one unit of work: everything or nothing is stored. Refusals of this
module raise CashBankError with a stable code: ``invalid_account``, ``not_cash_account``,
``same_account``, ``invalid_amount``, ``invalid_date``, ``invalid_description``, ``not_found``,
``not_in_transit``, ``already_arrived``, ``transfer_reversed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.cashbank.models import CashTransfer
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.operations import command
from koppontren.tenancy.models import Cooperative

JOURNAL_TYPE = "MK"
#: the roles a transfer may start or end at; 1105 (cash_transit) is only ever the way between them
END_ROLES = tuple(r for r in chart.CASH_ROLES if r != "cash_transit")
TRANSIT_ROLE = "cash_transit"
FEE_ROLE = "bank_charges"
ACTION_LABELS.update({
    "cash.transfer": _l("Mutasi kas dicatat"),
    "cash.transfer_arrived": _l("Mutasi kas tiba di akun tujuan"),
})


class CashBankError(DomainError):
    """A refused cash transfer (codes in the module's docstring)."""


# --- the lines: a pure function of the document ----------------------------------------------------

@dataclass(frozen=True)
class PlannedEntry:
    """One entry of a transfer: its date, its lines, and whether it is the arrival out of 1105."""

    entry_date: date
    lines: tuple[LineSpec, ...]
    arrival: bool = False


def plan_transfer(*, day: date, source, destination, amount: Decimal, fee: Decimal = Decimal(0),
                  arrival_date: date | None = None, transit=None, fee_account=None) -> list[PlannedEntry]:
    """The entries of a transfer of ``amount`` (and ``fee``, charged to the source) from ``source`` to
    ``destination`` (account codes, ids or Accounts, as LineSpec takes them). Arriving the same day
    (``arrival_date`` None or ``day``): one entry. Arriving later: two, through ``transit`` (1105);
    the fee goes with the money when it leaves. ``fee_account`` is needed only when ``fee`` > 0."""
    if amount <= 0 or fee < 0:
        raise ValueError("amount must be > 0 and fee >= 0")
    later = arrival_date is not None and arrival_date > day
    first_to = transit if later else destination
    lines = [LineSpec(first_to, debit=amount)]
    if fee > 0:
        lines.append(LineSpec(fee_account, debit=fee))
    lines.append(LineSpec(source, credit=amount + fee))
    entries = [PlannedEntry(day, tuple(lines))]
    if later:
        entries.append(PlannedEntry(arrival_date, arrival_lines(destination=destination, transit=transit, amount=amount), arrival=True))
    return entries


def arrival_lines(*, destination, transit, amount: Decimal) -> tuple[LineSpec, ...]:
    """The arrival of money in transit: ``Dr destination / Cr 1105``."""
    return (LineSpec(destination, debit=amount), LineSpec(transit, credit=amount))


# --- checks ------------------------------------------------------------------------------------------

def _error(code: str, message, field: str | None = None, problem=None) -> CashBankError:
    return CashBankError(code, message, {field: problem or message} if field else None)


#: where a sale's money may go (the santri deposit bank holds the santri's money, not the shop's)
SALE_ROLES = ("cash", "petty_cash", "till", "bank")


def cash_account(coop: Cooperative, ref, field: str, *, roles=END_ROLES):
    """A postable, active account of this cooperative whose role is one of ``roles`` (default: the
    cash roles but 1105). ``ref``: a code, an id or an Account. Raises CashBankError
    (``invalid_account`` | ``not_cash_account``) naming ``field``."""
    return _end_account(coop, ref, field, roles)


def _end_account(coop: Cooperative, ref, field: str, roles=END_ROLES):
    """A transfer's source or destination: a postable, active account of this cooperative with a
    cash role other than 1105. ``ref``: a code, an id or an account of the chart."""
    account = None
    if isinstance(ref, str):
        account = chart.account_by_code(coop, ref.strip()[:20]) if ref.strip() else None
    elif isinstance(ref, int) and not isinstance(ref, bool):
        account = accounts_by_id(coop, [ref]).get(ref)
    elif getattr(ref, "cooperative_id", None) == coop.id:
        account = accounts_by_id(coop, [ref.id]).get(ref.id)
    if account is None:
        raise _error("invalid_account", _l("Akun %(code)s tidak ada di koperasi ini.", code=str(getattr(ref, "code", ref) or "")[:20]),
                     field, _l("Tidak dikenal."))
    if not account.postable or not account.active:
        raise _error("invalid_account", _l("Akun %(code)s bukan akun yang bisa diisi (akun kelompok atau nonaktif).", code=account.code),
                     field, _l("Tidak bisa dipakai."))
    if account.role not in roles:
        raise _error("not_cash_account", _l("Akun %(code)s bukan akun kas atau bank.", code=account.code), field,
                     _l("Bukan akun kas/bank."))
    return account


def _amount(coop: Cooperative, value, field: str, *, allow_zero: bool = False) -> Decimal:
    """A Decimal (or int) rupiah amount: finite, > 0 (≥ 0 with ``allow_zero``), no more decimals than
    the cooperative books, at most money.MAX_AMOUNT."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise _error("invalid_amount", _l("Jumlah tidak sah."), field, _l("Tidak sah."))
    amount = Decimal(value)
    if not amount.is_finite():
        raise _error("invalid_amount", _l("Jumlah tidak sah."), field, _l("Tidak sah."))
    if amount < 0 or (amount == 0 and not allow_zero):
        raise _error("invalid_amount", _l("Jumlah harus lebih dari nol."), field, _l("Harus lebih dari nol."))
    if amount != amount.quantize(Decimal(1).scaleb(-coop.currency_decimals)):
        raise _error("invalid_amount", _l("Terlalu banyak angka desimal."), field, _l("Terlalu banyak desimal."))
    if amount > money.MAX_AMOUNT:
        raise _error("invalid_amount", _l("Jumlah terlalu besar."), field, _l("Terlalu besar."))
    return amount


def _date(value, field: str) -> date:
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise _error("invalid_date", _l("Tanggal tidak sah."), field, _l("Tidak sah."))
    return value


@dataclass(frozen=True)
class CheckedTransfer:
    """A transfer request after every check this module makes (the ledger makes the rest when posting)."""

    day: date
    source: object  # ledger Account
    destination: object
    amount: Decimal
    fee: Decimal
    arrival_date: date | None
    description: str
    entries: list[PlannedEntry]

    @property
    def via_transit(self) -> bool:
        return len(self.entries) > 1

    @property
    def arrives_later(self) -> bool:
        """Arrives after today: only the departure is posted now."""
        return self.via_transit and self.entries[1].entry_date > today()


def _collect(problems: list[CashBankError], check):
    try:
        return check()
    except CashBankError as err:
        problems.append(err)
        return None


def check_transfer(coop: Cooperative, *, date, from_account, to_account, amount, description: str | None = None,
                   fee=None, arrival_date=None) -> CheckedTransfer:
    """Check a transfer without writing anything and return what would be posted (the page's
    confirmation step). Every problem is named in the error's ``fields``; the code is the first
    one's. Raises CashBankError, or LedgerError(``unknown_account``) when the chart lacks 1105 or
    the fee account."""
    problems: list[CashBankError] = []
    day = _collect(problems, lambda: _date(date, "date"))
    source = _collect(problems, lambda: _end_account(coop, from_account, "from_account"))
    destination = _collect(problems, lambda: _end_account(coop, to_account, "to_account"))
    value = _collect(problems, lambda: _amount(coop, amount, "amount"))
    charge = _collect(problems, lambda: _amount(coop, Decimal(0) if fee is None or fee == "" else fee, "fee", allow_zero=True))
    arrival = _collect(problems, lambda: _date(arrival_date, "arrival_date")) if arrival_date is not None else None
    if source is not None and destination is not None and source.id == destination.id:
        problems.insert(0, _error("same_account", _l("Akun asal dan akun tujuan harus berbeda."), "to_account",
                                  _l("Sama dengan akun asal.")))
    if day is not None and arrival is not None and arrival < day:
        problems.append(_error("invalid_date", _l("Tanggal tiba tidak boleh sebelum tanggal kirim."), "arrival_date",
                               _l("Sebelum tanggal kirim.")))
    text = " ".join((description or "").split())
    if len(text) > 500:
        problems.append(_error("invalid_description", _l("Keterangan paling banyak 500 karakter."), "description",
                               _l("Terlalu panjang.")))
    if problems:
        fields: dict[str, object] = {}
        for err in problems:
            for key, problem in err.fields.items():
                fields.setdefault(key, problem)
        raise CashBankError(problems[0].code, problems[0].message, fields)
    if not text:
        text = f"Mutasi kas {source.code} {source.name_id} ke {destination.code} {destination.name_id}"[:500]
    later = arrival is not None and arrival > day
    transit = chart.account_for(coop, TRANSIT_ROLE) if later else None
    fee_account = chart.account_for(coop, FEE_ROLE) if charge else None
    entries = plan_transfer(day=day, source=source.code, destination=destination.code, amount=value, fee=charge,
                            arrival_date=arrival, transit=transit.code if transit else None,
                            fee_account=fee_account.code if fee_account else None)
    return CheckedTransfer(day, source, destination, value, charge, arrival if later else None, text, entries)


@command("cash.transfer")
def transfer_cash(coop: Cooperative, *, date, from_account, to_account, amount, description: str | None = None, fee=None,
                  arrival_date=None, actor=None, idempotency_key: str | None = None) -> CashTransfer:
    """Move ``amount`` (Decimal rupiah) from one cash account to another (codes, ids or Accounts) and
    return the transfer. With ``arrival_date`` after ``date`` the money goes through 1105; an arrival
    after today is left for :func:`arrive`. ``idempotency_key``: the same request again returns the
    first transfer (``was_replayed`` True) and posts nothing; the same key with another request is
    ``idempotency_conflict``. Raises CashBankError (see the module), or the ledger's LedgerError
    (``period_closed``, ``insufficient_funds``, …) unchanged; nothing is written then."""
    checked = check_transfer(coop, date=date, from_account=from_account, to_account=to_account, amount=amount,
                             description=description, fee=fee, arrival_date=arrival_date)
    departure = checked.entries[0]
    entry = post_entry(coop, entry_date=departure.entry_date, description=checked.description, lines=list(departure.lines),
                       journal_type=JOURNAL_TYPE, source="cashbank", actor=actor)
    transfer = CashTransfer(
        cooperative_id=coop.id, number=entry.number, transfer_date=checked.day, from_account_id=checked.source.id,
        to_account_id=checked.destination.id, amount=money.to_sen(checked.amount), fee=money.to_sen(checked.fee),
        description=checked.description, via_transit=checked.via_transit, expected_on=checked.arrival_date,
        entry_id=entry.id, created_by_id=getattr(actor, "id", None),
    )
    db.session.add(transfer)
    db.session.flush()
    if checked.via_transit and not checked.arrives_later:
        _post_arrival(coop, transfer, checked.entries[1].entry_date, actor=actor)
    record("cash.transfer", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=transfer.number,
           source=checked.source.code, destination=checked.destination.code, amount=str(checked.amount),
           fee=str(checked.fee), in_transit=transfer.in_transit)
    return transfer


def _post_arrival(coop: Cooperative, transfer: CashTransfer, day: date, *, actor) -> None:
    transit = chart.account_for(coop, TRANSIT_ROLE)
    lines = arrival_lines(destination=transfer.to_account_id, transit=transit.id, amount=money.from_sen(transfer.amount))
    entry = post_entry(coop, entry_date=day, description=f"Tiba: {transfer.description}"[:500], lines=list(lines),
                       journal_type=JOURNAL_TYPE, reference=transfer.number, source="cashbank", actor=actor)
    transfer.arrival_entry_id = entry.id
    transfer.arrival_number = entry.number
    transfer.arrived_on = day
    db.session.flush()


@command("cash.arrive")
def arrive(coop: Cooperative, number: str, *, date, actor=None, idempotency_key: str | None = None) -> CashTransfer:
    """Post the arrival of a transfer in transit on ``date``: ``Dr destination / Cr 1105``. The same
    ``idempotency_key`` again returns the transfer (``was_replayed``). Raises CashBankError
    (``not_found``, ``not_in_transit``, ``already_arrived``, ``transfer_reversed``, ``invalid_date``)
    or the ledger's LedgerError; nothing is written then."""
    day = _date(date, "date")
    transfer = db.session.scalar(select(CashTransfer).where(CashTransfer.cooperative_id == coop.id,
                                                            CashTransfer.number == str(number)).with_for_update())
    if transfer is None:
        raise _error("not_found", _l("Mutasi kas %(n)s tidak ada.", n=str(number)[:30]))
    if not transfer.via_transit:
        raise _error("not_in_transit", _l("Mutasi kas %(n)s tidak melalui kas dalam perjalanan.", n=transfer.number))
    if transfer.arrival_entry_id is not None:
        raise _error("already_arrived", _l("Mutasi kas %(n)s sudah tiba pada %(d)s (%(a)s).", n=transfer.number,
                                           d=transfer.arrived_on.strftime("%d/%m/%Y"), a=transfer.arrival_number))
    if queries.reversed_entry_ids(coop, [transfer.entry_id]):
        raise _error("transfer_reversed", _l("Jurnal %(n)s sudah dibalik; mutasi ini tidak bisa diterima lagi.", n=transfer.number))
    if day < transfer.transfer_date:
        raise _error("invalid_date", _l("Tanggal tiba tidak boleh sebelum tanggal kirim (%(d)s).",
                                        d=transfer.transfer_date.strftime("%d/%m/%Y")), "date", _l("Sebelum tanggal kirim."))
    _post_arrival(coop, transfer, day, actor=actor)
    record("cash.transfer_arrived", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=transfer.number,
           arrival=transfer.arrival_number)
    return transfer


# --- reading -----------------------------------------------------------------------------------------

def get_transfer(coop: Cooperative, number: str) -> CashTransfer | None:
    return db.session.scalar(select(CashTransfer).where(CashTransfer.cooperative_id == coop.id, CashTransfer.number == str(number)))


def list_transfers(coop: Cooperative, page: int = 1, per_page: int = 50, *, in_transit_only: bool = False) -> tuple[list[CashTransfer], int]:
    """Transfers, newest first, one page, and how many there are."""
    where = [CashTransfer.cooperative_id == coop.id]
    if in_transit_only:
        where += [CashTransfer.via_transit.is_(True), CashTransfer.arrival_entry_id.is_(None)]
    total = db.session.scalar(select(func.count()).select_from(CashTransfer).where(*where)) or 0
    rows = db.session.scalars(select(CashTransfer).where(*where).order_by(CashTransfer.transfer_date.desc(), CashTransfer.id.desc())
                              .offset((max(page, 1) - 1) * per_page).limit(per_page))
    return list(rows), int(total)


def open_transfers(coop: Cooperative) -> list[CashTransfer]:
    """The transfers still in transit (their money in 1105), oldest first."""
    return list(db.session.scalars(select(CashTransfer).where(
        CashTransfer.cooperative_id == coop.id, CashTransfer.via_transit.is_(True), CashTransfer.arrival_entry_id.is_(None))
        .order_by(CashTransfer.transfer_date, CashTransfer.id)))


def reversed_transfers(coop: Cooperative, transfers: list[CashTransfer]) -> set[int]:
    """The ids of the transfers one of whose entries has been reversed."""
    entry_ids = [i for t in transfers for i in (t.entry_id, t.arrival_entry_id) if i is not None]
    gone = queries.reversed_entry_ids(coop, entry_ids)
    return {t.id for t in transfers if t.entry_id in gone or t.arrival_entry_id in gone}


@dataclass(frozen=True)
class CashAccount:
    """A cash account a transfer may use, with its balance today (sen)."""

    account: object  # ledger Account
    balance: int


def end_accounts(coop: Cooperative, as_of: date | None = None) -> list[CashAccount]:
    """The accounts a transfer may start or end at (active, postable, a cash role but 1105), with balances."""
    accounts = chart.cash_accounts(coop, roles=END_ROLES)
    totals = queries.account_totals(coop, as_of or today())
    return [CashAccount(a, totals.get(a.id, (0, 0))[0] - totals.get(a.id, (0, 0))[1]) for a in accounts]


def accounts_by_id(coop: Cooperative, ids) -> dict:
    """id -> the cooperative's account, for these ids (others' ids are left out)."""
    ids = {i for i in ids if i is not None}
    return {a.id: a for a in chart.accounts(coop) if a.id in ids} if ids else {}
