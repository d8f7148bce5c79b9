"""Many counter sales in one transaction, for the data generator: the same prices, moving-average cost
and accounts as ``services.record_sale`` (cash or bank, member or anonymous non-member buyer), posted
through the ledger's :class:`~koppontren.ledger.bulk.BulkPoster` and written in batches.

The products of the cooperative are locked once and their stock is tracked here; a sale that needs
more than is on hand is refused (``insufficient_stock``) like at the counter. Credit sales and
consignment goods stay with ``record_sale`` (they need the limits and the consignor's share).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koppontren import money
from koppontren.audit.services import record
from koppontren.extensions import db
from koppontren.ledger import chart
from koppontren.ledger.bulk import BulkPoster
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.posting import LineSpec
from koppontren.shop.models import BUSINESS_UNITS, Product
from koppontren.shop.services import UNIT_ROLES, SaleItem, ShopError, _error, _smallest_unit, issue_cost
from koppontren.tenancy import rls
from koppontren.tenancy.models import Cooperative, utcnow

_SALE_COLUMNS = ("id", "cooperative_id", "sale_date", "member_id", "party_id", "payment", "total", "cost", "cash_received",
                 "returns_sale_id", "entry_id", "voucher", "cashier_id", "created_at")
_LINE_COLUMNS = ("cooperative_id", "sale_id", "line_no", "product_id", "qty", "unit_price", "total", "cost", "consignor_id", "commission")
_MOVE_COLUMNS = ("cooperative_id", "product_id", "move_date", "kind", "qty", "value", "qty_after", "value_after", "entry_id",
                 "reference", "created_at")

_STOCK_SQL = "UPDATE product SET qty = ?, stock_value = ? WHERE cooperative_id = ? AND id = ?"


@dataclass
class _Stock:
    id: int
    name: str
    business_unit: str
    price: int
    member_price: int | None
    qty: int
    value: int
    active: bool
    consignment: bool


@dataclass(frozen=True)
class Buyer:
    """A member buying at member prices (their lines name them: participation for SHU)."""

    id: int
    number: str
    name: str


class BulkSales:
    """Counter sales of one cooperative into ``poster``'s transaction; :meth:`flush` after the
    poster's flush, then the caller commits."""

    def __init__(self, coop: Cooperative, poster: BulkPoster, *, cashier=None) -> None:
        self.coop = coop
        self.coop_id = poster.coop_id
        self.poster = poster
        self.cashier_id = getattr(cashier, "id", None)
        self.unit = _smallest_unit(coop)
        rows = db.session.execute(
            select(Product.id, Product.name, Product.business_unit, Product.price, Product.member_price, Product.qty, Product.stock_value,
                   Product.active, Product.consignor_id)
            .where(Product.cooperative_id == self.coop_id).order_by(Product.id).with_for_update())
        self.stock = {r[0]: _Stock(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8] is not None) for r in rows}
        roles = {role for unit in BUSINESS_UNITS for role in UNIT_ROLES[unit]} | {"till", "bank"}
        self.accounts = {role: account.id for role, account in chart.accounts_by_role(coop, roles).items()}
        self._sales: list[tuple] = []
        self._lines: list[list[tuple]] = []
        self._moves: list[tuple] = []
        self._touched: set[int] = set()
        self.sold = 0
        self.last_cost = 0  # sen: cost of goods of the last sale

    def on_hand(self, product_id: int) -> int:
        return self.stock[product_id].qty

    def sell(self, day: date, items: list[SaleItem], *, member: Buyer | None = None, payment: str = "cash") -> int:
        """One sale; returns its total in sen. Raises ShopError (``insufficient_stock``,
        ``inactive_product``, ``not_found``, ``invalid_payment``) or the ledger's codes, keeping nothing."""
        if payment not in ("cash", "bank"):
            raise _error("invalid_payment", _l("Cara bayar tidak dikenal."), "payment")
        if not items:
            raise _error("invalid_field", _l("Penjualan perlu 1 sampai %(n)s baris.", n=200), "lines")
        wanted: dict[int, int] = {}
        for item in items:
            wanted[item.product_id] = wanted.get(item.product_id, 0) + item.qty
        plan = []
        for pid, qty in wanted.items():
            product = self.stock.get(pid)
            if product is None:
                raise _error("not_found", _l("Produk tidak ditemukan."), "product")
            if product.consignment:
                raise _error("consignment_product", _l("%(p)s barang titipan.", p=product.name), "product")
            if not product.active:
                raise _error("inactive_product", _l("Produk %(p)s tidak dijual lagi.", p=product.name), "product")
            if qty <= 0 or qty > product.qty:
                raise _error("insufficient_stock", _l("Stok %(p)s tidak cukup: tersedia %(q)s.", p=product.name, q=product.qty), "qty")
            price = product.member_price if member is not None and product.member_price is not None else product.price
            plan.append((product, qty, price, issue_cost(product.qty, product.value, qty, self.unit)))
        total = sum(qty * price for _, qty, price, _ in plan)
        if total <= 0:
            raise _error("invalid_amount", _l("Total penjualan harus lebih dari nol."), "lines")
        mid = member.id if member is not None else None
        lines = [LineSpec(self.accounts["till" if payment == "cash" else "bank"], debit=money.from_sen(total))]
        for unit in BUSINESS_UNITS:
            part = [(p, q, pr, c) for p, q, pr, c in plan if p.business_unit == unit]
            if not part:
                continue
            inventory, rev_m, rev_n, cogs_m, cogs_n = (self.accounts[r] for r in UNIT_ROLES[unit])
            revenue = sum(q * pr for _, q, pr, _ in part)
            cost = sum(c for *_, c in part)
            lines.append(LineSpec(rev_m if mid else rev_n, credit=money.from_sen(revenue), member_id=mid))
            if cost:
                lines.append(LineSpec(cogs_m if mid else cogs_n, debit=money.from_sen(cost), member_id=mid))
                lines.append(LineSpec(inventory, credit=money.from_sen(cost)))
        who = f"{member.number} {member.name}" if member else "umum"
        try:
            entry = self.poster.post(entry_date=day, description=f"Penjualan kepada {who}"[:500], journal_type="PJ", lines=lines)
        except LedgerError as err:
            raise ShopError(err.code, err.message, err.fields) from None
        now = utcnow()
        sale_cost = sum(c for *_, c in plan)
        self._sales.append([None, self.coop_id, day, mid, None, payment, total, sale_cost, None, None, entry.id, entry.number,
                            self.cashier_id, now])
        self._lines.append([(n, product.id, qty, price, qty * price, cost, None, 0) for n, (product, qty, price, cost) in enumerate(plan, 1)])
        for product, qty, _price, cost in plan:
            product.qty -= qty
            product.value -= cost
            self._moves.append((self.coop_id, product.id, day, "sale", -qty, -cost, product.qty, product.value, entry.id, entry.number, now))
            self._touched.add(product.id)
        self.sold += 1
        self.last_cost = sale_cost
        return total

    def _sale_ids(self, n: int) -> list[int]:
        conn = db.session.connection()
        if conn.dialect.name == "postgresql":
            return [r[0] for r in conn.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('sale', 'id')) FROM generate_series(1, %s)", (n,))]
        top = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM sale").scalar_one()
        return list(range(top + 1, top + 1 + n))

    def flush(self) -> int:
        """Write the kept sales, their lines, the stock moves and the products' stock (after the
        poster's flush: they name its entries). Returns the number of sales written."""
        if not self._sales:
            return 0
        ids = self._sale_ids(len(self._sales))
        sale_rows, line_rows = [], []
        for sale_id, sale, lines in zip(ids, self._sales, self._lines, strict=True):
            sale[0] = sale_id
            sale_rows.append(tuple(sale))
            line_rows.extend((self.coop_id, sale_id, *ln) for ln in lines)
        conn = db.session.connection()
        if conn.dialect.name == "postgresql":
            cur = conn.connection.driver_connection.cursor()
            for table, columns, rows in (("sale", _SALE_COLUMNS, sale_rows), ("sale_line", _LINE_COLUMNS, line_rows),
                                         ("stock_move", _MOVE_COLUMNS, self._moves)):
                rls.copy_rows(cur, table, columns, rows)
            cur.close()
        else:
            def as_text(row):
                return tuple(v.replace(tzinfo=None).isoformat(" ", "microseconds") if hasattr(v, "tzinfo") and hasattr(v, "hour")
                             else v.isoformat() if isinstance(v, date) else v for v in row)

            for table, columns, rows in (("sale", _SALE_COLUMNS, sale_rows), ("sale_line", _LINE_COLUMNS, line_rows),
                                         ("stock_move", _MOVE_COLUMNS, self._moves)):
                conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",  # noqa: S608
                                     [as_text(r) for r in rows])
        stock_sql = _STOCK_SQL.replace("?", "%s") if conn.dialect.paramstyle in ("format", "pyformat") else _STOCK_SQL
        conn.exec_driver_sql(stock_sql,
                             [(self.stock[pid].qty, self.stock[pid].value, self.coop_id, pid) for pid in sorted(self._touched)])
        written = len(self._sales)
        record("shop.bulk_sales", cooperative_id=self.coop_id, actor_id=self.cashier_id, sales=written,
               total=str(money.from_sen(sum(s[6] for s in sale_rows))))
        self._sales.clear()
        self._lines.clear()
        self._moves.clear()
        self._touched.clear()
        db.session.flush()
        return written
