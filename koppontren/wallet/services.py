"""Santri wallet services (issue 9): wallet holders and their wali, cards, top-ups and refunds
(single and from a bank statement, all-or-nothing), the transactions of a wallet, spending and
limits, settings. Pages, API and CLI call only these (and the names re-exported here from
``limits``, ``cards`` and ``reconcile``).

Money: a top-up is ``Dr 1112 Bank – Dana Titipan Santri`` (bank) or ``Dr Kas`` (cash, in transit to
1112 until deposited) ``/ Cr 2113 Dana Titipan Santri``; a refund the mirror. The wallet alone
posts lines on 2113 (``internal_subledgers={"santri"}``) and keeps its subledger: the santri's
``balance`` and one WalletTransaction per movement, in the same unit of work as the entry.
Each operation is a command (``koppontren.operations``): one unit of work that locks the santri's
row (PostgreSQL ``FOR UPDATE``; SQLite writers are serialised by ``BEGIN IMMEDIATE``), checks,
computes the journal lines (``wallet.postings``), posts them, moves the balance with a conditional
UPDATE, and commits once. A repeated request (the same ``idempotency_key``) returns the first
result through the one table of operation keys; the same key with other content is refused.
Refusals raise WalletError and write nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.auth import services as auth
from koppontren.auth.models import Role
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.ledger import chart
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.posting import post_entry
from koppontren.members import services as members
from koppontren.operations import command
from koppontren.tenancy.models import Cooperative
from koppontren.wallet import cards as _cards
from koppontren.wallet import limits as _limits
from koppontren.wallet import postings as wallet_postings
from koppontren.wallet import reconcile as _reconcile
from koppontren.wallet.errors import BulkRefusedError, WalletError
from koppontren.wallet.models import TX_SIGN, Santri, SantriWali, WalletTransaction

# --- re-exports: wallet-web calls services.* only ---------------------------------------------------
Limits = _limits.Limits
Settings = _limits.Settings
Spending = _limits.Spending
get_settings = _limits.get_settings
update_settings = _limits.update_settings
effective_limits = _limits.effective_limits
base_limits = _limits.base_limits
format_amount = _limits.format_amount
new_token = _cards.new_token
find_by_token = _cards.find_by_token
active_card = _cards.active_card
active_cards = _cards.active_cards
cards_of = _cards.cards_of
issue_card = _cards.issue_card
issue_cards = _cards.issue_cards
reissue_card = _cards.reissue_card
reissue_cards = _cards.reissue_cards
block_card = _cards.block_card
Reconciliation = _reconcile.Reconciliation
CashierDay = _reconcile.CashierDay
reconciliation = _reconcile.reconciliation
record_in_transit = _reconcile.record_in_transit
clear_in_transit = _reconcile.clear_in_transit
in_transit_items = _reconcile.in_transit_items
daily_report = _reconcile.daily_report

__all__ = ["BulkRefusedError", "WalletError"]

METHODS = ("cash", "bank")
METHOD_LABELS = {"cash": _l("Tunai"), "bank": _l("Transfer bank"), "wallet": _l("Dompet")}
KIND_LABELS = {"topup": _l("Isi saldo"), "refund": _l("Penarikan saldo"), "purchase": _l("Belanja"), "return": _l("Retur belanja")}
NIS_MAX = 30
NIS_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,29}")  # what the API's /wallets/{nis} path takes
MAX_BULK_ROWS = 5000
ACTION_LABELS.update({
    "wallet.santri": _l("Data santri disimpan"),
    "wallet.wali_linked": _l("Wali santri dihubungkan"),
    "wallet.wali_unlinked": _l("Wali santri dilepas"),
    "wallet.topup": _l("Isi saldo dompet santri"),
    "wallet.refund": _l("Penarikan saldo dompet santri"),
    "wallet.bulk_topup": _l("Isi saldo massal dari mutasi bank"),
    "wallet.limits": _l("Batas belanja santri diubah"),
    "wallet.wali_limits": _l("Batas belanja diubah oleh wali"),
})


# --- santri -------------------------------------------------------------------------------------------

@dataclass
class SantriData:
    """What a person types for a santri. ``member_number`` links the santri to a member (or "")."""

    nis: str
    name: str
    kelas: str | None = None
    asrama: str | None = None
    member_number: str | None = None
    active: bool = True


def _clean_santri(coop: Cooperative, data: SantriData, existing: Santri | None = None) -> dict:
    own_id = existing.id if existing else -1
    nis, name, problems = _nis_and_name(data)
    member_id, problem = _linked_member(coop, (data.member_number or "").strip(), own_id)
    if problem is not None:
        problems["member_number"] = problem
    duplicate = "nis" not in problems and _nis_taken(coop, nis, own_id)
    if duplicate:
        problems["nis"] = _l("NIS %(n)s sudah dipakai.", n=nis)
    if problems:
        code = "duplicate_nis" if duplicate and set(problems) == {"nis"} else "invalid_field"
        raise WalletError(code, next(iter(problems.values())), problems)
    return {"nis": nis, "name": name, "kelas": " ".join((data.kelas or "").split())[:40] or None,
            "asrama": " ".join((data.asrama or "").split())[:60] or None, "member_id": member_id, "active": bool(data.active)}


def _nis_and_name(data: SantriData) -> tuple[str, str, dict[str, object]]:
    """The NIS and name without stray spaces, and their problems."""
    problems: dict[str, object] = {}
    nis = "".join((data.nis or "").split())
    if not NIS_RE.fullmatch(nis):
        problems["nis"] = _l("NIS wajib diisi: huruf, angka, titik atau tanda hubung (paling banyak %(n)s).", n=NIS_MAX)
    name = " ".join((data.name or "").split())
    if not name or len(name) > 200:
        problems["name"] = _l("Nama wajib diisi (paling banyak 200 karakter).")
    return nis, name, problems


def _linked_member(coop: Cooperative, number: str, own_id: int):
    """(the member id a santri links to, or None; the problem with ``number``, or None): the member
    exists and is not linked to another santri."""
    if not number:
        return None, None
    member = members.get_by_number(coop, number)
    if member is None:
        return None, _l("Anggota %(n)s tidak ada.", n=number)
    taken = db.session.scalar(select(Santri.nis).where(Santri.cooperative_id == coop.id, Santri.member_id == member.id,
                                                       Santri.id != own_id))
    if taken is not None:
        return member.id, _l("Anggota %(n)s sudah terhubung ke santri %(s)s.", n=number, s=taken)
    return member.id, None


def _nis_taken(coop: Cooperative, nis: str, own_id: int) -> bool:
    return db.session.scalar(select(Santri.id).where(Santri.cooperative_id == coop.id, Santri.nis == nis, Santri.id != own_id)) is not None


@command("wallet.create_santri")
def create_santri(coop: Cooperative, data: SantriData, *, actor=None) -> Santri:
    """A new wallet holder (balance 0, no card yet). Raises WalletError(``invalid_field`` | ``duplicate_nis``)."""
    values = _clean_santri(coop, data)
    santri = Santri(cooperative_id=coop.id, balance=0, **values)
    db.session.add(santri)
    db.session.flush()
    record("wallet.santri", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=santri.nis, created=True)
    return santri


@command("wallet.update_santri")
def update_santri(coop: Cooperative, santri: Santri | int, data: SantriData, *, actor=None) -> Santri:
    """Change a santri's details. Closing a wallet (``active=False``) needs a zero balance (refund
    it first: ``not_empty``); a closed wallet's card stops paying."""
    locked = lock_santri(coop, santri)
    values = _clean_santri(coop, data, existing=locked)
    if not values["active"] and locked.balance > 0:
        raise WalletError("not_empty", _l("Saldo %(n)s masih %(b)s; kembalikan dulu sebelum dompet ditutup.", n=locked.name,
                                          b=format_amount(coop, locked.balance)), {"active": _l("Saldo belum nol.")})
    for key, value in values.items():
        setattr(locked, key, value)
    record("wallet.santri", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=locked.nis)
    return locked


