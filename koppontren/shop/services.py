"""Shop services: catalogue and parties, purchases, sales and sales returns, stock counts — each
one unit of work that locks what it changes (member, then products in id order, then the ledger),
posts one entry through ``ledger.posting`` and moves the stock in the same transaction.

Valuation is moving average (RULES.md §3): a purchase adds its cost; issuing q of Q units worth V
costs round(V × q / Q) in the cooperative's smallest unit, the last unit exactly what is left, so
the inventory account always equals the sum of the products' stock values (``koppontren check``).
Refusals raise ShopError and write nothing.
"""

from __future__ import annotations

import functools
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
from koppontren.ledger import chart, integrity, queries
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.posting import post_entry
from koppontren.members import services as members
from koppontren.operations import OperationConflict, command, unit_of_work
from koppontren.shop import payments, postings
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
from koppontren.shop.postings import RETURN_ROLES, UNIT_ROLES
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
        entry = post_entry(coop, source="shop", internal_subledgers=frozenset({"product"}) | internal, **kw)
    except LedgerError as err:
        raise ShopError(err.code, err.message, err.fields) from None
    if getattr(entry, "was_replayed", False):  # the key is the command's, claimed first: only an entry posted before operation keys can hold it
        raise ShopError("idempotency_conflict", _l("Kunci idempotensi ini sudah dipakai untuk jurnal %(n)s.", n=entry.number),
                        {"idempotency_key": _l("Sudah dipakai.")})
    return entry


def shop_command(operation: str):
    """Declare a shop service as the command ``operation`` (``koppontren.operations.command``): one
    unit of work, and with an ``idempotency_key`` at most one run per key — the same key with other
    arguments is refused as ShopError(``idempotency_conflict``), the shop's one error type. The
    result (when it is a mapped instance) and the cooperative stay loaded across the commit with the
    values they had in it: the caller's answer (a sale's voucher and total, the cooperative's slug
    and decimals) then costs no reload. Inside another unit of work it joins it."""
    def decorate(fn):
        inner = command(operation)(fn)

        @functools.wraps(fn)
        def run(coop, *args, **kwargs):
            try:
                with unit_of_work():
                    result = inner(coop, *args, **kwargs)
                    loaded = _loaded_values(result, coop)
            except OperationConflict as err:
                raise ShopError(err.code, err.message, err.fields) from None
            for state, values in loaded:
                for key, value in values.items():
                    set_committed_value(state.obj(), key, value)
            return result

        run.operation = operation  # type: ignore[attr-defined]
        return run
    return decorate


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

@shop_command("shop.party.create")
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


def clean_product(coop: Cooperative, data: ProductData, existing: Product | None = None) -> dict:
    """The product's stored values from what was typed. Raises ShopError(``invalid_field``) naming
    every wrong field; a SKU or barcode another product has is wrong too."""
    values, problems = _product_values(data)
    try:
        values["price"] = _sen(coop, data.price, "price")
        values["member_price"] = None if data.member_price is None else _sen(coop, data.member_price, "member_price")
    except ShopError as err:
        problems.update(err.fields)
    if not problems:
        problems = _taken(coop, values["sku"], values["barcode"], existing.id if existing else -1)
    if problems:
        raise ShopError("invalid_field", next(iter(problems.values())), problems)
    return values


def _product_values(data: ProductData) -> tuple[dict, dict]:
    """(the text fields cleaned, problems by field)."""
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
    if data.business_unit not in BUSINESS_UNITS:
        problems["business_unit"] = _l("Unit usaha: toko atau produk pesantren.")
    values = {"sku": sku, "name": name, "barcode": barcode, "unit": (data.unit or "pcs").strip()[:20] or "pcs",
              "category": (data.category or "").strip()[:60] or None, "business_unit": data.business_unit}
    return values, problems


def _taken(coop: Cooperative, sku: str, barcode: str | None, own: int) -> dict:
    """Problems of a SKU or barcode that another product of the cooperative already has."""
    problems = {}
    if db.session.scalar(select(Product.id).where(Product.cooperative_id == coop.id, Product.sku == sku, Product.id != own)):
        problems["sku"] = _l("SKU %(s)s sudah dipakai.", s=sku)
    if barcode and db.session.scalar(select(Product.id).where(Product.cooperative_id == coop.id, Product.barcode == barcode,
                                                              Product.id != own)):
        problems["barcode"] = _l("Barcode %(b)s sudah dipakai produk lain.", b=barcode)
    return problems


@shop_command("shop.product.create")
def create_product(coop: Cooperative, data: ProductData, *, actor=None) -> Product:
    product = Product(cooperative_id=coop.id, qty=0, stock_value=0, active=True, **clean_product(coop, data))
    db.session.add(product)
    db.session.flush()
    record("shop.product", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), sku=product.sku)
    return product


