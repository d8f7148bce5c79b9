"""Product import (impor produk) from a CSV or XLSX file — all or nothing, like the member import.

Every row is checked before anything is written and every problem is reported as
``RowProblem(row, column, problem)`` (spreadsheet row numbers, the header is row 1; columns named
as the file names them): the catalogue's own rules (``services._clean_product``), and SKUs or
barcodes used twice in the file or already in the catalogue. A clean file creates every product in
one transaction with one audit event; a refused file or a dry run writes nothing. Products start
with no stock: stock comes in through purchases (or a stock count), so the books stay whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from koppontren import imports, money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.extensions import db
from koppontren.imports import RowProblem, cell_amount, cell_text, header_key, map_columns, money_message
from koppontren.shop.catalogue import BUSINESS_UNIT_LABELS
from koppontren.shop.models import Product
from koppontren.shop.services import ProductData, ShopError, _clean_product, shop_command
from koppontren.tenancy.models import Cooperative

MAX_ROWS = 5_000
#: column -> accepted header names (lower-cased, spaces and hyphens read as "_"); the first is the
#: one the template and the messages use.
HEADERS = {
    "sku": ("sku", "kode"),
    "barcode": ("barcode", "kode_batang"),
    "name": ("nama", "name"),
    "unit": ("satuan", "unit"),
    "category": ("kategori", "category"),
    "business_unit": ("unit_usaha", "business_unit"),
    "price": ("harga", "price", "harga_jual"),
    "member_price": ("harga_anggota", "member_price"),
}
REQUIRED_COLUMNS = ("sku", "name", "price")

ACTION_LABELS.update({"shop.products_imported": _l("Produk diimpor")})


class ProductImportError(ShopError):
    """The file was refused whole; ``problems`` lists every problem of every bad row."""

    def __init__(self, message, problems: list[RowProblem]):
        super().__init__("invalid_file", message, {f"row {p.row}": f"{p.column}: {p.problem}" for p in problems[:200]})
        self.problems = problems


@dataclass(frozen=True)
class ImportRow:
    """One checked row: the product's column values as the catalogue stores them (prices in sen)."""

    row: int
    values: dict


@dataclass(frozen=True)
class ImportPlan:
    """What a file would create (the dry run shows it), in file order."""

    rows: list[ImportRow]

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class ImportResult:
    """What a real import stored: the new products' SKUs in file order."""

    skus: list[str]

    @property
    def count(self) -> int:
        return len(self.skus)


def _unit_names() -> dict[str, str]:
    """Every name a business unit may be written as (code, Indonesian or English label)."""
    names = {"toko": "toko", "produk": "produk", "waserda": "toko", "shop": "toko", "produk_pesantren": "produk",
             "pesantren": "produk", "products": "produk"}
    for locale in ("id", "en"):
        with force_locale(locale):
            for code, label in BUSINESS_UNIT_LABELS.items():
                names[header_key(label)] = code
    return names


def _columns(header_row: list[object]) -> tuple[dict[str, int], dict[str, str], list[RowProblem]]:
    return map_columns(header_row, HEADERS, REQUIRED_COLUMNS)


class _RowChecker:
    """Checks rows against the catalogue's rules, the catalogue's SKUs and barcodes, and the rows
    before it."""

    def __init__(self, coop: Cooperative, columns: dict[str, int]):
        self.coop, self.columns = coop, columns
        self.units = _unit_names()
        self.taken_skus: set[str] = set()
        self.taken_barcodes: set[str] = set()
        for sku, barcode in db.session.execute(select(Product.sku, Product.barcode).where(Product.cooperative_id == coop.id)):
            self.taken_skus.add(sku)
            if barcode:
                self.taken_barcodes.add(barcode)
        self.seen_skus: dict[str, int] = {}
        self.seen_barcodes: dict[str, int] = {}

    def check(self, n: int, raw: list[object]) -> tuple[ImportRow | None, dict[str, str]]:
        found: dict[str, str] = {}

        def bad(key: str, message) -> None:
            found.setdefault(key, str(message))

        def cell(key: str):
            i = self.columns.get(key)
            return raw[i] if i is not None and i < len(raw) else None

        prices: dict[str, Decimal | None] = {}
        for key in ("price", "member_price"):
            value = cell(key)
            if key == "price" and cell_text(value) == "":
                bad(key, _l("Harga wajib diisi."))
                prices[key] = Decimal(0)
                continue
            try:
                prices[key] = None if cell_text(value) == "" else cell_amount(value, self.coop.currency_decimals)
            except money.MoneyError as err:
                prices[key] = Decimal(0)
                bad(key, money_message(err))
        unit_text = cell_text(cell("business_unit"))
        business_unit = self.units.get(header_key(unit_text), unit_text) if unit_text else "toko"
        data = ProductData(sku=cell_text(cell("sku")), name=cell_text(cell("name")), price=prices["price"], member_price=prices["member_price"],
                           unit=cell_text(cell("unit")) or "pcs", category=cell_text(cell("category")) or None, business_unit=business_unit,
                           barcode=cell_text(cell("barcode")) or None)
        self._check_duplicates(n, data, bad)
        values = None
        try:
            values = _clean_product(self.coop, data)
        except ShopError as err:
            for key, message in err.fields.items():
                bad(key, message)
        if found:
            return None, found
        return ImportRow(n, values), found

    def _check_duplicates(self, n: int, data: ProductData, bad) -> None:
        """SKUs and barcodes already in the catalogue or on an earlier row (looked for even when
        another column of the row is bad: every problem is reported)."""
        sku = (data.sku or "").strip()
        if sku:
            if sku in self.taken_skus:
                bad("sku", _l("SKU %(s)s sudah dipakai.", s=sku))
            elif sku in self.seen_skus:
                bad("sku", _l("SKU %(s)s juga ada di baris %(r)s.", s=sku, r=self.seen_skus[sku]))
            else:
                self.seen_skus[sku] = n
        barcode = re.sub(r"\s", "", data.barcode or "")
        if barcode:
            if barcode in self.taken_barcodes:
                bad("barcode", _l("Barcode %(b)s sudah dipakai produk lain.", b=barcode))
            elif barcode in self.seen_barcodes:
                bad("barcode", _l("Barcode %(b)s juga ada di baris %(r)s.", b=barcode, r=self.seen_barcodes[barcode]))
            else:
                self.seen_barcodes[barcode] = n


