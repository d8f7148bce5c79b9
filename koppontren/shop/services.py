"""Shop services: catalogue and parties, purchases, sales and sales returns, stock counts — each
one unit of work that locks what it changes (member, then products in id order, then the ledger),
posts one entry through ``ledger.posting`` and moves the stock in the same transaction.

Valuation is moving average (RULES.md §3): a purchase adds its cost; issuing q of Q units worth V
costs round(V × q / Q) in the cooperative's smallest unit, the last unit exactly what is left, so
the inventory account always equals the sum of the products' stock values (``koppontren check``).
Refusals raise ShopError and write nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, event_values, record
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.ledger import chart, integrity, queries, subledgers
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.members import services as members
from koppontren.operations import unit_of_work
from koppontren.shop import payments
from koppontren.shop.models import (
    BUSINESS_UNITS,
    PARTY_KINDS,
    CashierClose,
    CreditLimit,
    Party,
    Product,
    Purchase,
    PurchaseLine,
    Sale,
    SaleLine,
    StockMove,
)
from koppontren.tenancy.models import Cooperative, utcnow


class ShopError(DomainError):
    """A refused shop operation. Codes: ``invalid_field``, ``duplicate_sku``, ``duplicate_barcode``,
    ``duplicate_code``, ``not_found``, ``inactive_product``, ``insufficient_stock``, ``invalid_qty``,
    ``invalid_amount``, ``invalid_payment``, ``invalid_account``, ``member_required`` (credit without a
    member or a customer), ``not_active``,
    ``credit_limit``, ``cash_short``, ``return_too_much``, ``invalid_date``, ``consignment_product``,
    ``consignment_changed``; consignment: ``has_stock``, ``not_consignment``, ``more_than_owed``,
    ``period_closed``; daily close: ``already_closed``; and LedgerError codes."""


ACTION_LABELS.update({
    "shop.product": _l("Produk disimpan"),
    "shop.party": _l("Pemasok/pelanggan disimpan"),
    "shop.purchase": _l("Pembelian dicatat"),
    "shop.sale": _l("Penjualan dicatat"),
    "shop.sale_return": _l("Retur penjualan dicatat"),
    "shop.count": _l("Stok opname dicatat"),
})
UNIT_ROLES = {  # business unit -> (inventory, member revenue, non-member revenue, member COGS, non-member COGS)
    "toko": ("inventory_shop", "sales_shop_member", "sales_shop_nonmember", "cogs_shop_member", "cogs_shop_nonmember"),
    "produk": ("inventory_products", "sales_products_member", "sales_products_nonmember", "cogs_products_member",
               "cogs_products_nonmember"),
}
RETURN_ROLES = {True: "sales_returns_member", False: "sales_returns_nonmember"}
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
MAX_LINES = 200
MAX_QTY = 10**9


def _error(code: str, message, field: str | None = None, problem=None) -> ShopError:
    return ShopError(code, message, {field: problem or message} if field else None)


def _smallest_unit(coop: Cooperative) -> int:
    """Sen per smallest amount the cooperative books (100 for whole rupiah)."""
    return 10 ** (2 - coop.currency_decimals)


def _sen(coop: Cooperative, amount, field: str, allow_zero: bool = True) -> int:
    if isinstance(amount, float | bool) or not isinstance(amount, Decimal | int):
        raise _error("invalid_amount", _l("Jumlah tidak sah."), field)
    amount = Decimal(amount)
    if amount.is_finite() and amount > money.MAX_AMOUNT:
        raise _error("amount_too_large", _l("Jumlah terlalu besar."), field)
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero) \
            or amount != amount.quantize(Decimal(1).scaleb(-coop.currency_decimals)):
        raise _error("invalid_amount", _l("Jumlah tidak sah."), field)
    return money.to_sen(amount)


def _qty(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_QTY:
        raise _error("invalid_qty", _l("Jumlah barang harus bilangan bulat lebih dari nol."), field)
    return value


def _day(day: date | None) -> date:
    day = day or today()
    if day > today():
        raise _error("future_date", _l("Tanggal tidak boleh setelah hari ini."), "date")
    return day


def _post(coop: Cooperative, *, internal: frozenset[str] = frozenset(), **kw):
    """post_entry in the shop's unit of work; ``internal``: more subledgers a payment method keeps
    (the santri wallet's 2113 line)."""
    try:
        return post_entry(coop, source="shop", commit=False, internal_subledgers=frozenset({"product"}) | internal, **kw)
    except LedgerError as err:
        raise ShopError(err.code, err.message, err.fields) from None


def _unit_of_work(fn, *keep):
    """Run ``fn`` and commit once; roll back on any error. The result (when it is a mapped instance)
    and the instances in ``keep`` (the cooperative) stay loaded across the commit with the values
    they had in it — the caller's answer (a sale's voucher and total, the cooperative's slug and
    decimals) then costs no reload."""
    with unit_of_work():
        result = fn()
        loaded = _loaded_values(result, *keep)
    for state, values in loaded:
        for key, value in values.items():
            set_committed_value(state.obj(), key, value)
    return result


def _loaded_values(*objs) -> list:
    """(state, column values) of the persistent instances among ``objs``, as flushed: what the commit
    writes. Only column attributes already loaded; anything else stays expired and loads on use."""
    out = []
    for obj in objs:
        state = sa_inspect(obj, raiseerr=False)
        if state is None or not getattr(state, "persistent", False) or state.modified:
            continue
        keys = state.mapper.column_attrs.keys()
        out.append((state, {k: state.dict[k] for k in keys if k in state.dict}))
    return out


def issue_cost(qty_on_hand: int, value: int, qty: int, unit: int = 100) -> int:
    """Moving-average cost (sen) of issuing ``qty`` of ``qty_on_hand`` units worth ``value``:
    round(value × qty / qty_on_hand) to ``unit`` sen, half up; the last units cost what is left."""
    if qty >= qty_on_hand:
        return value
    exact = Decimal(value) * qty / qty_on_hand / unit
    return min(value, int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)) * unit)


# --- parties -------------------------------------------------------------------------------------

def create_party(coop: Cooperative, *, kind: str, code: str, name: str, phone: str | None = None,
                 address: str | None = None, actor=None) -> Party:
    code = (code or "").strip()
    name = " ".join((name or "").split())
    if kind not in PARTY_KINDS:
        raise _error("invalid_field", _l("Jenis harus pemasok atau pelanggan."), "kind")
    if not SKU_RE.match(code) or len(code) > 30:
        raise _error("invalid_field", _l("Kode: huruf, angka, titik, garis miring atau tanda hubung (paling banyak 30)."), "code")
    if not name or len(name) > 200:
        raise _error("invalid_field", _l("Nama wajib diisi."), "name")
    if db.session.scalar(select(Party.id).where(Party.cooperative_id == coop.id, Party.code == code)):
        raise _error("duplicate_code", _l("Kode %(c)s sudah dipakai.", c=code), "code")
    party = Party(cooperative_id=coop.id, kind=kind, code=code, name=name, phone=(phone or "").strip() or None,
                  address=(address or "").strip() or None, active=True)
    db.session.add(party)
    db.session.flush()
    record("shop.party", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), code=code, kind=kind)
    db.session.commit()
    return party