@shop_command("shop.product.update")
def update_product(coop: Cooperative, product: Product, data: ProductData, *, active: bool = True, actor=None) -> Product:
    """Change a product's details; the business unit is fixed once it has stock moves (its value
    sits in that unit's inventory account)."""
    values = clean_product(coop, data, existing=product)
    if values["business_unit"] != product.business_unit and _has_moves(coop, product.id):
        raise _error("invalid_field", _l("Unit usaha produk yang sudah punya mutasi stok tidak bisa diganti."), "business_unit")
    for key, value in values.items():
        setattr(product, key, value)
    product.active = bool(active)
    record("shop.product", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), sku=product.sku)
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


@shop_command("shop.credit_limit.set")
def set_credit_limit(coop: Cooperative, category: str, amount: Decimal, *, actor=None) -> None:
    if category not in members.CATEGORIES:
        raise _error("invalid_field", _l("Kategori tidak dikenal."), "category")
    row = db.session.scalar(select(CreditLimit).where(CreditLimit.cooperative_id == coop.id, CreditLimit.category == category))
    if row is None:
        row = CreditLimit(cooperative_id=coop.id, category=category)
        db.session.add(row)
    row.amount = _sen(coop, amount, "amount")


def credit_limit(coop: Cooperative, category: str) -> int:
    return int(db.session.scalar(select(CreditLimit.amount).where(CreditLimit.cooperative_id == coop.id,
                                                                  CreditLimit.category == category)) or 0)


# --- stock helpers -------------------------------------------------------------------------------

def _lock_products(coop: Cooperative, ids, *, cashier_day: tuple | None = None, unknown=None) -> dict[int, Product]:
    """Lock the products' rows in id order (two sales never deadlock); refuse unknown ids (with the
    ShopError ``unknown(missing ids)`` gives, else ``not_found``). With ``cashier_day`` (actor, day),
    first refuse when that cashier closed that day — read by the same statement (a snapshot no older
    than a separate check before it would see)."""
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
        raise unknown(missing) if unknown is not None else _error("not_found", _l("Produk tidak ditemukan."), "product")
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
    values = {**values, "created_at": utcnow()}
    rows = _SaleRows(values, lines, updates, moves, event_values("shop.sale", **audit), entry)
    sale_id = _insert_sale_postgresql(conn, rows) if conn.dialect.name == "postgresql" else _insert_sale_sqlite(conn, rows)
    _keep_in_step(changes, updates)
    sale = sa_inspect(Sale).class_manager.new_instance()
    sale.__dict__.update(values, id=sale_id)
    make_transient_to_detached(sale)
    db.session.add(sale)
    return sale


@dataclass(frozen=True)
class _SaleRows:
    """What ``_write_sale`` inserts: the sale's values, its lines (tuples in sale_line's column order
    from line_no), the products' new stock, the stock moves, the audit event and the entry."""

    values: dict
    lines: list[tuple]
    updates: list[dict]
    moves: list[dict]
    event: dict
    entry: object


def _insert_sale_postgresql(conn, rows: _SaleRows) -> int:
    values, event, entry, now = rows.values, rows.event, rows.entry, rows.values["created_at"]
    coop_id = values["cooperative_id"]
    params = (
        *(values[c] for c in _SALE_COLUMNS),
        coop_id, *([list(column) for column in zip(*rows.lines, strict=True)]),
        [u["id"] for u in rows.updates], [u["qty"] for u in rows.updates], [u["stock_value"] for u in rows.updates], coop_id,
        coop_id, values["sale_date"], "sale", entry.id, entry.number, now,
        *([[m[k] for m in rows.moves] for k in ("product_id", "qty", "value", "qty_after", "value_after")]),
        event["cooperative_id"], event["actor_id"], event["action"], event["login"], event["ip_address"], json.dumps(event["detail"]), now,
    )
    return conn.exec_driver_sql(_SALE_SQL, params).scalar_one()