def _too_many_rows() -> ProductImportError:
    return ProductImportError(_l("Berkas ditolak: paling banyak %(n)s baris produk dalam satu berkas.", n=MAX_ROWS),
                              [RowProblem(MAX_ROWS + 2, "-", str(_l("Terlalu banyak baris.")))])


def _read(data: bytes, filename: str) -> list[list[object]]:
    """The file's rows (``koppontren.imports``: streamed, reading stops at the first row past MAX_ROWS)."""
    try:
        return imports.read_table(data, filename, max_rows=MAX_ROWS)
    except imports.TooManyRowsError:
        raise _too_many_rows() from None
    except imports.ImportFileError as err:
        raise ShopError(err.code, err.message, err.fields) from None


def check_rows(coop: Cooperative, table: list[list[object]]) -> list[ImportRow]:
    """Check every row of a read table; return the rows, or raise ProductImportError listing every
    problem of every row. Reads only."""
    if not table:
        raise ProductImportError(_l("Berkas kosong."), [RowProblem(1, "-", str(_l("Tidak ada baris.")))])
    columns, labels, problems = _columns(table[0])
    if problems:
        raise ProductImportError(_l("Berkas ditolak: baris judul kolom bermasalah. Tidak ada yang disimpan."), problems)
    body = table[1:]
    if len(body) > MAX_ROWS:
        raise _too_many_rows()
    checker = _RowChecker(coop, columns)
    order = list(HEADERS)
    rows: list[ImportRow] = []
    for n, raw in enumerate(body, start=2):
        if all(cell_text(v) == "" for v in raw):
            continue
        row, found = checker.check(n, raw)
        if row is not None:
            rows.append(row)
        problems.extend(RowProblem(n, labels.get(key, key), message)
                        for key, message in sorted(found.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99))
    if problems:
        raise ProductImportError(_l("Berkas ditolak: %(n)s baris bermasalah. Tidak ada yang disimpan.", n=len({p.row for p in problems})),
                                 problems)
    if not rows:
        raise ProductImportError(_l("Berkas ditolak: tidak ada baris produk."), [RowProblem(2, "-", str(_l("Tidak ada baris produk.")))])
    return rows


@shop_command("shop.products.import")
def import_products(coop: Cooperative, data: bytes, filename: str, *, dry_run: bool, actor=None) -> ImportPlan | ImportResult:
    """Import a product file, all or nothing, in one unit of work. ``dry_run`` returns the ImportPlan
    and writes nothing; otherwise returns the ImportResult.

    Raises ProductImportError listing every bad row, or ShopError(``invalid_file`` | ``conflict``).
    """
    plan = ImportPlan(check_rows(coop, _read(data, filename)))
    if dry_run:
        return plan
    try:
        db.session.add_all(Product(cooperative_id=coop.id, qty=0, stock_value=0, active=True, **row.values) for row in plan.rows)
        db.session.flush()
    except IntegrityError:
        raise ShopError("conflict", _l("Katalog berubah selama impor (SKU atau barcode baru dipakai); ulangi impor.")) from None
    skus = [row.values["sku"] for row in plan.rows]
    record("shop.products_imported", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), count=len(skus),
           first=skus[0], last=skus[-1])
    return ImportResult(skus)


def template_rows() -> list[list[object]]:
    """The template's header and two example rows (one per business unit)."""
    return [
        [names[0] for names in HEADERS.values()],
        ["BRS-5", "8991234500011", "Beras 5 kg", "karung", "Sembako", "toko", "75.000", "72.000"],
        ["KOPI-PP", "", "Kopi Pesantren 250 g", "bungkus", "Produk santri", "produk", "30.000", ""],
    ]