def get_party(coop: Cooperative, party_id: int) -> Party | None:
    if isinstance(party_id, bool) or not isinstance(party_id, int):
        return None
    return db.session.scalar(select(Party).where(Party.cooperative_id == coop.id, Party.id == party_id))


def lock_party(coop: Cooperative, party_id: int) -> Party | None:
    """The party's row, locked for this transaction (payments and returns that change what a
    customer owes queue here)."""
    if isinstance(party_id, bool) or not isinstance(party_id, int):
        return None
    return db.session.scalar(select(Party).where(Party.cooperative_id == coop.id, Party.id == party_id).with_for_update()
                             .execution_options(populate_existing=True))


def register_party_subledger() -> None:
    """Plug suppliers and customers into the ledger as the ``party`` subledger (create_app)."""
    def exists(coop_id: int, party_id: int) -> bool:
        return db.session.scalar(select(Party.id).where(Party.cooperative_id == coop_id, Party.id == party_id)) is not None

    def by_number(coop_id: int, code: str) -> int | None:
        return db.session.scalar(select(Party.id).where(Party.cooperative_id == coop_id, Party.code == (code or "").strip()))

    def label(coop_id: int, party_id: int) -> str:
        row = db.session.execute(select(Party.code, Party.name).where(Party.cooperative_id == coop_id, Party.id == party_id)).first()
        return f"{row.code} {row.name}" if row else str(party_id)

    subledgers.register("party", exists=exists, by_number=by_number, label=label)


# --- catalogue -----------------------------------------------------------------------------------

@dataclass
class ProductData:
    """What a person types for a product; prices are Decimal rupiah."""

    sku: str
    name: str
    price: Decimal
    member_price: Decimal | None = None
    unit: str = "pcs"
    category: str | None = None
    business_unit: str = "toko"
    barcode: str | None = None


def _clean_product(coop: Cooperative, data: ProductData, existing: Product | None = None) -> dict:
    problems = {}
    sku = (data.sku or "").strip()
    if not SKU_RE.match(sku):
        problems["sku"] = _l("SKU: huruf, angka, titik, garis miring atau tanda hubung (paling banyak 40).")
    name = " ".join((data.name or "").split())
    if not name or len(name) > 200:
        problems["name"] = _l("Nama wajib diisi (paling banyak 200 karakter).")
    barcode = re.sub(r"\s", "", data.barcode or "") or None
    if barcode is not None and not re.fullmatch(r"[0-9A-Za-z-]{4,64}", barcode):
        problems["barcode"] = _l("Barcode tidak sah.")
    unit = (data.unit or "pcs").strip()[:20] or "pcs"
    if data.business_unit not in BUSINESS_UNITS:
        problems["business_unit"] = _l("Unit usaha: toko atau produk pesantren.")
    try:
        price = _sen(coop, data.price, "price")
        member_price = None if data.member_price is None else _sen(coop, data.member_price, "member_price")
    except ShopError as err:
        problems.update(err.fields)
        price = member_price = 0
    own = existing.id if existing else -1
    if not problems:
        if db.session.scalar(select(Product.id).where(Product.cooperative_id == coop.id, Product.sku == sku, Product.id != own)):
            problems["sku"] = _l("SKU %(s)s sudah dipakai.", s=sku)
        if barcode and db.session.scalar(select(Product.id).where(Product.cooperative_id == coop.id, Product.barcode == barcode,
                                                                  Product.id != own)):
            problems["barcode"] = _l("Barcode %(b)s sudah dipakai produk lain.", b=barcode)
    if problems:
        raise ShopError("invalid_field", next(iter(problems.values())), problems)
    return {"sku": sku, "name": name, "barcode": barcode, "unit": unit, "category": (data.category or "").strip()[:60] or None,
            "business_unit": data.business_unit, "price": price, "member_price": member_price}


def create_product(coop: Cooperative, data: ProductData, *, actor=None) -> Product:
    product = Product(cooperative_id=coop.id, qty=0, stock_value=0, active=True, **_clean_product(coop, data))
    db.session.add(product)
    db.session.flush()
    record("shop.product", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), sku=product.sku)
    db.session.commit()
    return product


def update_product(coop: Cooperative, product: Product, data: ProductData, *, active: bool = True, actor=None) -> Product:
    """Change a product's details; the business unit is fixed once it has stock moves (its value
    sits in that unit's inventory account)."""
    values = _clean_product(coop, data, existing=product)
    if values["business_unit"] != product.business_unit and _has_moves(coop, product.id):
        raise _error("invalid_field", _l("Unit usaha produk yang sudah punya mutasi stok tidak bisa diganti."), "business_unit")
    for key, value in values.items():
        setattr(product, key, value)
    product.active = bool(active)
    record("shop.product", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), sku=product.sku)
    db.session.commit()
    return product


def _has_moves(coop: Cooperative, product_id: int) -> bool:
    return db.session.scalar(select(StockMove.id).where(StockMove.cooperative_id == coop.id, StockMove.product_id == product_id)
                             .limit(1)) is not None


def get_product(coop: Cooperative, product_id: int) -> Product | None:
    if isinstance(product_id, bool) or not isinstance(product_id, int):
        return None
    return db.session.scalar(select(Product).where(Product.cooperative_id == coop.id, Product.id == product_id))


def find_product(coop: Cooperative, code: str) -> Product | None:
    """The product a scanner or a cashier names: exact barcode, else exact SKU."""
    code = (code or "").strip()
    if not code:
        return None
    return db.session.scalar(select(Product).where(Product.cooperative_id == coop.id,
                                                   or_(Product.barcode == code, Product.sku == code))
                             .order_by((Product.barcode == code).desc()).limit(1))


def search_products(coop: Cooperative, text: str | None = None, *, active_only: bool = True, limit: int = 50) -> list[Product]:
    stmt = select(Product).where(Product.cooperative_id == coop.id)
    if active_only:
        stmt = stmt.where(Product.active.is_(True))
    if text and text.strip():
        like = "%" + text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(func.lower(Product.name).like(like, escape="\\"), func.lower(Product.sku).like(like, escape="\\"),
                              Product.barcode.like(like, escape="\\")))
    return list(db.session.scalars(stmt.order_by(Product.name).limit(limit)))


def set_credit_limit(coop: Cooperative, category: str, amount: Decimal, *, actor=None) -> None:
    if category not in members.CATEGORIES:
        raise _error("invalid_field", _l("Kategori tidak dikenal."), "category")
    row = db.session.scalar(select(CreditLimit).where(CreditLimit.cooperative_id == coop.id, CreditLimit.category == category))
    if row is None:
        row = CreditLimit(cooperative_id=coop.id, category=category)
        db.session.add(row)
    row.amount = _sen(coop, amount, "amount")
    db.session.commit()


