"""The cashiers' daily close (tutup kasir): a cashier's sales of one day by payment method, the
cash the till should hand over against the cash counted, the difference posted as a shortage or
an overage, and the counted cash moved from Kas Toko to Kas Besar.

Expected cash is the day's *net cash takings*: the cashier's cash sales less the cash refunded on
the returns they recorded, never below zero. An opening float (modal kembalian) is not part of
it: the cashier leaves the float in the drawer and counts — and hands over — only the rest, so
after the close Kas Toko holds exactly the float again. Refunds beyond the day's takings came out
of the float (expected 0); topping the float up again is an ordinary cash transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.auth import services as auth
from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.shop import postings
from koppontren.shop.models import PAYMENTS, CashierClose, Sale, ShopPayment
from koppontren.shop.services import ShopError, _day, _error, _post, _sen, shop_command
from koppontren.tenancy.models import Cooperative

ACTION_LABELS.update({"shop.cashier_close": _l("Tutup kasir harian")})


@dataclass(frozen=True)
class DaySummary:
    """One cashier's day, in sen: ``sales`` and ``returns`` (refunds) by payment method (cash, bank,
    credit), how many sales and returns, and the cash expected from the till."""

    sales: dict[str, int] = field(default_factory=dict)
    returns: dict[str, int] = field(default_factory=dict)
    sale_count: int = 0
    return_count: int = 0
    receivable_payments: int = 0  # pelunasan (members and customers) the cashier took into the till

    @property
    def cash_sales(self) -> int:
        return self.sales.get("cash", 0)

    @property
    def bank_sales(self) -> int:
        return self.sales.get("bank", 0)

    @property
    def credit_sales(self) -> int:
        return self.sales.get("credit", 0)

    @property
    def expected_cash(self) -> int:
        """Net cash takings: cash sales and pelunasan into the till less cash refunds, never below
        zero (see the module)."""
        return max(0, self.cash_sales + self.receivable_payments - self.returns.get("cash", 0))


def day_summary(coop: Cooperative, cashier_id: int, day: date) -> DaySummary:
    """The Sale rows the cashier recorded on ``day``, summed by payment method (one query)."""
    rows = db.session.execute(
        select(Sale.payment, Sale.returns_sale_id.is_not(None), func.count(), func.coalesce(func.sum(Sale.total), 0))
        .where(Sale.cooperative_id == coop.id, Sale.sale_date == day, Sale.cashier_id == cashier_id)
        .group_by(Sale.payment, Sale.returns_sale_id.is_not(None)))
    sales = dict.fromkeys(PAYMENTS, 0)
    returns = dict.fromkeys(PAYMENTS, 0)
    counts = [0, 0]
    for payment, is_return, count, total in rows:
        (returns if is_return else sales)[payment] += int(total)
        counts[bool(is_return)] += int(count)
    payment_entries = db.session.scalars(select(ShopPayment.entry_id).where(
        ShopPayment.cooperative_id == coop.id, ShopPayment.kind.in_(("member_receivable", "customer_receivable")),
        ShopPayment.payment_date == day,
        ShopPayment.created_by_id == cashier_id)).all()
    into_till = queries.entry_account_totals(coop, payment_entries, chart.account_for(coop, "till").id)[0] if payment_entries else 0
    return DaySummary(sales, returns, counts[0], counts[1], into_till)


def get_close(coop: Cooperative, cashier_id: int, day: date) -> CashierClose | None:
    return db.session.scalar(select(CashierClose).where(CashierClose.cooperative_id == coop.id, CashierClose.cashier_id == cashier_id,
                                                        CashierClose.close_date == day))


def recent_closes(coop: Cooperative, cashier_id: int | None = None, limit: int = 14) -> list[CashierClose]:
    stmt = select(CashierClose).where(CashierClose.cooperative_id == coop.id)
    if cashier_id is not None:
        stmt = stmt.where(CashierClose.cashier_id == cashier_id)
    return list(db.session.scalars(stmt.order_by(CashierClose.close_date.desc(), CashierClose.id.desc()).limit(limit)))


@shop_command("shop.cashier_close")
def close_day(coop: Cooperative, *, cashier_id: int, day: date, counted_cash: Decimal, actor) -> CashierClose:
    """Close a cashier's day once: record the summary and the counted cash, and post one entry
    (``postings.cashier_close_lines``; none when expected and counted are both zero). The
    CashierClose row is inserted first, so a second close of the same cashier and day — even at the
    same moment — fails on its unique key. Raises ShopError(``already_closed`` | ``not_found`` |
    ``invalid_amount`` | ``invalid_date`` | LedgerError codes such as ``period_closed``)."""
    close_day_ = _day(day)
    cashier = auth.user_in_coop_or_none(coop, cashier_id) if isinstance(cashier_id, int) and not isinstance(cashier_id, bool) else None
    if cashier is None:
        raise _error("not_found", _l("Kasir tidak ditemukan."), "cashier")
    counted = _sen(coop, counted_cash, "counted_cash")
    name, login = cashier.name, cashier.login  # read now: a failed flush below expires the session's objects
    if get_close(coop, cashier.id, close_day_) is not None:
        raise _already_closed(name, close_day_)
    summary = day_summary(coop, cashier.id, close_day_)
    expected = summary.expected_cash
    close = CashierClose(cooperative_id=coop.id, cashier_id=cashier.id, close_date=close_day_, cash_sales=summary.cash_sales,
                         bank_sales=summary.bank_sales, credit_sales=summary.credit_sales, expected_cash=expected,
                         counted_cash=counted, difference=counted - expected)
    db.session.add(close)
    try:
        db.session.flush()
    except IntegrityError:  # the same close committed meanwhile by another request
        raise _already_closed(name, close_day_) from None
    lines = postings.cashier_close_lines(expected, counted, chart.accounts_by_role(coop, ("cash", "till", "other_expense", "other_income")))
    if lines:
        entry = _post(coop, entry_date=close_day_, journal_type="JU", lines=list(lines), actor=actor,
                      description=f"Tutup kasir {name} {close_day_.isoformat()}"[:500])
        close.entry_id, close.voucher = entry.id, entry.number
    record("shop.cashier_close", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), cashier=login,
           day=close_day_.isoformat(), expected=str(money.from_sen(expected)), counted=str(money.from_sen(counted)))
    return close


def _already_closed(name: str, day: date) -> ShopError:
    return _error("already_closed", _l("Kas %(n)s tanggal %(d)s sudah ditutup.", n=name, d=day.strftime("%d/%m/%Y")), "date")