@command("wallet.import_santri")
def import_santri(coop: Cooperative, rows: list[SantriData], *, actor=None) -> list[Santri]:
    """Create many santri at once, all or nothing (the CSV/XLSX import). Raises BulkRefusedError
    whose ``problems`` (BulkProblem: row counted from 1, nis, problem) names every bad row."""
    problems: list[BulkProblem] = []
    created: list[Santri] = []
    seen: set[str] = set()
    for n, data in enumerate(rows, start=1):
        nis = "".join((data.nis or "").split())
        if nis in seen:
            problems.append(BulkProblem(n, nis, str(_l("NIS %(n)s dua kali di berkas.", n=nis))))
            continue
        seen.add(nis)
        try:
            values = _clean_santri(coop, data)
        except WalletError as err:
            problems.append(BulkProblem(n, nis, "; ".join(str(v) for v in err.fields.values()) or str(err.message)))
            continue
        santri = Santri(cooperative_id=coop.id, balance=0, **values)
        db.session.add(santri)
        created.append(santri)
    if problems:
        raise BulkRefusedError(_l("Impor ditolak: %(n)s baris bermasalah. Tidak ada yang disimpan.", n=len(problems)), problems)
    if not created:
        raise WalletError("invalid_field", _l("Berkas tidak berisi santri."), {"file": _l("Kosong.")})
    db.session.flush()
    record("wallet.santri", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), imported=len(created))
    return created


