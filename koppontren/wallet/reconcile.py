"""Reconciliation of the santri wallets (REFERENCE.md §7.4: Σ wallet balances = 2113 = bank 1112 ±
transfers in transit recorded by the treasurer), the ``koppontren check`` item, and the daily
wallet report per cashier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.auth import services as auth
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.ledger import chart, integrity, queries
from koppontren.operations import command
from koppontren.tenancy.models import Cooperative
from koppontren.wallet.errors import WalletError
from koppontren.wallet.models import Santri, WalletTransaction, WalletTransit

ACTION_LABELS.update({
    "wallet.transit": _l("Transfer dalam perjalanan dicatat"),
    "wallet.transit_cleared": _l("Transfer dalam perjalanan selesai"),
})


@dataclass(frozen=True)
class Reconciliation:
    """Figures in sen as of ``as_of``. ``difference`` = 2113 − (1112 + in transit) should be 0;
    ``subledger_difference`` = Σ wallet balances − 2113 is 0 unless the books are broken."""

    as_of: date
    balances_total: int
    wallet_account: int  # 2113, credit balance
    bank_account: int  # 1112, debit balance
    in_transit: int
    open_items: list[WalletTransit]

    @property
    def difference(self) -> int:
        return self.wallet_account - (self.bank_account + self.in_transit)

    @property
    def subledger_difference(self) -> int:
        return self.balances_total - self.wallet_account

    @property
    def ok(self) -> bool:
        return self.difference == 0 and self.subledger_difference == 0


def _signed():
    return case((WalletTransaction.kind.in_(("topup", "return")), WalletTransaction.amount), else_=-WalletTransaction.amount)


def balances_total(coop: Cooperative, as_of: date | None = None) -> int:
    """Σ wallet balances: now from the santri rows; as of a past day from the transactions."""
    if as_of is None or as_of >= today():
        return int(db.session.scalar(select(func.coalesce(func.sum(Santri.balance), 0)).where(Santri.cooperative_id == coop.id)))
    return int(db.session.scalar(select(func.coalesce(func.sum(_signed()), 0)).where(
        WalletTransaction.cooperative_id == coop.id, WalletTransaction.day <= as_of)))


def _open_on(as_of: date):
    return (WalletTransit.day <= as_of) & or_(WalletTransit.cleared_on.is_(None), WalletTransit.cleared_on > as_of)


def reconciliation(coop: Cooperative, as_of: date | None = None) -> Reconciliation:
    day = as_of or today()
    wallet_account = queries.balance_of(coop, chart.account_for(coop, "santri_wallet"), day)
    bank_account = queries.balance_of(coop, chart.account_for(coop, "bank_santri"), day)
    items = list(db.session.scalars(select(WalletTransit).where(WalletTransit.cooperative_id == coop.id, _open_on(day))
                                    .order_by(WalletTransit.day, WalletTransit.id)))
    return Reconciliation(day, balances_total(coop, None if as_of is None else day), wallet_account, bank_account,
                          sum(i.amount for i in items), items)


def in_transit_items(coop: Cooperative, *, open_only: bool = True) -> list[WalletTransit]:
    stmt = select(WalletTransit).where(WalletTransit.cooperative_id == coop.id)
    if open_only:
        stmt = stmt.where(WalletTransit.cleared_on.is_(None))
    return list(db.session.scalars(stmt.order_by(WalletTransit.day.desc(), WalletTransit.id.desc())))


@command("wallet.record_in_transit")
def record_in_transit(coop: Cooperative, *, day: date, amount: Decimal, description: str, actor=None) -> WalletTransit:
    """A transfer in transit (Decimal rupiah, signed: + wallet money not yet in 1112, − money in 1112 not
    yet in a wallet). Raises WalletError(``invalid_amount`` | ``invalid_date`` | ``invalid_field``)."""
    if isinstance(amount, float | bool) or not isinstance(amount, Decimal | int) or not Decimal(amount).is_finite() \
            or Decimal(amount) == 0 or abs(Decimal(amount)) > money.MAX_AMOUNT \
            or Decimal(amount) != Decimal(amount).quantize(Decimal(1).scaleb(-coop.currency_decimals)):
        raise WalletError("invalid_amount", _l("Jumlah tidak sah (boleh negatif, tidak nol)."), {"amount": _l("Tidak sah.")})
    if not isinstance(day, date) or day > today():
        raise WalletError("future_date", _l("Tanggal tidak boleh setelah hari ini."), {"date": _l("Tidak sah.")})
    text = " ".join((description or "").split())[:300]
    if not text:
        raise WalletError("invalid_field", _l("Keterangan wajib diisi."), {"description": _l("Wajib diisi.")})
    item = WalletTransit(cooperative_id=coop.id, day=day, amount=money.to_sen(Decimal(amount)), description=text,
                         created_by_id=getattr(actor, "id", None))
    db.session.add(item)
    db.session.flush()
    record("wallet.transit", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), amount=str(amount), day=day.isoformat())
    return item


@command("wallet.clear_in_transit")
def clear_in_transit(coop: Cooperative, item_id: int, *, day: date | None = None, actor=None) -> WalletTransit:
    """The transfer arrived (or its top-up was recorded): the item no longer counts from ``day`` on."""
    item = None
    if isinstance(item_id, int) and not isinstance(item_id, bool):
        item = db.session.scalar(select(WalletTransit).where(WalletTransit.cooperative_id == coop.id, WalletTransit.id == item_id)
                                 .with_for_update())
    if item is None:
        raise WalletError("not_found", _l("Transfer dalam perjalanan tidak ditemukan."))
    if item.cleared_on is not None:
        raise WalletError("already_cleared", _l("Transfer ini sudah diselesaikan."))
    day = day or today()
    if day < item.day or day > today():
        raise WalletError("invalid_date", _l("Tanggal selesai antara tanggal transfer dan hari ini."), {"date": _l("Tidak sah.")})
    item.cleared_on, item.cleared_by_id = day, getattr(actor, "id", None)
    record("wallet.transit_cleared", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), item=item.id)
    return item


# --- the daily report per cashier -------------------------------------------------------------------

@dataclass
class CashierDay:
    """One person's wallet work of one day (sen): purchases and returns at the shop, top-ups and refunds."""

    user_id: int | None
    name: str
    purchases_count: int = 0
    purchases_total: int = 0
    returns_count: int = 0
    returns_total: int = 0
    topups_count: int = 0
    topups_total: int = 0
    refunds_count: int = 0
    refunds_total: int = 0

    @property
    def net_purchases(self) -> int:
        return self.purchases_total - self.returns_total