def credit_limit(coop: Cooperative, category: str) -> int:
    return int(db.session.scalar(select(CreditLimit.amount).where(CreditLimit.cooperative_id == coop.id,
                                                                  CreditLimit.category == category)) or 0)


# --- stock helpers -------------------------------------------------------------------------------

def _lock_products(coop: Cooperative, ids, *, cashier_day: tuple | None = None) -> dict[int, Product]:
    """Lock the products' rows in id order (two sales never deadlock); refuse unknown ids. With
    ``cashier_day`` (actor, day), first refuse when that cashier closed that day — read by the same
    statement (a snapshot no older than a separate check before it would see)."""
    ids = sorted(set(ids))
    stmt = (select(Product).where(Product.cooperative_id == coop.id, Product.id.in_(ids)).order_by(Product.id)
            .with_for_update().execution_options(populate_existing=True))
    cashier_id = getattr(cashier_day[0], "id", None) if cashier_day else None
    if cashier_id is None:
        found = {p.id: p for p in db.session.scalars(stmt)}
    else:
        day = cashier_day[1]
        rows = db.session.execute(stmt.add_columns(_closed_exists(coop, cashier_id, day))).all()
        if rows[0][1] if rows else _is_closed(coop, cashier_id, day):
            raise _closed_error(day)
        found = {p.id: p for p, _closed in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise _error("not_found", _l("Produk tidak ditemukan."), "product")
    return found


def consignment_commission(coop: Cooperative, line_total: int, commission_bp: int) -> int:
    """The cooperative's commission (sen) on a consignment line: line total × bp / 10000, rounded
    half up to the cooperative's smallest unit; never more than the line total."""
    unit = _smallest_unit(coop)
    exact = Decimal(line_total) * commission_bp / 10000 / unit
    return min(line_total, int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)) * unit)


def _move(coop, product: Product, *, kind: str, qty: int, value: int, day: date, entry, reference: str | None = None) -> StockMove:
    """Move stock and write its StockMove. ``entry`` None is for value-less consignment moves,
    which then name their ``reference``. A consignment product never takes value (its goods are
    the consignor's): Raises ShopError(``consignment_product`` | ``insufficient_stock``)."""
    if product.consignor_id is not None and value != 0:
        raise _error("consignment_product", _l("%(p)s barang titipan: stoknya masuk lewat penerimaan konsinyasi, bukan pembelian.",
                                               p=product.name), "product")
    product.qty += qty
    product.stock_value += value
    if product.qty < 0 or product.stock_value < 0 or (product.qty == 0 and product.stock_value != 0):
        raise _error("insufficient_stock", _l("Stok %(p)s tidak cukup.", p=product.name), "qty")
    move = StockMove(cooperative_id=coop.id, product_id=product.id, move_date=day, kind=kind, qty=qty, value=value,
                     qty_after=product.qty, value_after=product.stock_value, entry_id=entry.id if entry is not None else None,
                     reference=entry.number if entry is not None else reference)
    db.session.add(move)
    return move


def _bulk_issue(coop: Cooperative, changes: list[tuple[Product, int, int]], *, kind: str, day: date, entry) -> None:
    """Like ``_move`` for many products of one entry, with one UPDATE and one INSERT in all: the
    products are locked by the caller; their loaded attributes are kept in step."""
    updates, moves = _issue_rows(coop, changes, kind=kind, day=day, entry=entry)
    db.session.execute(update(Product), updates)
    db.session.execute(insert(StockMove), moves)
    _keep_in_step(changes, updates)


def _keep_in_step(changes: list[tuple[Product, int, int]], updates: list[dict]) -> None:
    for product, row in zip((c[0] for c in changes), updates, strict=True):
        set_committed_value(product, "qty", row["qty"])
        set_committed_value(product, "stock_value", row["stock_value"])


def _issue_rows(coop: Cooperative, changes: list[tuple[Product, int, int]], *, kind: str, day: date, entry) -> tuple[list, list]:
    """The checks of ``_move`` for many products, and their new stock and moves as rows."""
    updates, moves = [], []
    for product, qty, value in changes:
        new_qty, new_value = product.qty + qty, product.stock_value + value
        if product.consignor_id is not None and value != 0:
            raise _error("consignment_product", _l("%(p)s barang titipan: stoknya masuk lewat penerimaan konsinyasi, bukan pembelian.",
                                                   p=product.name), "product")
        if new_qty < 0 or new_value < 0 or (new_qty == 0 and new_value != 0):
            raise _error("insufficient_stock", _l("Stok %(p)s tidak cukup.", p=product.name), "qty")
        updates.append({"id": product.id, "qty": new_qty, "stock_value": new_value})
        moves.append({"cooperative_id": coop.id, "product_id": product.id, "move_date": day, "kind": kind, "qty": qty, "value": value,
                      "qty_after": new_qty, "value_after": new_value, "entry_id": entry.id, "reference": entry.number})
    return updates, moves


#: PostgreSQL: a sale's rows in one statement (one round trip instead of five): the sale, its lines,
#: the products' new stock (their rows are locked by this transaction, see _lock_products), the
#: stock moves and the audit event; lines, products and moves as one array per column, so the text
#: is the same for any basket (psycopg prepares it once). A constant: no value is formatted into it.
_SALE_SQL = (
    "WITH s AS (INSERT INTO sale (cooperative_id, sale_date, member_id, party_id, payment, total, cost, cash_received, "
    "returns_sale_id, entry_id, voucher, cashier_id, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id), "
    "l AS (INSERT INTO sale_line (cooperative_id, sale_id, line_no, product_id, qty, unit_price, total, cost, consignor_id, commission) "
    "SELECT %s, s.id, u.line_no, u.product_id, u.qty, u.unit_price, u.total, u.cost, u.consignor_id, u.commission "
    "FROM s, unnest(CAST(%s AS integer[]), CAST(%s AS integer[]), CAST(%s AS bigint[]), CAST(%s AS bigint[]), "
    "CAST(%s AS bigint[]), CAST(%s AS bigint[]), CAST(%s AS integer[]), CAST(%s AS bigint[])) "
    "AS u (line_no, product_id, qty, unit_price, total, cost, consignor_id, commission)), "
    "p AS (UPDATE product SET qty = u.qty, stock_value = u.stock_value "
    "FROM unnest(CAST(%s AS integer[]), CAST(%s AS bigint[]), CAST(%s AS bigint[])) AS u (id, qty, stock_value) "
    "WHERE product.cooperative_id = %s AND product.id = u.id), "
    "m AS (INSERT INTO stock_move (cooperative_id, product_id, move_date, kind, qty, value, qty_after, value_after, entry_id, "
    "reference, created_at) SELECT %s, u.product_id, %s, %s, u.qty, u.value, u.qty_after, u.value_after, %s, %s, %s "
    "FROM s, unnest(CAST(%s AS integer[]), CAST(%s AS bigint[]), CAST(%s AS bigint[]), CAST(%s AS bigint[]), CAST(%s AS bigint[])) "
    "AS u (product_id, qty, value, qty_after, value_after)), "
    "a AS (INSERT INTO audit_event (cooperative_id, actor_id, action, login, ip_address, detail, created_at) "
    "SELECT %s, %s, %s, %s, %s, CAST(%s AS JSON), %s FROM s) "
    "SELECT id FROM s"
)