def _insert_sale_sqlite(conn, rows: _SaleRows) -> int:
    """SQLite stores dates and times as ISO text, as SQLAlchemy writes them (times in UTC, without the offset)."""
    values, event, entry = rows.values, rows.event, rows.entry
    coop_id = values["cooperative_id"]
    day, stamp = values["sale_date"].isoformat(), values["created_at"].replace(tzinfo=None).isoformat(" ", "microseconds")
    sale_id = conn.exec_driver_sql(_SQLITE_SALE, tuple(day if c == "sale_date" else stamp if c == "created_at" else values[c]
                                                       for c in _SALE_COLUMNS)).scalar_one()
    conn.exec_driver_sql(_rows_sql(_SQLITE_LINE, len(rows.lines), 10), tuple(p for ln in rows.lines for p in (coop_id, sale_id, *ln)))
    conn.exec_driver_sql(_SQLITE_STOCK, [(u["qty"], u["stock_value"], coop_id, u["id"]) for u in rows.updates])
    conn.exec_driver_sql(_rows_sql(_SQLITE_MOVE, len(rows.moves), 11), tuple(
        p for m in rows.moves for p in (coop_id, m["product_id"], day, "sale", m["qty"], m["value"], m["qty_after"], m["value_after"],
                                        entry.id, entry.number, stamp)))
    conn.exec_driver_sql(_SQLITE_AUDIT, (event["cooperative_id"], event["actor_id"], event["action"], event["login"],
                                         event["ip_address"], json.dumps(event["detail"]), stamp))
    return sale_id


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
    return _record_purchase(coop, _PurchaseOrder(party_id, tuple(items or ()), payment, day, account_id, invoice), actor=actor,
                            idempotency_key=idempotency_key)


@dataclass(frozen=True)
class _PurchaseOrder:
    party_id: int
    items: tuple[PurchaseItem, ...]
    payment: str
    day: date | None
    account_id: int | None
    invoice: str | None


@shop_command("shop.purchase")
def _record_purchase(coop: Cooperative, order: _PurchaseOrder, *, actor=None, idempotency_key: str | None = None) -> Purchase:
    party = get_party(coop, order.party_id)
    if party is None or party.kind != "supplier":
        raise _error("not_found", _l("Pemasok tidak ditemukan."), "party")
    entry_day = _day(order.day)
    lines = _purchase_lines(coop, order.items)
    products = _lock_products(coop, [pid for _, _, pid in lines])
    consigned = next((products[pid] for _, _, pid in lines if products[pid].consignor_id is not None), None)
    if consigned is not None:
        raise _error("consignment_product", _l("%(p)s barang titipan: terima lewat halaman konsinyasi, bukan pembelian.",
                                               p=consigned.name), "lines")
    total = sum(qty * cost for qty, cost, _ in lines)
    if total <= 0:
        raise _error("invalid_amount", _l("Total pembelian harus lebih dari nol."), "lines")
    settlement = _supplier_settlement(coop, party, order.payment, order.account_id, None)
    bought = [postings.BoughtLine(products[pid].business_unit, qty * cost) for qty, cost, pid in lines]
    invoice = (order.invoice or "").strip()[:60] or None
    description = f"Pembelian dari {party.code} {party.name}" + (f", faktur {invoice}" if invoice else "")
    entry = _post(coop, entry_date=entry_day, description=description[:500], journal_type="PB", actor=actor,
                  idempotency_key=idempotency_key, lines=list(postings.purchase_lines(bought, settlement, _unit_accounts(coop))))
    purchase = Purchase(cooperative_id=coop.id, party_id=party.id, purchase_date=entry_day, payment=order.payment, invoice=invoice,
                        total=total, entry_id=entry.id, voucher=entry.number, created_by_id=getattr(actor, "id", None))
    db.session.add(purchase)
    db.session.flush()
    for n, (qty, cost, pid) in enumerate(lines, start=1):
        db.session.add(PurchaseLine(cooperative_id=coop.id, purchase_id=purchase.id, line_no=n, product_id=pid, qty=qty,
                                    unit_cost=cost, total=qty * cost))
        _move(coop, products[pid], kind="purchase", qty=qty, value=qty * cost, day=entry_day, entry=entry)
    record("shop.purchase", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=entry.number,
           total=str(money.from_sen(total)))
    return purchase


def _purchase_lines(coop: Cooperative, items: tuple[PurchaseItem, ...]) -> list[tuple[int, int, int]]:
    """(qty, unit cost in sen, product id) of each line, checked (fields named ``lines.2.qty``)."""
    if not items or len(items) > MAX_LINES:
        raise _error("invalid_field", _l("Pembelian perlu 1 sampai %(n)s baris.", n=MAX_LINES), "lines")
    return [(_qty(i.qty, f"lines.{n}.qty"), _sen(coop, i.unit_cost, f"lines.{n}.unit_cost"), i.product_id)
            for n, i in enumerate(items, start=1)]


def _unit_accounts(coop: Cooperative) -> dict:
    """The inventory account of each business unit, by role (one query)."""
    return chart.accounts_by_role(coop, [UNIT_ROLES[unit][0] for unit in BUSINESS_UNITS])