_FIELDS = {"purchase": "purchases", "return": "returns", "topup": "topups", "refund": "refunds"}


def daily_report(coop: Cooperative, day: date) -> list[CashierDay]:
    """Per person who recorded wallet transactions on ``day``, by name (one grouped query)."""
    rows = db.session.execute(
        select(WalletTransaction.user_id, WalletTransaction.kind, func.count(), func.coalesce(func.sum(WalletTransaction.amount), 0))
        .where(WalletTransaction.cooperative_id == coop.id, WalletTransaction.day == day)
        .group_by(WalletTransaction.user_id, WalletTransaction.kind)).all()
    out: dict[int | None, CashierDay] = {}
    for user_id, kind, count, total in rows:
        if user_id not in out:
            user = auth.user_by_id(user_id) if user_id is not None else None
            out[user_id] = CashierDay(user_id, user.name if user else str(_l("(tanpa pengguna)")))
        prefix = _FIELDS[kind]
        setattr(out[user_id], f"{prefix}_count", int(count))
        setattr(out[user_id], f"{prefix}_total", int(total))
    return sorted(out.values(), key=lambda c: (c.name, c.user_id or 0))


# --- koppontren check -----------------------------------------------------------------------------

def wallets_check(coop: Cooperative) -> list[str]:
    """Σ wallet balances = 2113, and each santri's balance = Σ its transactions (and its last balance_after)."""
    problems = []
    total = balances_total(coop)
    account = chart.account_for(coop, "santri_wallet")
    ledger = queries.balance_of(coop, account)
    if total != ledger:
        problems.append(integrity.Problem(f"account {account.code}: balance {ledger} sen ≠ Σ santri wallet balances {total} sen",
                                          _l("akun %(code)s: saldo %(balance)s sen ≠ Σ saldo dompet santri %(total)s sen",
                                             code=account.code, balance=ledger, total=total)))
    sums = (select(WalletTransaction.santri_id.label("sid"), func.sum(_signed()).label("net"))
            .where(WalletTransaction.cooperative_id == coop.id).group_by(WalletTransaction.santri_id).subquery())
    rows = db.session.execute(
        select(Santri.nis, Santri.balance, func.coalesce(sums.c.net, 0))
        .outerjoin(sums, sums.c.sid == Santri.id)
        .where(Santri.cooperative_id == coop.id, Santri.balance != func.coalesce(sums.c.net, 0))).all()
    for nis, balance, net in rows[:50]:
        problems.append(integrity.Problem(f"santri {nis}: wallet balance {balance} sen ≠ Σ transactions {int(net)} sen",
                                          _l("santri %(nis)s: saldo dompet %(balance)s sen ≠ Σ transaksi %(net)s sen",
                                             nis=nis, balance=balance, net=int(net))))
    return problems