_SALE_COLUMNS = ("cooperative_id", "sale_date", "member_id", "party_id", "payment", "total", "cost", "cash_received", "returns_sale_id",
                 "entry_id", "voucher", "cashier_id", "created_at")
#: SQLite: the same rows in five statements (no data-modifying WITH), past the unit of work too.
_SQLITE_SALE = f"INSERT INTO sale ({', '.join(_SALE_COLUMNS)}) VALUES ({', '.join('?' * 13)}) RETURNING id"  # noqa: S608 - constants
_SQLITE_LINE = ("INSERT INTO sale_line (cooperative_id, sale_id, line_no, product_id, qty, unit_price, total, cost, consignor_id, "
                "commission) VALUES ")
_SQLITE_STOCK = "UPDATE product SET qty = ?, stock_value = ? WHERE cooperative_id = ? AND id = ?"
_SQLITE_MOVE = ("INSERT INTO stock_move (cooperative_id, product_id, move_date, kind, qty, value, qty_after, value_after, entry_id, "
                "reference, created_at) VALUES ")
_SQLITE_AUDIT = ("INSERT INTO audit_event (cooperative_id, actor_id, action, login, ip_address, detail, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)")


def _rows_sql(head: str, rows: int, columns: int) -> str:
    return head + ", ".join([f"({', '.join('?' * columns)})"] * rows)


def _write_sale(coop: Cooperative, values: dict, lines: list[tuple], changes: list[tuple[Product, int, int]], audit: dict,
                *, entry) -> Sale:
    """Write a sale — its row, its lines, the products' new stock (their rows are locked by this
    transaction, see _lock_products), the stock moves and the audit event — with precompiled SQL past
    the unit of work (one statement on PostgreSQL, ``_SALE_SQL``; five on SQLite), and return it as
    a loaded instance of the session built from the values written (no read back), as posting does
    with its entry."""
    updates, moves = _issue_rows(coop, changes, kind="sale", day=values["sale_date"], entry=entry)
    db.session.flush()  # the statements go past the unit of work: it must hold nothing pending
    conn = db.session.connection()
    now = utcnow()
    values = {**values, "created_at": now}
    event = event_values("shop.sale", **audit)
    detail = json.dumps(event["detail"])
    coop_id = values["cooperative_id"]
    if conn.dialect.name == "postgresql":
        params = (
            *(values[c] for c in _SALE_COLUMNS),
            coop_id, *([list(column) for column in zip(*lines, strict=True)]),
            [u["id"] for u in updates], [u["qty"] for u in updates], [u["stock_value"] for u in updates], coop_id,
            coop_id, values["sale_date"], "sale", entry.id, entry.number, now,
            *([[m[k] for m in moves] for k in ("product_id", "qty", "value", "qty_after", "value_after")]),
            event["cooperative_id"], event["actor_id"], event["action"], event["login"], event["ip_address"], detail, now,
        )
        sale_id = conn.exec_driver_sql(_SALE_SQL, params).scalar_one()
    else:  # SQLite stores dates and times as ISO text, as SQLAlchemy writes them (times in UTC, without the offset)
        day, stamp = values["sale_date"].isoformat(), now.replace(tzinfo=None).isoformat(" ", "microseconds")
        sale_id = conn.exec_driver_sql(_SQLITE_SALE, tuple(day if c == "sale_date" else stamp if c == "created_at" else values[c]
                                                           for c in _SALE_COLUMNS)).scalar_one()
        conn.exec_driver_sql(_rows_sql(_SQLITE_LINE, len(lines), 10), tuple(p for ln in lines for p in (coop_id, sale_id, *ln)))
        conn.exec_driver_sql(_SQLITE_STOCK, [(u["qty"], u["stock_value"], coop_id, u["id"]) for u in updates])
        conn.exec_driver_sql(_rows_sql(_SQLITE_MOVE, len(moves), 11), tuple(
            p for m in moves for p in (coop_id, m["product_id"], day, "sale", m["qty"], m["value"], m["qty_after"], m["value_after"],
                                       entry.id, entry.number, stamp)))
        conn.exec_driver_sql(_SQLITE_AUDIT, (event["cooperative_id"], event["actor_id"], event["action"], event["login"],
                                             event["ip_address"], detail, stamp))
    _keep_in_step(changes, updates)
    sale = sa_inspect(Sale).class_manager.new_instance()
    sale.__dict__.update(values, id=sale_id)
    make_transient_to_detached(sale)
    db.session.add(sale)
    return sale


def _by_key(coop: Cooperative, model, key: str | None):
    """The document (Sale, Purchase, ShopPayment) posted with this idempotency key, if any: a
    double submit returns the first instead of recording twice."""
    key = (key or "").strip()[:200]
    entry = queries.get_entry_by_key(coop, key) if key else None
    if entry is None:
        return None
    return db.session.scalar(select(model).where(model.cooperative_id == coop.id, model.entry_id == entry.id))


def _closed_exists(coop: Cooperative, cashier_id: int, day: date):
    return select(CashierClose.id).where(CashierClose.cooperative_id == coop.id, CashierClose.cashier_id == cashier_id,
                                         CashierClose.close_date == day).exists()


def _is_closed(coop: Cooperative, cashier_id: int, day: date) -> bool:
    return bool(db.session.scalar(select(_closed_exists(coop, cashier_id, day))))


def _closed_error(day: date) -> ShopError:
    return _error("already_closed", _l("Kasir sudah tutup buku untuk %(d)s; catat transaksi ini dengan tanggal berikutnya "
                                       "atau oleh kasir lain.", d=day.isoformat()), "date")


def _refuse_after_close(coop: Cooperative, actor, day: date) -> None:
    """A cashier who closed the day hands in no more money for it: a sale or return after the
    close would stay in the till, outside every close. (A sale reads this in its product lock.)"""
    if actor is None or getattr(actor, "id", None) is None:
        return
    if _is_closed(coop, actor.id, day):
        raise _closed_error(day)


def _pay_account(coop: Cooperative, payment: str, account_id: int | None, default_role: str):
    if payment not in ("cash", "bank"):
        raise _error("invalid_payment", _l("Cara bayar tidak dikenal."), "payment")
    if account_id is None:
        return chart.account_for(coop, default_role if payment == "cash" else "bank")
    account = next((a for a in chart.accounts(coop, postable_only=True, active_only=True)
                    if a.id == account_id and a.cash_flow == "cash" and a.role not in ("bank_santri", "cash_transit")), None)
    if account is None:
        raise _error("invalid_account", _l("Pilih akun kas atau bank yang aktif."), "account")
    return account


# --- purchases -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PurchaseItem:
    product_id: int
    qty: int
    unit_cost: Decimal  # rupiah per unit