def get_santri(coop: Cooperative, santri_id: int) -> Santri | None:
    if isinstance(santri_id, bool) or not isinstance(santri_id, int):
        return None
    return db.session.scalar(select(Santri).where(Santri.cooperative_id == coop.id, Santri.id == santri_id))


def get_by_nis(coop: Cooperative, nis: str) -> Santri | None:
    nis = "".join((nis or "").split()) if isinstance(nis, str) else ""
    if not nis:
        return None
    return db.session.scalar(select(Santri).where(Santri.cooperative_id == coop.id, Santri.nis == nis))


def santri_by_ids(coop: Cooperative, ids) -> dict[int, Santri]:
    ids = list(ids)
    if not ids:
        return {}
    return {s.id: s for s in db.session.scalars(select(Santri).where(Santri.cooperative_id == coop.id, Santri.id.in_(ids)))}


def lock_santri(coop: Cooperative, santri: Santri | int) -> Santri:
    """The santri's row, locked for this transaction. Raises WalletError(``not_found``)."""
    santri_id = santri if isinstance(santri, int) else santri.id
    locked = None
    if not isinstance(santri_id, bool) and isinstance(santri_id, int):
        locked = db.session.scalar(select(Santri).where(Santri.cooperative_id == coop.id, Santri.id == santri_id)
                                   .with_for_update().execution_options(populate_existing=True))
    if locked is None:
        raise WalletError("not_found", _l("Santri tidak ditemukan."))
    return locked