def _supplier_settlement(coop: Cooperative, party: Party, payment: str, account_id: int | None,
                         paid_from: int | None) -> postings.Settlement:
    """Where a purchase's money goes (or a purchase return's comes back): 2101 naming the supplier
    for a credit purchase, else the cash or bank account chosen (``account_id``, else ``paid_from``,
    else Kas Besar or the bank)."""
    if payment == "credit":
        return postings.Settlement(chart.account_for(coop, "payable_supplier"), party_id=party.id)
    return postings.Settlement(_pay_account(coop, payment, account_id if account_id is not None else paid_from, "cash"))


# --- sales ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SaleItem:
    """Units of one product; ``unit_price`` (sen), when given, is the price the caller expects: a
    sale at another price is refused (``price_mismatch``) rather than charged silently."""

    product_id: int
    qty: int
    unit_price: int | None = None


@dataclass(frozen=True)
class SaleOrder:
    """What a sale asks for, by ids (``sale_contract`` makes one from the POS's or the API's JSON):
    the lines, the member or the customer (a party), the payment (``cash``, ``bank``, ``credit``
    or a method registered in ``shop.payments`` such as ``wallet`` with the santri's ``card``),
    the cash handed over (rupiah), the day (today when None) and the cash or bank account."""

    items: tuple[SaleItem, ...]
    member_id: int | None = None
    party_id: int | None = None
    payment: str = "cash"
    cash_received: Decimal | None = None
    day: date | None = None
    account_id: int | None = None
    card: str | None = None