def record_purchase(coop: Cooperative, *, party_id: int, items: list[PurchaseItem], payment: str = "cash", day: date | None = None,
                    account_id: int | None = None, invoice: str | None = None, actor=None, idempotency_key: str | None = None) -> Purchase:
    """Goods in from a supplier: ``Dr Persediaan / Cr Kas, Bank`` or ``Cr 2101 Utang Usaha`` (credit,
    naming the supplier); the stock of each product grows by its quantity and cost."""
    def work():
        party = get_party(coop, party_id)
        if party is None or party.kind != "supplier":
            raise _error("not_found", _l("Pemasok tidak ditemukan."), "party")
        entry_day = _day(day)
        if not items or len(items) > MAX_LINES:
            raise _error("invalid_field", _l("Pembelian perlu 1 sampai %(n)s baris.", n=MAX_LINES), "lines")
        lines = [(_qty(i.qty, f"lines.{n}.qty"), _sen(coop, i.unit_cost, f"lines.{n}.unit_cost"), i.product_id)
                 for n, i in enumerate(items, start=1)]
        products = _lock_products(coop, [pid for _, _, pid in lines])
        for _, _, pid in lines:
            if products[pid].consignor_id is not None:
                raise _error("consignment_product", _l("%(p)s barang titipan: terima lewat halaman konsinyasi, bukan pembelian.",
                                                       p=products[pid].name), "lines")
        by_unit: dict[str, int] = {}
        for qty, cost, pid in lines:
            by_unit[products[pid].business_unit] = by_unit.get(products[pid].business_unit, 0) + qty * cost
        total = sum(by_unit.values())
        if total <= 0:
            raise _error("invalid_amount", _l("Total pembelian harus lebih dari nol."), "lines")
        if payment == "credit":
            credit = LineSpec(chart.account_for(coop, "payable_supplier"), credit=money.from_sen(total), party_id=party.id)
        else:
            credit = LineSpec(_pay_account(coop, payment, account_id, "cash"), credit=money.from_sen(total))
        debits = [LineSpec(chart.account_for(coop, UNIT_ROLES[unit][0]), debit=money.from_sen(by_unit[unit]))
                  for unit in BUSINESS_UNITS if by_unit.get(unit)]
        description = f"Pembelian dari {party.code} {party.name}" + (f", faktur {invoice.strip()[:60]}" if invoice and invoice.strip() else "")
        entry = _post(coop, entry_date=entry_day, description=description[:500], journal_type="PB", lines=[*debits, credit],
                      actor=actor, idempotency_key=idempotency_key)
        if getattr(entry, "was_replayed", False):
            return db.session.scalar(select(Purchase).where(Purchase.cooperative_id == coop.id, Purchase.entry_id == entry.id))
        purchase = Purchase(cooperative_id=coop.id, party_id=party.id, purchase_date=entry_day, payment=payment,
                            invoice=(invoice or "").strip()[:60] or None, total=total, entry_id=entry.id, voucher=entry.number,
                            created_by_id=getattr(actor, "id", None))
        db.session.add(purchase)
        db.session.flush()
        for n, (qty, cost, pid) in enumerate(lines, start=1):
            db.session.add(PurchaseLine(cooperative_id=coop.id, purchase_id=purchase.id, line_no=n, product_id=pid, qty=qty,
                                        unit_cost=cost, total=qty * cost))
            _move(coop, products[pid], kind="purchase", qty=qty, value=qty * cost, day=entry_day, entry=entry)
        record("shop.purchase", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=entry.number,
               total=str(money.from_sen(total)))
        return purchase

    return _unit_of_work(work, coop)


# --- sales ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SaleItem:
    product_id: int
    qty: int


