"""Product import (impor produk) from a CSV or XLSX file — all or nothing, like every import.

Built on the import framework (``koppontren.imports``): ``SPEC`` names the columns, the one reader
reads the file, and every row is checked before anything is written — the catalogue's own rules
(``services.clean_product``), and SKUs or barcodes used twice in the file or already in the
catalogue — each problem reported as ``RowProblem(row, column, problem)``. A clean file creates
every product in one transaction with one audit event; a refused file or a dry run writes nothing.
Products start with no stock: stock comes in through purchases (or a stock count), so the books
stay whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koppontren.audit.services import ACTION_LABELS, record
from koppontren.extensions import db
from koppontren.imports import Column, ImportSpec, Row, RowsRefusedError, Unique, header_key, is_blank, run_import
from koppontren.shop.catalogue import BUSINESS_UNIT_LABELS
from koppontren.shop.models import Product
from koppontren.shop.services import ProductData, ShopError, clean_product
from koppontren.tenancy.models import Cooperative

MAX_ROWS = 5_000

ACTION_LABELS.update({"shop.products_imported": _l("Produk diimpor")})


class ProductImportError(RowsRefusedError, ShopError):
    """The file was refused whole; ``problems`` lists every problem of every bad row."""


SPEC = ImportSpec(
    name="impor-produk", title=_l("Produk"), error=ShopError, refused=ProductImportError,
    columns=(
        Column("sku", ("sku", "kode"), _l("Kode barang, unik. Wajib."), required=True),
        Column("barcode", ("barcode", "kode_batang"), _l("Barcode, unik. Boleh kosong.")),
        Column("name", ("nama", "name"), _l("Nama barang. Wajib."), required=True),
        Column("unit", ("satuan", "unit"), _l("Satuan (pcs, kg, botol …). Kosong: pcs.")),
        Column("category", ("kategori", "category"), _l("Kategori. Boleh kosong.")),
        Column("business_unit", ("unit_usaha", "business_unit"), _l("toko atau produk (produk pesantren). Kosong: toko.")),
        Column("price", ("harga", "price", "harga_jual"), _l("Harga jual, misalnya 12.500. Wajib."), required=True),
        Column("member_price", ("harga_anggota", "member_price"), _l("Harga anggota. Kosong: anggota membayar harga biasa.")),
    ),
    too_many_rows=lambda n: _l("Berkas ditolak: paling banyak %(n)s baris produk dalam satu berkas.", n=n),
    no_rows=(_l("Berkas ditolak: tidak ada baris produk."), _l("Tidak ada baris produk.")),
)


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

    @property
    def skus(self) -> list[str]:
        return [row.values["sku"] for row in self.rows]


class ImportResult(ImportPlan):
    """What a real import stored: the plan's products, now in the catalogue."""


def _unit_names() -> dict[str, str]:
    """Every name a business unit may be written as (code, Indonesian or English label)."""
    names = {"toko": "toko", "produk": "produk", "waserda": "toko", "shop": "toko", "produk_pesantren": "produk",
             "pesantren": "produk", "products": "produk"}
    for locale in ("id", "en"):
        with force_locale(locale):
            for code, label in BUSINESS_UNIT_LABELS.items():
                names[header_key(label)] = code
    return names


class _RowChecker:
    """Checks rows against the catalogue's rules, the catalogue's SKUs and barcodes, and the rows
    before it."""

    def __init__(self, coop: Cooperative):
        self.coop = coop
        self.units = _unit_names()
        catalogue = db.session.execute(select(Product.sku, Product.barcode).where(Product.cooperative_id == coop.id)).all()
        self.skus = Unique((sku for sku, _barcode in catalogue), lambda s: _l("SKU %(s)s sudah dipakai.", s=s),
                           lambda s, r: _l("SKU %(s)s juga ada di baris %(r)s.", s=s, r=r))
        self.barcodes = Unique((barcode for _sku, barcode in catalogue if barcode), lambda b: _l("Barcode %(b)s sudah dipakai produk lain.", b=b),
                               lambda b, r: _l("Barcode %(b)s juga ada di baris %(r)s.", b=b, r=r))

    def __call__(self, row: Row) -> ImportRow | None:
        decimals = self.coop.currency_decimals
        if is_blank(row["price"]):
            row.bad("price", _l("Harga wajib diisi."))
        price = row.amount("price", decimals)
        member_price = None if is_blank(row["member_price"]) else row.amount("member_price", decimals)
        unit_text = row.text("business_unit")
        data = ProductData(sku=row.text("sku"), name=row.text("name"), price=price if price is not None else Decimal(0),
                           member_price=member_price if not row.has_problem("member_price") else Decimal(0),
                           unit=row.text("unit") or "pcs", category=row.text("category") or None,
                           business_unit=self.units.get(header_key(unit_text), unit_text) if unit_text else "toko",
                           barcode=row.text("barcode") or None)
        self.skus.check(row, "sku", (data.sku or "").strip())
        self.barcodes.check(row, "barcode", re.sub(r"\s", "", data.barcode or ""))
        try:
            values = clean_product(self.coop, data)
        except ShopError as err:
            for key, message in err.fields.items():
                row.bad(key, message)
            return None
        return ImportRow(row.number, values)


def check_rows(coop: Cooperative, table: list[list[object]]) -> list[ImportRow]:
    """Check every row of a read table; return the rows, or raise ProductImportError listing every
    problem of every row. Reads only."""
    return SPEC.check(table, _RowChecker(coop), max_rows=MAX_ROWS)


def _write(coop: Cooperative, plan: ImportPlan, actor) -> ImportResult:
    db.session.add_all(Product(cooperative_id=coop.id, qty=0, stock_value=0, active=True, **row.values) for row in plan.rows)
    db.session.flush()
    skus = plan.skus
    record("shop.products_imported", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), count=len(skus), first=skus[0], last=skus[-1])
    return ImportResult(plan.rows)


def import_products(coop: Cooperative, data: bytes, filename: str, *, dry_run: bool, actor=None) -> ImportPlan | ImportResult:
    """Import a product file, all or nothing, in one unit of work. ``dry_run`` returns the ImportPlan
    and writes nothing; otherwise returns the ImportResult.

    Raises ProductImportError listing every bad row, or ShopError(``invalid_file`` | ``conflict``).
    """
    return run_import(lambda: ImportPlan(check_rows(coop, SPEC.read(data, filename, max_rows=MAX_ROWS))),
                      lambda plan: _write(coop, plan, actor), dry_run=dry_run,
                      conflict=lambda: ShopError("conflict", _l("Katalog berubah selama impor (SKU atau barcode baru dipakai); ulangi impor.")))


def template_rows() -> list[list[object]]:
    """The template's two example rows (``SPEC.header`` heads them), one per business unit."""
    return [
        ["BRS-5", "8991234500011", "Beras 5 kg", "karung", "Sembako", "toko", "75.000", "72.000"],
        ["KOPI-PP", "", "Kopi Pesantren 250 g", "bungkus", "Produk santri", "produk", "30.000", ""],
    ]