def list_santri(coop: Cooperative, *, text: str | None = None, active: bool | None = None, kelas: str | None = None,
                asrama: str | None = None, page: int = 1, per_page: int = 50) -> tuple[list[Santri], int]:
    """Santri filtered by name/NIS text, active, class and dormitory; by name; (page, total)."""
    stmt = select(Santri).where(Santri.cooperative_id == coop.id)
    if active is not None:
        stmt = stmt.where(Santri.active.is_(bool(active)))
    if kelas:
        stmt = stmt.where(Santri.kelas == kelas)
    if asrama:
        stmt = stmt.where(Santri.asrama == asrama)
    if text and text.strip():
        needle = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{needle}%"
        stmt = stmt.where(or_(func.lower(Santri.name).like(like, escape="\\"), func.lower(Santri.nis).like(like, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    per_page = max(1, min(int(per_page), 500))
    rows = list(db.session.scalars(stmt.order_by(Santri.name, Santri.id).limit(per_page).offset((max(int(page), 1) - 1) * per_page)))
    return rows, int(total)


def member_of(coop: Cooperative, santri: Santri):
    """The santri's member when linked and still active (their purchases are member sales), else None."""
    if santri.member_id is None:
        return None
    member = members.get_member(coop, santri.member_id)
    return member if member is not None and member.status == "aktif" else None


# --- wali ------------------------------------------------------------------------------------------

def walis_of(coop: Cooperative, santri: Santri | int) -> list:
    """The wali users of a santri, by name."""
    santri_id = santri if isinstance(santri, int) else santri.id
    ids = db.session.scalars(select(SantriWali.user_id).where(SantriWali.cooperative_id == coop.id, SantriWali.santri_id == santri_id)).all()
    users = [auth.user_by_id(i) for i in ids]
    return sorted((u for u in users if u is not None), key=lambda u: (u.name, u.id))


def santri_of_wali(coop: Cooperative, user) -> list[Santri]:
    """The santri a wali may see (their own), by name."""
    user_id = getattr(user, "id", user)
    return list(db.session.scalars(
        select(Santri).join(SantriWali, (SantriWali.cooperative_id == Santri.cooperative_id) & (SantriWali.santri_id == Santri.id))
        .where(Santri.cooperative_id == coop.id, SantriWali.user_id == user_id).order_by(Santri.name, Santri.id)))


def is_wali_of(coop: Cooperative, user, santri: Santri | int) -> bool:
    user_id = getattr(user, "id", user)
    santri_id = santri if isinstance(santri, int) else santri.id
    return db.session.scalar(select(SantriWali.id).where(SantriWali.cooperative_id == coop.id, SantriWali.santri_id == santri_id,
                                                         SantriWali.user_id == user_id)) is not None


@command("wallet.link_wali")
def link_wali(coop: Cooperative, santri: Santri | int, user, *, actor=None) -> SantriWali:
    """Make ``user`` a wali of the santri, granting them the ``wali`` role in the cooperative if they
    do not have it. Raises WalletError(``not_found`` | ``already_linked``)."""
    locked = lock_santri(coop, santri)
    if is_wali_of(coop, user, locked):
        raise WalletError("already_linked", _l("%(u)s sudah menjadi wali %(n)s.", u=user.name, n=locked.name), {"user": _l("Sudah.")})
    if Role.WALI not in auth.roles_of(user, coop):
        auth.grant_role(coop, user, Role.WALI, actor=actor)
    link = SantriWali(cooperative_id=coop.id, santri_id=locked.id, user_id=user.id)
    db.session.add(link)
    db.session.flush()
    record("wallet.wali_linked", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=locked.nis, login=user.login)
    return link


@command("wallet.create_wali")
def create_wali(coop: Cooperative, santri: Santri | int, *, login: str, name: str, actor=None) -> tuple[object, str]:
    """A new wali account (role ``wali``) linked to the santri, with a one-time password the wali
    must change at the first login; returns (user, password). Raises WalletError(``invalid_login`` |
    ``login_taken`` | ``not_found``)."""
    locked = lock_santri(coop, santri)
    password = auth.one_time_password()
    try:
        user = auth.create_user(login, name, password, locale="id", must_change_password=True, actor=actor)
        auth.grant_role(coop, user, Role.WALI, actor=actor)
    except auth.AuthError as err:
        raise WalletError(err.code, err.message, err.fields) from None
    db.session.add(SantriWali(cooperative_id=coop.id, santri_id=locked.id, user_id=user.id))
    db.session.flush()
    record("wallet.wali_linked", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=locked.nis, login=user.login)
    return user, password


@command("wallet.unlink_wali")
def unlink_wali(coop: Cooperative, santri: Santri | int, user, *, actor=None) -> None:
    """The user is no longer the santri's wali (their role stays: other santri, or the admin takes it)."""
    locked = lock_santri(coop, santri)
    removed = db.session.execute(delete(SantriWali).where(
        SantriWali.cooperative_id == coop.id, SantriWali.santri_id == locked.id, SantriWali.user_id == user.id)).rowcount
    if not removed:
        raise WalletError("not_found", _l("%(u)s bukan wali %(n)s.", u=user.name, n=locked.name))
    record("wallet.wali_unlinked", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=locked.nis, login=user.login)


# --- money: top-ups and refunds --------------------------------------------------------------------

def _amount_sen(coop: Cooperative, amount, field_name: str = "amount") -> int:
    if isinstance(amount, float | bool) or not isinstance(amount, Decimal | int):
        raise WalletError("invalid_amount", _l("Jumlah tidak sah."), {field_name: _l("Tidak sah.")})
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0:
        raise WalletError("invalid_amount", _l("Jumlah harus lebih dari nol."), {field_name: _l("Harus lebih dari nol.")})
    if amount > money.MAX_AMOUNT:
        raise WalletError("amount_too_large", _l("Jumlah terlalu besar."), {field_name: _l("Terlalu besar.")})
    if amount != amount.quantize(Decimal(1).scaleb(-coop.currency_decimals)):
        raise WalletError("invalid_amount", _l("Jumlah tidak sah."), {field_name: _l("Tidak sah.")})
    return money.to_sen(amount)


def _day(day: date | None) -> date:
    day = day or today()
    if not isinstance(day, date):
        raise WalletError("invalid_date", _l("Tanggal tidak sah."), {"date": _l("Tidak sah.")})
    if day > today():
        raise WalletError("future_date", _l("Tanggal tidak boleh setelah hari ini."), {"date": _l("Tidak sah.")})
    return day


def _method(method: str) -> str:
    if method not in METHODS:
        raise WalletError("invalid_method", _l("Cara: tunai atau transfer bank."), {"method": _l("Tidak sah.")})
    return method


def _reference(reference: str | None) -> str | None:
    return " ".join((reference or "").split())[:100] or None


def method_account(coop: Cooperative, method: str):
    """The account a top-up comes into and a refund goes out of: cash (in transit to 1112 until the
    treasurer deposits it) or bank 1112 itself."""
    return chart.account_for(coop, "cash" if method == "cash" else "bank_santri")


def post(coop: Cooperative, *, journal_type: str, **kw):
    """post_entry for the wallet, joining the caller's unit of work (lines on 2113 allowed); a ledger
    refusal becomes a WalletError."""
    try:
        return post_entry(coop, source="wallet", internal_subledgers=frozenset({"santri"}), journal_type=journal_type, **kw)
    except LedgerError as err:
        raise WalletError(err.code, err.message, err.fields) from None


def move_balance(coop: Cooperative, santri: Santri, delta: int) -> int:
    """Add ``delta`` sen to the (locked) santri's balance with a conditional UPDATE that can never
    take it below zero; returns the new balance. Raises WalletError(``insufficient_balance``)."""
    stmt = (update(Santri).where(Santri.cooperative_id == coop.id, Santri.id == santri.id)
            .values(balance=Santri.balance + delta).returning(Santri.balance))
    if delta < 0:
        stmt = stmt.where(Santri.balance >= -delta)
    new = db.session.execute(stmt.execution_options(synchronize_session=False)).scalar()
    if new is None:
        raise WalletError("insufficient_balance", _l("Saldo dompet %(n)s tidak cukup.", n=santri.name), {"amount": _l("Saldo tidak cukup.")})
    db.session.expire(santri, ["balance"])
    return int(new)


def add_transaction(coop: Cooperative, santri: Santri, *, kind: str, amount: int, day: date, method: str, entry, actor=None,
                    reference: str | None = None, sale_id: int | None = None, limited: int = 0, limit_day: date | None = None,
                    place: str | None = None) -> WalletTransaction:
    """Move the balance and write the transaction of one movement (the entry is posted), in the caller's unit of work."""
    balance = move_balance(coop, santri, TX_SIGN[kind] * amount)
    tx = WalletTransaction(cooperative_id=coop.id, santri_id=santri.id, kind=kind, amount=amount, balance_after=balance, day=day,
                           limit_day=limit_day or day, method=method, reference=reference, entry_id=entry.id, voucher=entry.number,
                           sale_id=sale_id, user_id=getattr(actor, "id", None), limited_amount=limited, place=place)
    db.session.add(tx)
    return tx


@command("wallet.topup")
def topup(coop: Cooperative, santri: Santri | int, *, amount: Decimal, method: str, day: date | None = None,
          reference: str | None = None, actor=None, idempotency_key: str | None = None) -> WalletTransaction:
    """Money in for a santri from their wali: ``Dr 1112`` (bank) or ``Dr Kas`` (cash) ``/ Cr 2113``.
    The same ``idempotency_key`` again returns the first transaction; with another amount, method,
    date or reference it is refused (OperationConflict, ``idempotency_conflict``). Raises WalletError
    (``invalid_amount`` | ``invalid_method`` | ``invalid_date`` | ``not_active`` | ``not_found`` | ledger codes)."""
    locked = lock_santri(coop, santri)
    if not locked.active:
        raise WalletError("not_active", _l("Dompet %(n)s sudah ditutup.", n=locked.name))
    sen = _amount_sen(coop, amount)
    m = _method(method)
    entry_day = _day(day)
    ref = _reference(reference)
    description = f"Isi saldo dompet santri {locked.nis} {locked.name}" + (f" ({ref})" if ref else "")
    entry = post(coop, journal_type="KM", entry_date=entry_day, description=description[:500], actor=actor, reference=ref,
                 lines=wallet_postings.topup_lines(amount_sen=sen, memo=wallet_postings.santri_memo(locked.nis, locked.name)[:200],
                                                   method_account=method_account(coop, m),
                                                   wallet_account=chart.account_for(coop, "santri_wallet")))
    tx = add_transaction(coop, locked, kind="topup", amount=sen, day=entry_day, method=m, entry=entry, actor=actor, reference=ref)
    record("wallet.topup", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=locked.nis, method=m,
           amount=str(money.from_sen(sen)), number=entry.number)
    return tx


@command("wallet.refund")
def refund(coop: Cooperative, santri: Santri | int, *, amount: Decimal, method: str, day: date | None = None,
           reference: str | None = None, actor=None, idempotency_key: str | None = None) -> WalletTransaction:
    """Money back out of a wallet (the santri goes home, the wallet closes): ``Dr 2113 / Cr Kas`` or
    ``Cr 1112``, never below zero. Allowed on a closed wallet. Raises WalletError
    (``insufficient_balance`` | ``invalid_amount`` | ``invalid_method`` | ``invalid_date`` | …)."""
    locked = lock_santri(coop, santri)
    sen = _amount_sen(coop, amount)
    m = _method(method)
    entry_day = _day(day)
    ref = _reference(reference)
    if sen > locked.balance:
        raise WalletError("insufficient_balance", _l("Saldo dompet %(n)s hanya %(b)s; penarikan %(a)s ditolak.", n=locked.name,
                                                     b=format_amount(coop, locked.balance), a=format_amount(coop, sen)),
                          {"amount": _l("Melebihi saldo %(b)s.", b=format_amount(coop, locked.balance))})
    description = f"Penarikan saldo dompet santri {locked.nis} {locked.name}" + (f" ({ref})" if ref else "")
    entry = post(coop, journal_type="KK", entry_date=entry_day, description=description[:500], actor=actor, reference=ref,
                 lines=wallet_postings.refund_lines(amount_sen=sen, memo=wallet_postings.santri_memo(locked.nis, locked.name)[:200],
                                                    method_account=method_account(coop, m),
                                                    wallet_account=chart.account_for(coop, "santri_wallet")))
    tx = add_transaction(coop, locked, kind="refund", amount=sen, day=entry_day, method=m, entry=entry, actor=actor, reference=ref)
    record("wallet.refund", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=locked.nis, method=m,
           amount=str(money.from_sen(sen)), number=entry.number)
    return tx


@dataclass(frozen=True)
class TopupRow:
    """One line of a bank statement (or a typed bulk list): ``row`` counts from 1 for the problems."""

    row: int
    nis: str
    amount: Decimal | None
    day: date | None = None
    reference: str | None = None
    method: str = "bank"


@dataclass(frozen=True)
class BulkProblem:
    row: int
    nis: str
    problem: str


@command("wallet.bulk_topups")
def bulk_topups(coop: Cooperative, rows: list[TopupRow], *, actor=None, idempotency_key: str | None = None) -> list[WalletTransaction]:
    """Top up many wallets at once (a bank statement file), all or nothing: one entry per date and
    method (``Dr 1112`` total ``/ Cr 2113`` one line per row), one transaction per row. A bank row
    whose reference was already recorded as a top-up is refused (the same statement imported twice).
    Raises BulkRefusedError naming every bad row; nothing is stored then."""
    return _bulk_topups(coop, rows, actor=actor)


@dataclass(frozen=True)
class _PlannedTopup:
    """A bulk row that passed its checks: the santri, sen, method, date and bank reference."""

    santri: Santri
    amount_sen: int
    method: str
    day: date
    reference: str | None


def _bulk_topups(coop: Cooperative, rows: list[TopupRow], *, actor) -> list[WalletTransaction]:
    if not rows:
        raise WalletError("invalid_field", _l("Tidak ada baris isi saldo."), {"rows": _l("Kosong.")})
    if len(rows) > MAX_BULK_ROWS:
        raise WalletError("invalid_field", _l("Paling banyak %(n)s baris sekaligus.", n=MAX_BULK_ROWS), {"rows": _l("Terlalu banyak.")})
    plan = _bulk_plan(coop, rows)
    locked = {s.id: lock_santri(coop, s.id) for s in sorted({p.santri.id: p.santri for p in plan}.values(), key=lambda s: s.id)}
    groups: dict[tuple[date, str], list[_PlannedTopup]] = {}
    for item in plan:
        groups.setdefault((item.day, item.method), []).append(item)
    wallet_account = chart.account_for(coop, "santri_wallet")
    txs: list[WalletTransaction] = []
    for (entry_day, m), items in sorted(groups.items()):
        lines = wallet_postings.bulk_topup_lines(
            [wallet_postings.TopupItem(i.amount_sen, wallet_postings.santri_memo(i.santri.nis, i.santri.name, i.reference)) for i in items],
            method_account=method_account(coop, m), wallet_account=wallet_account)
        entry = post(coop, journal_type="KM", entry_date=entry_day, actor=actor, lines=lines,
                     description=f"Isi saldo dompet santri dari mutasi {'bank' if m == 'bank' else 'tunai'} ({len(items)} baris)")
        txs += [add_transaction(coop, locked[i.santri.id], kind="topup", amount=i.amount_sen, day=entry_day, method=m, entry=entry,
                                actor=actor, reference=i.reference) for i in items]
    record("wallet.bulk_topup", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), rows=len(plan),
           amount=str(money.from_sen(sum(p.amount_sen for p in plan))))
    return txs


def _bulk_plan(coop: Cooperative, rows: list[TopupRow]) -> list[_PlannedTopup]:
    """Every row checked; raises BulkRefusedError naming each bad one."""
    wanted = {"".join((r.nis or "").split()) for r in rows}
    by_nis = {s.nis: s for s in db.session.scalars(select(Santri).where(Santri.cooperative_id == coop.id, Santri.nis.in_(wanted)))}
    refs = [ref for r in rows if r.method == "bank" and (ref := _reference(r.reference))]
    taken = set(db.session.scalars(select(WalletTransaction.reference).where(
        WalletTransaction.cooperative_id == coop.id, WalletTransaction.kind == "topup", WalletTransaction.method == "bank",
        WalletTransaction.reference.in_(refs)))) if refs else set()
    problems: list[BulkProblem] = []
    plan: list[_PlannedTopup] = []
    for r in rows:
        nis = "".join((r.nis or "").split())
        try:
            item = _planned_topup(coop, r, by_nis.get(nis), nis, taken)
        except WalletError as err:
            problems.append(BulkProblem(r.row, nis, str(err.message)))
            continue
        if item.reference:
            taken.add(item.reference)
        plan.append(item)
    if problems:
        raise BulkRefusedError(_l("Isi saldo massal ditolak: %(n)s baris bermasalah. Tidak ada yang disimpan.", n=len(problems)), problems)
    return plan


def _planned_topup(coop: Cooperative, row: TopupRow, santri: Santri | None, nis: str, taken_references: set[str]) -> _PlannedTopup:
    """One bulk row checked: a known, open wallet, a valid amount, method and date, and a bank
    reference not recorded before (in the books or earlier in the file)."""
    if santri is None:
        raise WalletError("not_found", _l("NIS %(n)s tidak dikenal.", n=nis or "-"))
    if not santri.active:
        raise WalletError("not_active", _l("Dompet %(n)s sudah ditutup.", n=santri.name))
    sen = _amount_sen(coop, row.amount)
    m = _method(row.method)
    entry_day = _day(row.day)
    ref = _reference(row.reference)
    if m == "bank" and ref and ref in taken_references:
        raise WalletError("duplicate_reference", _l("Referensi %(r)s sudah dicatat.", r=ref))
    return _PlannedTopup(santri, sen, m, entry_day, ref)


# --- reading ---------------------------------------------------------------------------------------

def transactions(coop: Cooperative, santri: Santri | int, *, page: int = 1, per_page: int = 50, kinds=None,
                 date_from: date | None = None, date_to: date | None = None) -> tuple[list[WalletTransaction], int]:
    """A wallet's transactions, newest first; (page, total)."""
    santri_id = santri if isinstance(santri, int) else santri.id
    stmt = select(WalletTransaction).where(WalletTransaction.cooperative_id == coop.id, WalletTransaction.santri_id == santri_id)
    if kinds:
        stmt = stmt.where(WalletTransaction.kind.in_(list(kinds)))
    if date_from:
        stmt = stmt.where(WalletTransaction.day >= date_from)
    if date_to:
        stmt = stmt.where(WalletTransaction.day <= date_to)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    per_page = max(1, min(int(per_page), 500))
    rows = list(db.session.scalars(stmt.order_by(WalletTransaction.id.desc()).limit(per_page).offset((max(int(page), 1) - 1) * per_page)))
    return rows, int(total)


@dataclass(frozen=True)
class ItemLine:
    """One product of a wallet purchase or return, for the wali portal."""

    name: str
    qty: int
    unit_price: int
    total: int
    category: str | None


def purchase_items(coop: Cooperative, txs) -> dict[int, list[ItemLine]]:
    """transaction id -> the items of its sale (purchases and returns), in two queries."""
    from koppontren.shop import purchasing
    from koppontren.shop import services as shop

    out: dict[int, list[ItemLine]] = {}
    with_sale = [t for t in txs if t.sale_id is not None]
    if not with_sale:
        return out
    lines_by_sale = shop.sale_lines_of_many(coop, {t.sale_id for t in with_sale})
    products = purchasing.products_by_id(coop, {ln.product_id for lines in lines_by_sale.values() for ln in lines})
    for t in with_sale:
        out[t.id] = [ItemLine(products[ln.product_id].name if ln.product_id in products else "?", ln.qty, ln.unit_price, ln.total,
                              products[ln.product_id].category if ln.product_id in products else None)
                     for ln in lines_by_sale.get(t.sale_id, [])]
    return out


def transaction_of_sale(coop: Cooperative, sale_id: int) -> WalletTransaction | None:
    """The wallet transaction (purchase or return) that paid a shop Sale, if it was paid by wallet."""
    return db.session.scalars(select(WalletTransaction).where(WalletTransaction.cooperative_id == coop.id,
                                                              WalletTransaction.sale_id == sale_id).order_by(WalletTransaction.id)).first()


def spending(coop: Cooperative, santri: Santri, day: date | None = None) -> Spending:
    """Balance, spent today / this week / this month, effective limits and what is left today."""
    return _limits.spending(coop, santri, day)


# --- limits ------------------------------------------------------------------------------------------

@command("wallet.set_limits")
def set_limits(coop: Cooperative, santri: Santri | int, *, daily: Decimal | None, weekly: Decimal | None, monthly: Decimal | None,
               actor=None) -> Santri:
    """The treasurer's limits for one santri (Decimal rupiah; None = the cooperative's default)."""
    values = {"limit_daily": _limits.limit_sen(coop, daily, "daily"), "limit_weekly": _limits.limit_sen(coop, weekly, "weekly"),
              "limit_monthly": _limits.limit_sen(coop, monthly, "monthly")}

    locked = lock_santri(coop, santri)
    for key, value in values.items():
        setattr(locked, key, value)
    record("wallet.limits", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=locked.nis, **values)
    return locked


@command("wallet.set_wali_limits")
def set_wali_limits(coop: Cooperative, santri: Santri | int, *, daily: Decimal | None, weekly: Decimal | None, monthly: Decimal | None,
                    actor) -> Santri:
    """The limits a wali sets for their santri (Decimal rupiah; None = none of their own). A wali may
    only lower: each must be at most the treasurer's / cooperative's limit of that window. Raises
    WalletError(``not_wali`` when ``actor`` is not the santri's wali; ``limit_too_high``)."""
    values = {"daily": _limits.limit_sen(coop, daily, "daily"), "weekly": _limits.limit_sen(coop, weekly, "weekly"),
              "monthly": _limits.limit_sen(coop, monthly, "monthly")}

    locked = lock_santri(coop, santri)
    if actor is None or not is_wali_of(coop, actor, locked):
        raise WalletError("not_wali", _l("Anda bukan wali santri ini."))
    base = _limits.base_limits(coop, locked)
    problems = {}
    for window, value in values.items():
        ceiling = base.of(window)
        if value is not None and ceiling is not None and value > ceiling:
            problems[window] = _l("Paling tinggi %(a)s (batas koperasi).", a=format_amount(coop, ceiling))
    if problems:
        raise WalletError("limit_too_high", _l("Wali hanya dapat menurunkan batas, tidak melebihi batas yang ditetapkan koperasi."), problems)
    locked.wali_limit_daily, locked.wali_limit_weekly, locked.wali_limit_monthly = values["daily"], values["weekly"], values["monthly"]
    record("wallet.wali_limits", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), nis=locked.nis, **values)
    return locked