def record_sale(coop: Cooperative, *, items: list[SaleItem], member_id: int | None = None, party_id: int | None = None,
                payment: str = "cash", cash_received: Decimal | None = None, day: date | None = None, account_id: int | None = None,
                actor=None, idempotency_key: str | None = None, card: str | None = None) -> Sale:
    """A sale at the counter (PJ). With a member: member prices, member revenue and COGS accounts,
    revenue lines naming the member (their participation for SHU), and optionally on credit (1121,
    within the category's credit limit). Without a member the non-member accounts; ``party_id``
    names a customer (a party of kind customer), who may also buy on credit: ``Dr 1122 Piutang Usaha
    – Non-Anggota`` naming the customer (no limit; an anonymous buyer gets no credit). Cost of goods at moving average leaves the inventory in
    the same entry. A consignment product's line instead credits 2102 Utang Konsinyasi for its
    consignor's share (naming the consignor) and 4203 for the commission (naming the member, if
    any): no cost of goods, no inventory. A payment method registered in ``shop.payments`` (``"wallet"``
    with the santri's ``card``) gives the money line instead of cash, decides the member (the santri's)
    and checks the total (balance, limits); its refusals are its own DomainError (WalletError).
    Raises ShopError(``insufficient_stock`` | ``credit_limit`` | …)."""
    def work():
        entry_day = _day(day)
        if not items or len(items) > MAX_LINES:
            raise _error("invalid_field", _l("Penjualan perlu 1 sampai %(n)s baris.", n=MAX_LINES), "lines")
        buyer_id = member_id
        payer = None
        if payment not in ("cash", "bank", "credit"):
            method = payments.get(payment)
            if method is None:
                raise _error("invalid_payment", _l("Cara bayar tidak dikenal."), "payment")
            if party_id is not None or account_id is not None:
                raise _error("invalid_payment", _l("Pembayaran dompet santri tanpa pelanggan atau akun kas."), "payment")
            payer = method.payer(coop, card=card, actor=actor, day=entry_day)
            if member_id is not None and member_id != payer.member_id:
                raise _error("invalid_field", _l("Anggota tidak sesuai dengan kartu santri."), "member")
            buyer_id = payer.member_id
        member = None
        if buyer_id is not None:
            member = members.lock_member(coop, buyer_id)
            if member is None:
                raise _error("not_found", _l("Anggota tidak ditemukan."), "member")
            if member.status != "aktif":
                raise _error("not_active", _l("Anggota %(n)s sudah tidak aktif.", n=member.number), "member")
        if payer is not None:
            payer.lock()
        party = None
        if party_id is not None:
            party = get_party(coop, party_id)
            if party is None or party.kind != "customer":
                raise _error("not_found", _l("Pelanggan tidak ditemukan."), "party")
        if payment == "credit" and member is None and party is None:
            raise _error("member_required", _l("Penjualan kredit hanya untuk anggota atau pelanggan terdaftar."), "payment")
        if payment == "credit" and member is None and not party.active:
            raise _error("not_active", _l("Pelanggan %(c)s sudah tidak aktif.", c=party.code), "party")
        wanted: dict[int, int] = {}
        for n, item in enumerate(items, start=1):
            wanted[item.product_id] = wanted.get(item.product_id, 0) + _qty(item.qty, f"lines.{n}.qty")
        products = _lock_products(coop, wanted, cashier_day=(actor, entry_day))  # and _refuse_after_close
        plan = []
        commission: dict[int, int] = {}  # product_id -> commission of a consignment line
        for pid, qty in wanted.items():
            product = products[pid]
            if not product.active:
                raise _error("inactive_product", _l("Produk %(p)s tidak dijual lagi.", p=product.name), "product")
            if qty > product.qty:
                raise _error("insufficient_stock", _l("Stok %(p)s tidak cukup: tersedia %(q)s %(u)s.", p=product.name, q=product.qty,
                                                      u=product.unit), "qty")
            price = product.member_price if member is not None and product.member_price is not None else product.price
            if product.consignor_id is None:
                plan.append((product, qty, price, issue_cost(product.qty, product.stock_value, qty, _smallest_unit(coop))))
            else:
                plan.append((product, qty, price, 0))
                commission[pid] = consignment_commission(coop, qty * price, product.commission_bp)
        total = sum(qty * price for _, qty, price, _ in plan)
        if total <= 0:
            raise _error("invalid_amount", _l("Total penjualan harus lebih dari nol."), "lines")
        received = None
        if payment == "cash" and cash_received is not None:
            received = _sen(coop, cash_received, "cash_received")
            if received < total:
                raise _error("cash_short", _l("Uang diterima kurang dari total %(t)s.", t=money.format_idr(money.from_sen(total),
                                                                                                        coop.currency_decimals)), "cash_received")
        units = {p.business_unit for p, *_ in plan if p.consignor_id is None}
        roles = {role for unit in units for role in UNIT_ROLES[unit]} | {"receivable_member", "receivable_nonmember"}
        if payment != "credit" and payer is None and account_id is None:
            roles.add("till" if payment == "cash" else "bank")
        accounts = chart.accounts_by_role(coop, roles)  # one query for every account the entry names
        charge = None
        if payer is not None:
            charge = payer.charge(total, [(p.category, q * pr) for p, q, pr, _ in plan], entry_day)
            debit = charge.line
        elif payment == "credit" and member is None:  # a known customer: no credit limit (RULES.md has none)
            debit = LineSpec(accounts["receivable_nonmember"], debit=money.from_sen(total), party_id=party.id)
        elif payment == "credit":
            owed = queries.member_balances(coop, [accounts["receivable_member"].id], [member.id]).get(member.id, {})
            owed_sen = sum(owed.values())
            limit = credit_limit(coop, member.category)
            if owed_sen + total > limit:
                raise _error("credit_limit", _l("Batas kredit %(n)s %(l)s; piutang sekarang %(o)s.", n=member.number,
                                                l=money.format_idr(money.from_sen(limit), coop.currency_decimals),
                                                o=money.format_idr(money.from_sen(owed_sen), coop.currency_decimals)), "payment")
            debit = LineSpec(accounts["receivable_member"], debit=money.from_sen(total), member_id=member.id)
        elif account_id is None:
            if payment not in ("cash", "bank"):
                raise _error("invalid_payment", _l("Cara bayar tidak dikenal."), "payment")
            debit = LineSpec(accounts["till" if payment == "cash" else "bank"], debit=money.from_sen(total))
        else:
            debit = LineSpec(_pay_account(coop, payment, account_id, "till"), debit=money.from_sen(total))
        lines = [debit]
        is_member = member is not None
        mid = member.id if is_member else None
        for unit in BUSINESS_UNITS:
            part = [(p, q, pr, c) for p, q, pr, c in plan if p.business_unit == unit and p.consignor_id is None]
            if not part:
                continue
            inventory, rev_m, rev_n, cogs_m, cogs_n = (accounts[r] for r in UNIT_ROLES[unit])
            revenue = sum(q * pr for _, q, pr, _ in part)
            cost = sum(c for *_, c in part)
            if revenue:
                lines.append(LineSpec(rev_m if is_member else rev_n, credit=money.from_sen(revenue), member_id=mid))
            if cost:
                lines.append(LineSpec(cogs_m if is_member else cogs_n, debit=money.from_sen(cost), member_id=mid))
                lines.append(LineSpec(inventory, credit=money.from_sen(cost)))
        lines += _consignment_lines(coop, [(p.consignor_id, q * pr, commission[p.id]) for p, q, pr, _ in plan if p.consignor_id is not None],
                                    member_id=mid, side="credit")
        who = f"{member.number} {member.name}" if member else (f"{party.code} {party.name}" if party else "umum")
        if payer is not None:
            who = f"{who} ({payer.label})" if member else payer.label
        entry = _post(coop, entry_date=entry_day, description=f"Penjualan kepada {who}"[:500], journal_type="PJ", lines=lines,
                      actor=actor, idempotency_key=idempotency_key, internal=charge.internal_subledgers if charge else frozenset())
        if getattr(entry, "was_replayed", False):
            prior = db.session.scalar(select(Sale).where(Sale.cooperative_id == coop.id, Sale.entry_id == entry.id))
            if prior is not None:
                prior.was_replayed = True  # for the POS (pos.sell), which compares the request
            return prior
        values = {"cooperative_id": coop.id, "sale_date": entry_day, "member_id": mid, "party_id": party.id if party else None,
                  "payment": payment, "total": total, "cost": sum(c for *_, c in plan), "cash_received": received,
                  "returns_sale_id": None, "entry_id": entry.id, "voucher": entry.number, "cashier_id": getattr(actor, "id", None)}
        lines = [(n, product.id, qty, price, qty * price, cost, product.consignor_id, commission.get(product.id, 0))
                 for n, (product, qty, price, cost) in enumerate(plan, start=1)]
        changes = [(product, -qty, -cost) for product, qty, _price, cost in plan]
        audit = {"cooperative_id": coop.id, "actor_id": getattr(actor, "id", None), "number": entry.number,
                 "total": str(money.from_sen(total)), "member": member.number if member else None}
        sale = _write_sale(coop, values, lines, changes, audit, entry=entry)
        if payer is not None:
            payer.settle(entry, sale.id)
        return sale

    return _unit_of_work(work, coop)


def _consignment_lines(coop: Cooperative, parts: list[tuple[int, int, int]], *, member_id: int | None, side: str) -> list[LineSpec]:
    """The 2102/4203 lines of consignment sales (``side`` "credit") or their returns ("debit"):
    ``parts`` are (consignor_id, line total, commission) in sen. One 2102 line per consignor for
    its share (party subledger), one 4203 line for all the commission (naming the member)."""
    owed: dict[int, int] = {}
    for consignor_id, total, commission in parts:
        owed[consignor_id] = owed.get(consignor_id, 0) + total - commission
    lines = [LineSpec(chart.account_for(coop, "payable_consignment"), party_id=consignor_id, **{side: money.from_sen(amount)})
             for consignor_id, amount in sorted(owed.items()) if amount]
    commission = sum(c for *_, c in parts)
    if commission:
        lines.append(LineSpec(chart.account_for(coop, "consignment_commission"), member_id=member_id, **{side: money.from_sen(commission)}))
    return lines


def sale_lines(coop: Cooperative, sale: Sale) -> list[SaleLine]:
    return list(db.session.scalars(select(SaleLine).where(SaleLine.cooperative_id == coop.id, SaleLine.sale_id == sale.id)
                                   .order_by(SaleLine.line_no)))