@dataclass(frozen=True)
class _Goods:
    """One product of a sale or return as it will be written (sen)."""

    product: Product
    qty: int
    price: int
    cost: int
    commission: int = 0

    @property
    def total(self) -> int:
        return self.qty * self.price

    def line(self) -> postings.GoodsLine:
        return postings.GoodsLine(self.product.business_unit, self.total, self.cost, self.product.consignor_id, self.commission)


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
    The lines are ``postings.sale_lines``. Raises ShopError(``insufficient_stock`` | ``credit_limit`` | …)."""
    order = SaleOrder(tuple(items or ()), member_id, party_id, payment, cash_received, day, account_id, card)
    return record_sale_order(coop, order, actor=actor, idempotency_key=idempotency_key)


@shop_command("shop.sale")
def record_sale_order(coop: Cooperative, order: SaleOrder, *, actor=None, idempotency_key: str | None = None) -> Sale:
    """``record_sale`` of a :class:`SaleOrder`, one unit of work; the same ``idempotency_key`` with
    the same order returns the first sale (``was_replayed``), with another order raises
    OperationConflict (``idempotency_conflict``). Lock order: member, payer (the santri's row),
    products, ledger."""
    entry_day = _day(order.day)
    if not order.items or len(order.items) > MAX_LINES:
        raise _error("invalid_field", _l("Penjualan perlu 1 sampai %(n)s baris.", n=MAX_LINES), "lines")
    payer = _sale_payer(coop, order, actor, entry_day)
    member = _active_member(coop, payer.member_id if payer is not None else order.member_id)
    if payer is not None:
        payer.lock()
    party = _sale_customer(coop, order, member)
    wanted = _wanted(order.items)
    products = _lock_products(coop, wanted, cashier_day=(actor, entry_day),  # and _refuse_after_close
                              unknown=functools.partial(_unknown_product, order.items))
    _check_asked_prices(coop, order.items, products, member)
    goods = _goods_sold(coop, products, wanted, member)
    total = sum(g.total for g in goods)
    if total <= 0:
        raise _error("invalid_amount", _l("Total penjualan harus lebih dari nol."), "lines")
    received = _cash_received(coop, order, total)
    accounts = chart.accounts_by_role(coop, _sale_roles(goods, order, payer))  # one query for every account the entry names
    settlement, internal = _sale_settlement(coop, order, accounts, member, party, payer, goods, entry_day)
    mid = member.id if member is not None else None
    lines = postings.sale_lines(postings.SaleDoc(tuple(g.line() for g in goods), mid, settlement), accounts)
    entry = _post(coop, entry_date=entry_day, description=f"Penjualan kepada {_buyer_label(member, party, payer)}"[:500],
                  journal_type="PJ", lines=list(lines), actor=actor, idempotency_key=idempotency_key, internal=internal)
    sale = _store_sale(coop, entry, goods, day=entry_day, member=member, party=party, payment=order.payment, received=received,
                       actor=actor)
    if payer is not None:
        payer.settle(entry, sale.id)
    return sale


def _store_sale(coop: Cooperative, entry, goods: list[_Goods], *, day: date, member, party, payment: str, received: int | None,
                actor) -> Sale:
    """The sale's row, lines, stock moves and audit event for its posted ``entry`` (``_write_sale``)."""
    total = sum(g.total for g in goods)
    values = {"cooperative_id": coop.id, "sale_date": day, "member_id": member.id if member else None,
              "party_id": party.id if party else None, "payment": payment, "total": total, "cost": sum(g.cost for g in goods),
              "cash_received": received, "returns_sale_id": None, "entry_id": entry.id, "voucher": entry.number,
              "cashier_id": getattr(actor, "id", None)}
    rows = [(n, g.product.id, g.qty, g.price, g.total, g.cost, g.product.consignor_id, g.commission) for n, g in enumerate(goods, start=1)]
    audit = {"cooperative_id": coop.id, "actor_id": getattr(actor, "id", None), "number": entry.number,
             "total": str(money.from_sen(total)), "member": member.number if member else None}
    return _write_sale(coop, values, rows, [(g.product, -g.qty, -g.cost) for g in goods], audit, entry=entry)


def _sale_payer(coop: Cooperative, order: SaleOrder, actor, day: date):
    """The payer of a payment method registered in ``shop.payments`` (the santri's card), or None
    for cash, bank and credit."""
    if order.payment in ("cash", "bank", "credit"):
        return None
    method = payments.get(order.payment)
    if method is None:
        raise _error("invalid_payment", _l("Cara bayar tidak dikenal."), "payment")
    if order.party_id is not None or order.account_id is not None:
        raise _error("invalid_payment", _l("Pembayaran dompet santri tanpa pelanggan atau akun kas."), "payment")
    payer = method.payer(coop, card=order.card, actor=actor, day=day)
    if order.member_id is not None and order.member_id != payer.member_id:
        raise _error("invalid_field", _l("Anggota tidak sesuai dengan kartu santri."), "member")
    return payer


def _active_member(coop: Cooperative, member_id: int | None):
    """The buying member, locked (their credit and participation change); None for a non-member."""
    if member_id is None:
        return None
    member = members.lock_member(coop, member_id)
    if member is None:
        raise _error("not_found", _l("Anggota tidak ditemukan."), "member")
    if member.status != "aktif":
        raise _error("not_active", _l("Anggota %(n)s sudah tidak aktif.", n=member.number), "member")
    return member


def _sale_customer(coop: Cooperative, order: SaleOrder, member) -> Party | None:
    """The customer the sale names, if any; credit needs a member or an active customer."""
    party = None
    if order.party_id is not None:
        party = get_party(coop, order.party_id)
        if party is None or party.kind != "customer":
            raise _error("not_found", _l("Pelanggan tidak ditemukan."), "party")
    if order.payment == "credit" and member is None and party is None:
        raise _error("member_required", _l("Penjualan kredit hanya untuk anggota atau pelanggan terdaftar."), "payment")
    if order.payment == "credit" and member is None and not party.active:
        raise _error("not_active", _l("Pelanggan %(c)s sudah tidak aktif.", c=party.code), "party")
    return party


def _wanted(items, *, empty_message=None) -> dict[int, int]:
    """product_id -> units asked for, the lines of one product added up (quantities checked, the
    field named by line: ``lines.2.qty``)."""
    wanted: dict[int, int] = {}
    for n, item in enumerate(items or (), start=1):
        wanted[item.product_id] = wanted.get(item.product_id, 0) + _qty(item.qty, f"lines.{n}.qty")
    if not wanted and empty_message is not None:
        raise _error("invalid_field", empty_message, "lines")
    return wanted


def _unknown_product(items: tuple[SaleItem, ...], missing: list[int]) -> ShopError:
    """The first line naming a product this cooperative does not have (a sale's lines say
    ``unknown_product``, like a SKU the sale contract cannot find)."""
    n, item = next((n, item) for n, item in enumerate(items, start=1) if item.product_id in missing)
    return _error("unknown_product", _l("Produk %(s)s tidak ada.", s=item.product_id), f"lines.{n}.product_id", _l("Tidak ada."))


def _price(product: Product, member) -> int:
    """The unit price that applies (sen): the member price for a member, where the product has one."""
    return product.member_price if member is not None and product.member_price is not None else product.price


def _check_asked_prices(coop: Cooperative, items, products: dict[int, Product], member) -> None:
    for n, item in enumerate(items, start=1):
        applies = _price(products[item.product_id], member)
        if item.unit_price is not None and item.unit_price != applies:
            raise _error("price_mismatch", _l("Harga %(p)s sekarang %(a)s.", p=products[item.product_id].name,
                                              a=str(money.quantize(money.from_sen(applies), coop.currency_decimals))),
                         f"lines.{n}.unit_price", _l("Bukan harga yang berlaku."))


def _goods_sold(coop: Cooperative, products: dict[int, Product], wanted: dict[int, int], member) -> list[_Goods]:
    """Each product at the price that applies (the member price for a member), its cost at moving
    average — or, for a consignment product, no cost and the commission."""
    goods = []
    for pid, qty in wanted.items():
        product = products[pid]
        if not product.active:
            raise _error("inactive_product", _l("Produk %(p)s tidak dijual lagi.", p=product.name), "product")
        if qty > product.qty:
            raise _error("insufficient_stock", _l("Stok %(p)s tidak cukup: tersedia %(q)s %(u)s.", p=product.name, q=product.qty,
                                                  u=product.unit), "qty")
        price = _price(product, member)
        if product.consignor_id is None:
            goods.append(_Goods(product, qty, price, issue_cost(product.qty, product.stock_value, qty, _smallest_unit(coop))))
        else:
            goods.append(_Goods(product, qty, price, 0, consignment_commission(coop, qty * price, product.commission_bp)))
    return goods


def _cash_received(coop: Cooperative, order: SaleOrder, total: int) -> int | None:
    """The cash handed over (sen) for a cash sale that names it; never less than the total."""
    if order.payment != "cash" or order.cash_received is None:
        return None
    received = _sen(coop, order.cash_received, "cash_received")
    if received < total:
        raise _error("cash_short", _l("Uang diterima kurang dari total %(t)s.",
                                      t=money.format_idr(money.from_sen(total), coop.currency_decimals)), "cash_received")
    return received


def _goods_roles(goods: list[_Goods], *, member: bool | None = None) -> set[str]:
    """The chart roles the goods' lines name: their units' accounts, the consignment accounts, and
    (``member`` given, for a return) the returns account."""
    roles = {role for g in goods if g.product.consignor_id is None for role in UNIT_ROLES[g.product.business_unit]}
    if any(g.product.consignor_id is not None for g in goods):
        roles |= {"payable_consignment", "consignment_commission"}
    if member is not None:
        roles.add(RETURN_ROLES[member])
    return roles


def _sale_roles(goods: list[_Goods], order: SaleOrder, payer) -> set[str]:
    roles = _goods_roles(goods) | {"receivable_member", "receivable_nonmember"}
    if order.payment in ("cash", "bank") and payer is None and order.account_id is None:
        roles.add("till" if order.payment == "cash" else "bank")
    return roles


def _sale_settlement(coop: Cooperative, order: SaleOrder, accounts: dict, member, party, payer, goods: list[_Goods],
                     day: date) -> tuple[postings.Settlement, frozenset[str]]:
    """Where the sale's money goes, and the subledgers the posting must allow for it: the payer's
    account (its charge checks balance and limits), the member's receivable within their credit
    limit, the customer's receivable, or the till or bank (or the cash account chosen)."""
    total = sum(g.total for g in goods)
    if payer is not None:
        charge = payer.charge(total, [(g.product.category, g.total) for g in goods], day)
        return postings.Settlement.of(charge.line), charge.internal_subledgers
    if order.payment == "credit" and member is None:  # a known customer: no credit limit (RULES.md has none)
        return postings.Settlement(accounts["receivable_nonmember"], party_id=party.id), frozenset()
    if order.payment == "credit":
        _check_credit_limit(coop, member, accounts["receivable_member"], total)
        return postings.Settlement(accounts["receivable_member"], member_id=member.id), frozenset()
    if order.account_id is None:
        return postings.Settlement(accounts["till" if order.payment == "cash" else "bank"]), frozenset()
    return postings.Settlement(_pay_account(coop, order.payment, order.account_id, "till")), frozenset()


def _check_credit_limit(coop: Cooperative, member, receivable, total: int) -> None:
    owed = sum(queries.member_balances(coop, [receivable.id], [member.id]).get(member.id, {}).values())
    limit = credit_limit(coop, member.category)
    if owed + total > limit:
        raise _error("credit_limit", _l("Batas kredit %(n)s %(l)s; piutang sekarang %(o)s.", n=member.number,
                                        l=money.format_idr(money.from_sen(limit), coop.currency_decimals),
                                        o=money.format_idr(money.from_sen(owed), coop.currency_decimals)), "payment")


def _buyer_label(member, party, payer) -> str:
    """Who bought, for the entry's description: the member, the customer or "umum", and the payer."""
    who = f"{member.number} {member.name}" if member else (f"{party.code} {party.name}" if party else "umum")
    if payer is None:
        return who
    return f"{who} ({payer.label})" if member else payer.label


def sale_lines(coop: Cooperative, sale: Sale) -> list[SaleLine]:
    return list(db.session.scalars(select(SaleLine).where(SaleLine.cooperative_id == coop.id, SaleLine.sale_id == sale.id)
                                   .order_by(SaleLine.line_no)))


def change_due(sale: Sale) -> int | None:
    """Change to hand back (sen) for a cash sale where the cash received was entered."""
    if sale.payment != "cash" or sale.cash_received is None:
        return None
    return sale.cash_received - sale.total


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
    The lines are ``postings.sale_return_lines``.
    Raises ShopError(``consignment_changed``) when the product no longer belongs to that consignor."""
    return _record_sale_return(coop, _ReturnRequest(sale_id, tuple(items or ()), day, account_id), actor=actor,
                               idempotency_key=idempotency_key)


@dataclass(frozen=True)
class _ReturnRequest:
    sale_id: int
    items: tuple[SaleItem, ...]
    day: date | None
    account_id: int | None


@shop_command("shop.sale_return")
def _record_sale_return(coop: Cooperative, request: _ReturnRequest, *, actor=None, idempotency_key: str | None = None) -> Sale:
    """Lock order, as a sale's: the buyer (member or customer), the payer, the sale, the products."""
    original = get_sale(coop, request.sale_id)
    if original is None or original.returns_sale_id is not None:
        raise _error("not_found", _l("Penjualan tidak ditemukan."), "sale")
    entry_day = _day(request.day)
    if entry_day < original.sale_date:
        raise _error("invalid_date", _l("Tanggal retur tidak boleh sebelum tanggal penjualan."), "date")
    _lock_buyer_of(coop, original)
    payer = _return_payer(coop, original, actor, entry_day)
    # the sale's row is locked before its returns are counted: two returns of one sale queue here
    db.session.execute(select(Sale.id).where(Sale.cooperative_id == coop.id, Sale.id == original.id).with_for_update())
    _refuse_after_close(coop, actor, entry_day)
    goods = _goods_returned(coop, original, _wanted(request.items, empty_message=_l("Pilih barang yang diretur.")))
    is_member = original.member_id is not None
    accounts = chart.accounts_by_role(coop, _goods_roles(goods, member=is_member))
    settlement, internal = _return_settlement(coop, original, payer, goods, request.account_id, entry_day)
    lines = postings.sale_return_lines(postings.SaleDoc(tuple(g.line() for g in goods), original.member_id, settlement), accounts)
    entry = _post(coop, entry_date=entry_day, description=f"Retur penjualan {original.voucher}", journal_type="PJ", lines=list(lines),
                  actor=actor, idempotency_key=idempotency_key, internal=internal)
    ret = Sale(cooperative_id=coop.id, sale_date=entry_day, member_id=original.member_id, party_id=original.party_id,
               payment=original.payment, total=sum(g.total for g in goods), cost=sum(g.cost for g in goods), returns_sale_id=original.id,
               entry_id=entry.id, voucher=entry.number, cashier_id=getattr(actor, "id", None))
    db.session.add(ret)
    db.session.flush()
    for n, g in enumerate(goods, start=1):
        db.session.add(SaleLine(cooperative_id=coop.id, sale_id=ret.id, line_no=n, product_id=g.product.id, qty=g.qty,
                                unit_price=g.price, total=g.total, cost=g.cost, consignor_id=g.product.consignor_id,
                                commission=g.commission))
        _move(coop, g.product, kind="sale_return", qty=g.qty, value=g.cost, day=entry_day, entry=entry)
    if payer is not None:
        payer.settle(entry, ret.id)
    record("shop.sale_return", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=entry.number,
           original=original.voucher)
    return ret


def _lock_buyer_of(coop: Cooperative, sale: Sale) -> None:
    """Lock the row whose balance a return changes: the member, or a credit customer (as a pelunasan does)."""
    if sale.member_id is not None:
        members.lock_member(coop, sale.member_id)
    elif sale.payment == "credit" and sale.party_id is not None:
        lock_party(coop, sale.party_id)


def _return_payer(coop: Cooperative, sale: Sale, actor, day: date):
    """The payment method's payer to credit back (a wallet sale's santri), locked; None for cash, bank, credit."""
    if sale.payment in ("cash", "bank", "credit"):
        return None
    method = payments.get(sale.payment)
    if method is None:
        raise _error("invalid_payment", _l("Cara bayar tidak dikenal."), "payment")
    payer = method.returner(coop, sale, actor=actor, day=day)
    payer.lock()  # after the member, before the products: a sale's order
    return payer


def _goods_returned(coop: Cooperative, original: Sale, wanted: dict[int, int]) -> list[_Goods]:
    """The returned units of each product at the sale's price, with their share of the line's cost
    (and commission): the last units take what is left. Never more than was sold less what came back."""
    sold = {ln.product_id: ln for ln in sale_lines(coop, original)}
    back = returned_qty(coop, original)
    for pid, qty in wanted.items():
        line = sold.get(pid)
        if line is None or qty > line.qty - back.get(pid, 0):
            raise _error("return_too_much", _l("Retur melebihi jumlah yang dijual."), "lines")
    products = _lock_products(coop, wanted)
    unit = _smallest_unit(coop)
    goods = []
    for pid, qty in wanted.items():
        line, left = sold[pid], sold[pid].qty - back.get(pid, 0)
        if products[pid].consignor_id != line.consignor_id:
            raise _error("consignment_changed", _l("%(p)s sudah berganti status titipan sejak dijual: retur tidak bisa dicatat.",
                                                   p=products[pid].name), "lines")
        cost = issue_cost(left, line.cost - _returned_cost(coop, original, pid), qty, unit)
        commission = 0 if line.consignor_id is None else issue_cost(
            left, line.commission - _returned_cost(coop, original, pid, SaleLine.commission), qty, unit)
        goods.append(_Goods(products[pid], qty, line.unit_price, cost, commission))
    return goods


def _return_settlement(coop: Cooperative, original: Sale, payer, goods: list[_Goods], account_id: int | None,
                       day: date) -> tuple[postings.Settlement, frozenset[str]]:
    """Where the refund comes from: the payer (back into the santri's wallet), off the member's or
    the customer's receivable for a credit sale, else the till or bank (or the account chosen)."""
    refund = sum(g.total for g in goods)
    if payer is not None:
        charge = payer.charge(refund, [(g.product.category, g.total) for g in goods], day)
        return postings.Settlement.of(charge.line), charge.internal_subledgers
    if original.payment == "credit" and original.member_id is not None:
        return postings.Settlement(chart.account_for(coop, "receivable_member"), member_id=original.member_id), frozenset()
    if original.payment == "credit":  # a customer's credit sale: back off their 1122 receivable
        return postings.Settlement(chart.account_for(coop, "receivable_nonmember"), party_id=original.party_id), frozenset()
    return postings.Settlement(_pay_account(coop, original.payment, account_id, "till")), frozenset()


def _returned_cost(coop: Cooperative, sale: Sale, product_id: int, column=SaleLine.cost) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(column), 0)).join(Sale, (Sale.cooperative_id == SaleLine.cooperative_id) & (Sale.id == SaleLine.sale_id))
        .where(SaleLine.cooperative_id == coop.id, Sale.returns_sale_id == sale.id, SaleLine.product_id == product_id)))