def sale_lines_of_many(coop: Cooperative, sale_ids) -> dict[int, list[SaleLine]]:
    """sale_id -> its lines (one query), for lists of many sales (the wali portal's purchases)."""
    ids = list(sale_ids)
    out: dict[int, list[SaleLine]] = {}
    if not ids:
        return out
    for ln in db.session.scalars(select(SaleLine).where(SaleLine.cooperative_id == coop.id, SaleLine.sale_id.in_(ids))
                                 .order_by(SaleLine.sale_id, SaleLine.line_no)):
        out.setdefault(ln.sale_id, []).append(ln)
    return out


def return_ids_of(coop: Cooperative, sale_id: int):
    """A SELECT of the ids of the returns of one sale (for a subquery)."""
    return select(Sale.id).where(Sale.cooperative_id == coop.id, Sale.returns_sale_id == sale_id)


def get_sale(coop: Cooperative, sale_id: int) -> Sale | None:
    if isinstance(sale_id, bool) or not isinstance(sale_id, int):
        return None
    return db.session.scalar(select(Sale).where(Sale.cooperative_id == coop.id, Sale.id == sale_id))


def returned_qty(coop: Cooperative, sale: Sale) -> dict[int, int]:
    """product_id -> units of this sale already returned."""
    rows = db.session.execute(
        select(SaleLine.product_id, func.sum(SaleLine.qty)).join(Sale, (Sale.cooperative_id == SaleLine.cooperative_id) & (Sale.id == SaleLine.sale_id))
        .where(SaleLine.cooperative_id == coop.id, Sale.returns_sale_id == sale.id).group_by(SaleLine.product_id))
    return {pid: int(q) for pid, q in rows}


def record_sale_return(coop: Cooperative, sale_id: int, *, items: list[SaleItem], day: date | None = None, account_id: int | None = None,
                       actor=None, idempotency_key: str | None = None) -> Sale:
    """Goods back from a buyer: the revenue is undone on the returns account (4109 for members,
    naming the member; 4209 otherwise), the money goes back the way it came (cash/bank, or off the
    member's receivable), and the goods re-enter the stock at the cost they left with. A
    consignment line is undone on 2102 (the consignor's share, naming the sale's consignor) and
    4203 (the commission it earned), both split like the cost: the last units take what is left.
    Raises ShopError(``consignment_changed``) when the product no longer belongs to that consignor."""
    def work():
        original = get_sale(coop, sale_id)
        if original is None or original.returns_sale_id is not None:
            raise _error("not_found", _l("Penjualan tidak ditemukan."), "sale")
        entry_day = _day(day)
        if entry_day < original.sale_date:
            raise _error("invalid_date", _l("Tanggal retur tidak boleh sebelum tanggal penjualan."), "date")
        if original.member_id is not None:
            members.lock_member(coop, original.member_id)
        elif original.payment == "credit" and original.party_id is not None:
            lock_party(coop, original.party_id)  # as a pelunasan does: the customer's 1122 balance changes
        payer = None
        if original.payment not in ("cash", "bank", "credit"):
            method = payments.get(original.payment)
            if method is None:
                raise _error("invalid_payment", _l("Cara bayar tidak dikenal."), "payment")
            payer = method.returner(coop, original, actor=actor, day=entry_day)
            payer.lock()  # after the member, before the products: a sale's order
        # the sale's row is locked before its returns are counted: two returns of one sale queue here
        db.session.execute(select(Sale.id).where(Sale.cooperative_id == coop.id, Sale.id == original.id).with_for_update())
        if (replayed := _by_key(coop, Sale, idempotency_key)) is not None:
            return replayed
        _refuse_after_close(coop, actor, entry_day)
        sold = {ln.product_id: ln for ln in sale_lines(coop, original)}
        back = returned_qty(coop, original)
        wanted: dict[int, int] = {}
        for n, item in enumerate(items or [], start=1):
            wanted[item.product_id] = wanted.get(item.product_id, 0) + _qty(item.qty, f"lines.{n}.qty")
        if not wanted:
            raise _error("invalid_field", _l("Pilih barang yang diretur."), "lines")
        for pid, qty in wanted.items():
            line = sold.get(pid)
            if line is None or qty > line.qty - back.get(pid, 0):
                raise _error("return_too_much", _l("Retur melebihi jumlah yang dijual."), "lines")
        products = _lock_products(coop, wanted)
        plan = []
        commission: dict[int, int] = {}  # product_id -> commission given back on a consignment line
        for pid, qty in wanted.items():
            line = sold[pid]
            already = back.get(pid, 0)
            if products[pid].consignor_id != line.consignor_id:
                raise _error("consignment_changed", _l("%(p)s sudah berganti status titipan sejak dijual: retur tidak bisa dicatat.",
                                                       p=products[pid].name), "lines")
            # the cost of the returned units, out of the line's cost: the last units take what is left
            cost_back = issue_cost(line.qty - already, line.cost - _returned_cost(coop, original, pid), qty, _smallest_unit(coop))
            plan.append((products[pid], qty, line.unit_price, cost_back))
            if line.consignor_id is not None:
                commission[pid] = issue_cost(line.qty - already, line.commission - _returned_commission(coop, original, pid), qty,
                                             _smallest_unit(coop))
        is_member = original.member_id is not None
        refund = sum(q * pr for _, q, pr, _ in plan)
        own_refund = sum(q * pr for p, q, pr, _ in plan if p.consignor_id is None)
        charge = None
        if payer is not None:
            charge = payer.charge(refund, [(p.category, q * pr) for p, q, pr, _ in plan], entry_day)
            money_line = charge.line
        elif original.payment == "credit" and is_member:
            money_line = LineSpec(chart.account_for(coop, "receivable_member"), credit=money.from_sen(refund), member_id=original.member_id)
        elif original.payment == "credit":  # a customer's credit sale: back off their 1122 receivable
            money_line = LineSpec(chart.account_for(coop, "receivable_nonmember"), credit=money.from_sen(refund), party_id=original.party_id)
        else:
            money_line = LineSpec(_pay_account(coop, original.payment, account_id, "till"), credit=money.from_sen(refund))
        lines = [LineSpec(chart.account_for(coop, RETURN_ROLES[is_member]), debit=money.from_sen(own_refund),
                          member_id=original.member_id)] if own_refund else []
        lines.append(money_line)
        for unit in BUSINESS_UNITS:
            cost = sum(c for p, _, _, c in plan if p.business_unit == unit)
            if cost:
                inventory, _rm, _rn, cogs_m, cogs_n = (chart.account_for(coop, r) for r in UNIT_ROLES[unit])
                lines.append(LineSpec(inventory, debit=money.from_sen(cost)))
                lines.append(LineSpec(cogs_m if is_member else cogs_n, credit=money.from_sen(cost), member_id=original.member_id))
        lines += _consignment_lines(coop, [(p.consignor_id, q * pr, commission[p.id]) for p, q, pr, _ in plan if p.consignor_id is not None],
                                    member_id=original.member_id, side="debit")
        entry = _post(coop, entry_date=entry_day, description=f"Retur penjualan {original.voucher}", journal_type="PJ", lines=lines,
                      actor=actor, idempotency_key=idempotency_key, internal=charge.internal_subledgers if charge else frozenset())
        ret = Sale(cooperative_id=coop.id, sale_date=entry_day, member_id=original.member_id, party_id=original.party_id,
                   payment=original.payment, total=refund, cost=sum(c for *_, c in plan), returns_sale_id=original.id,
                   entry_id=entry.id, voucher=entry.number, cashier_id=getattr(actor, "id", None))
        db.session.add(ret)
        db.session.flush()
        for n, (product, qty, price, cost) in enumerate(plan, start=1):
            db.session.add(SaleLine(cooperative_id=coop.id, sale_id=ret.id, line_no=n, product_id=product.id, qty=qty,
                                    unit_price=price, total=qty * price, cost=cost, consignor_id=product.consignor_id,
                                    commission=commission.get(product.id, 0)))
            _move(coop, product, kind="sale_return", qty=qty, value=cost, day=entry_day, entry=entry)
        if payer is not None:
            payer.settle(entry, ret.id)
        record("shop.sale_return", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=entry.number,
               original=original.voucher)
        return ret

    return _unit_of_work(work, coop)


def _returned_cost(coop: Cooperative, sale: Sale, product_id: int, column=SaleLine.cost) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(column), 0)).join(Sale, (Sale.cooperative_id == SaleLine.cooperative_id) & (Sale.id == SaleLine.sale_id))
        .where(SaleLine.cooperative_id == coop.id, Sale.returns_sale_id == sale.id, SaleLine.product_id == product_id)))


def _returned_commission(coop: Cooperative, sale: Sale, product_id: int) -> int:
    return _returned_cost(coop, sale, product_id, SaleLine.commission)


# --- stock count ---------------------------------------------------------------------------------

def record_count(coop: Cooperative, counted: dict[int, int], *, day: date | None = None, actor=None):
    """Stock opname: counted quantities per product; every difference is posted to 5301 Selisih
    Persediaan in one entry (shortages at moving average; a surplus at the current average cost, or
    the last purchase cost when the product had no stock). Returns the entry, or None if all agree."""
    def work():
        entry_day = _day(day)
        for pid, qty in counted.items():
            if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= MAX_QTY:
                raise _error("invalid_qty", _l("Jumlah hitung harus bilangan bulat nol atau lebih."), f"count.{pid}")
        products = _lock_products(coop, counted)
        plan = []
        for pid in sorted(counted):
            product, qty = products[pid], counted[pid]
            diff = qty - product.qty
            if diff < 0:
                plan.append((product, diff, -issue_cost(product.qty, product.stock_value, -diff, _smallest_unit(coop))))
            elif diff > 0:
                plan.append((product, diff, diff * _unit_cost(coop, product)))
        if not plan:
            return None
        adjustment = chart.account_for(coop, "stock_adjustment")
        lines = []
        for unit in BUSINESS_UNITS:
            inventory = chart.account_for(coop, UNIT_ROLES[unit][0])
            surplus = sum(v for p, _, v in plan if p.business_unit == unit and v > 0)
            shortage = -sum(v for p, _, v in plan if p.business_unit == unit and v < 0)
            if surplus:
                lines += [LineSpec(inventory, debit=money.from_sen(surplus)), LineSpec(adjustment, credit=money.from_sen(surplus))]
            if shortage:
                lines += [LineSpec(adjustment, debit=money.from_sen(shortage)), LineSpec(inventory, credit=money.from_sen(shortage))]
        if not lines:
            raise _error("invalid_amount", _l("Selisih hitung tanpa nilai: catat pembelian dulu untuk memberi harga pokok."), "count")
        entry = _post(coop, entry_date=entry_day, description="Stok opname: selisih persediaan", journal_type="JU", lines=lines, actor=actor)
        for product, diff, value in plan:
            _move(coop, product, kind="count", qty=diff, value=value, day=entry_day, entry=entry)
        record("shop.count", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=entry.number, products=len(plan))
        return entry

    return _unit_of_work(work, coop)


def _unit_cost(coop: Cooperative, product: Product) -> int:
    if product.qty > 0:
        return issue_cost(product.qty, product.stock_value, 1, _smallest_unit(coop))
    last = db.session.scalar(select(PurchaseLine.unit_cost).where(PurchaseLine.cooperative_id == coop.id,
                                                                   PurchaseLine.product_id == product.id)
                             .order_by(PurchaseLine.id.desc()).limit(1))
    return int(last or 0)


# --- reading -------------------------------------------------------------------------------------

def stock_card(coop: Cooperative, product: Product) -> list[StockMove]:
    """Kartu stok: every move of the product, oldest first, with running quantity and value."""
    return list(db.session.scalars(select(StockMove).where(StockMove.cooperative_id == coop.id, StockMove.product_id == product.id)
                                   .order_by(StockMove.id)))


def _inventory_check(coop: Cooperative) -> list[str]:
    """``koppontren check``: each inventory account equals the stock values of its unit's products,
    and each product's quantity and value equal the sums of its moves."""
    problems = []
    totals = queries.account_totals(coop)
    for unit, roles in UNIT_ROLES.items():
        account = chart.account_for(coop, roles[0])
        debit, credit = totals.get(account.id, (0, 0))
        stock = int(db.session.scalar(select(func.coalesce(func.sum(Product.stock_value), 0)).where(
            Product.cooperative_id == coop.id, Product.business_unit == unit)))
        if debit - credit != stock:
            problems.append(integrity.Problem(f"account {account.code}: balance {debit - credit} sen ≠ stock value {stock} sen",
                                              _l("akun %(code)s: saldo %(balance)s sen ≠ nilai stok %(stock)s sen",
                                                 code=account.code, balance=debit - credit, stock=stock)))
    rows = db.session.execute(
        select(Product.sku, Product.qty, Product.stock_value, func.coalesce(func.sum(StockMove.qty), 0),
               func.coalesce(func.sum(StockMove.value), 0))
        .outerjoin(StockMove, (StockMove.cooperative_id == Product.cooperative_id) & (StockMove.product_id == Product.id))
        .where(Product.cooperative_id == coop.id).group_by(Product.id, Product.sku, Product.qty, Product.stock_value))
    for sku, qty, value, moved_qty, moved_value in rows:
        if qty != moved_qty or value != moved_value:
            problems.append(integrity.Problem(f"product {sku}: stock {qty} / {value} sen ≠ moves {moved_qty} / {moved_value} sen",
                                              _l("produk %(sku)s: stok %(qty)s / %(value)s sen ≠ mutasi %(moved_qty)s / %(moved_value)s sen",
                                                 sku=sku, qty=qty, value=value, moved_qty=moved_qty, moved_value=moved_value)))
    return problems


integrity.register_check("inventory equals stock values", _inventory_check, _l("Persediaan sama dengan nilai stok"))