# --- stock count ---------------------------------------------------------------------------------

def record_count(coop: Cooperative, counted: dict[int, int], *, day: date | None = None, actor=None):
    """Stock opname: counted quantities per product; every difference is posted to 5301 Selisih
    Persediaan in one entry (``postings.count_lines``: shortages at moving average; a surplus at the
    current average cost, or the last purchase cost when the product had no stock). Returns the
    entry, or None if all agree."""
    return _record_count(coop, dict(counted), day, actor=actor)


@shop_command("shop.stock_count")
def _record_count(coop: Cooperative, counted: dict[int, int], day: date | None, *, actor=None):
    entry_day = _day(day)
    for pid, qty in counted.items():
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= MAX_QTY:
            raise _error("invalid_qty", _l("Jumlah hitung harus bilangan bulat nol atau lebih."), f"count.{pid}")
    products = _lock_products(coop, counted)
    plan = [(products[pid], counted[pid] - products[pid].qty) for pid in sorted(counted) if counted[pid] != products[pid].qty]
    if not plan:
        return None
    plan = [(product, diff, _difference_value(coop, product, diff)) for product, diff in plan]
    lines = postings.count_lines([postings.CountedDifference(p.business_unit, value) for p, _, value in plan],
                                 chart.accounts_by_role(coop, {UNIT_ROLES[unit][0] for unit in BUSINESS_UNITS} | {"stock_adjustment"}))
    if not lines:
        raise _error("invalid_amount", _l("Selisih hitung tanpa nilai: catat pembelian dulu untuk memberi harga pokok."), "count")
    entry = _post(coop, entry_date=entry_day, description="Stok opname: selisih persediaan", journal_type="JU", lines=list(lines), actor=actor)
    for product, diff, value in plan:
        _move(coop, product, kind="count", qty=diff, value=value, day=entry_day, entry=entry)
    record("shop.count", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=entry.number, products=len(plan))
    return entry


def _difference_value(coop: Cooperative, product: Product, diff: int) -> int:
    """A shortage leaves at moving average; a surplus comes in at the unit cost (``_unit_cost``)."""
    if diff < 0:
        return -issue_cost(product.qty, product.stock_value, -diff, _smallest_unit(coop))
    return diff * _unit_cost(coop, product)


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


def inventory_check(coop: Cooperative) -> list[str]:
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
