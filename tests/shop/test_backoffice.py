"""The back office: purchase returns, supplier payments and the product import through the
services, then every back-office page over HTTP with what each role may open and do."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry
from koppontren.shop import importer, purchasing
from koppontren.shop import services as shop
from koppontren.shop.models import CreditLimit, Party, Product, Purchase, ShopPayment
from koppontren.shop.purchasing import ReturnItem
from koppontren.shop.services import ShopError
from tests.helpers import login

BASE = "/alhikmah"


def _lines(entry) -> list[tuple[str, int, int, int | None]]:
    return [(ln.account.code, ln.debit // 100, ln.credit // 100, ln.party_id) for ln in entry.lines]


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _purchases(coop) -> list[Purchase]:
    return list(db.session.scalars(select(Purchase).where(Purchase.returns_purchase_id.is_(None)).order_by(Purchase.id)))


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- purchase returns ----------------------------------------------------------------------------

def test_a_cash_purchase_return_refunds_the_invoice_cost_and_books_the_average_difference_to_5301(stocked, beras, supplier):
    cash_purchase, _credit = _purchases(stocked)
    ret = purchasing.record_purchase_return(stocked, cash_purchase.id, items=[ReturnItem(beras.id, 2)], day=date(2026, 12, 10))
    entry = queries.get_entry(stocked, ret.entry_id)
    # 2 invoiced at 60.000 come back as 120.000; they leave 13 units worth 789.000 at round(121.384,6…) = 121.385
    assert _lines(entry) == [("1101", 120_000, 0, None), ("1141", 0, 121_385, None), ("5301", 1_385, 0, None)]
    assert (entry.journal_type, ret.returns_purchase_id, ret.total) == ("PB", cash_purchase.id, 120_000_00)
    b = shop.get_product(stocked, beras.id)
    assert (b.qty, b.stock_value) == (11, 789_000_00 - 121_385_00)
    assert [(m.kind, m.qty, m.value) for m in shop.stock_card(stocked, b)][-1] == ("purchase_return", -2, -121_385_00)
    assert purchasing.returned_qty(stocked, cash_purchase) == {beras.id: 2}
    assert check_cooperative(stocked).ok


def test_a_credit_purchase_return_comes_off_the_suppliers_payable(stocked, beras, supplier):
    _cash, credit_purchase = _purchases(stocked)
    assert purchasing.supplier_owed(stocked, supplier.id) == 189_000_00
    ret = purchasing.record_purchase_return(stocked, credit_purchase.id, items=[ReturnItem(beras.id, 1)])
    # 1 invoiced at 63.000 leaves at the average round(789.000 / 13) = 60.692: 2.308 less cost
    assert _lines(queries.get_entry(stocked, ret.entry_id)) == [
        ("2101", 63_000, 0, supplier.id), ("1141", 0, 60_692, None), ("5301", 0, 2_308, None)]
    assert purchasing.supplier_owed(stocked, supplier.id) == 126_000_00
    assert check_cooperative(stocked).ok


def test_a_return_is_refused_beyond_what_was_bought_or_is_left_and_writes_nothing(stocked, beras, kopi):
    cash_purchase, credit_purchase = _purchases(stocked)
    purchasing.record_purchase_return(stocked, credit_purchase.id, items=[ReturnItem(beras.id, 2)])
    before = _entries()
    for purchase, items, code in [
        (credit_purchase, [ReturnItem(beras.id, 2)], "return_too_much"),  # 3 bought, 2 already back
        (credit_purchase, [ReturnItem(kopi.id, 1)], "return_too_much"),  # not on this purchase
        (cash_purchase, [ReturnItem(beras.id, 0)], "invalid_qty"),
        (cash_purchase, [], "invalid_field"),
    ]:
        with pytest.raises(ShopError) as err:
            purchasing.record_purchase_return(stocked, purchase.id, items=items)
        assert err.value.code == code
    shop.record_sale(stocked, items=[shop.SaleItem(kopi.id, 19)])
    with pytest.raises(ShopError) as err:
        purchasing.record_purchase_return(stocked, cash_purchase.id, items=[ReturnItem(kopi.id, 1), ReturnItem(beras.id, 1),
                                                                            ReturnItem(kopi.id, 1)])
    assert err.value.code == "insufficient_stock" and "tinggal 1" in str(err.value)
    with pytest.raises(ShopError) as err:
        purchasing.record_purchase_return(stocked, cash_purchase.id, items=[ReturnItem(beras.id, 1)], day=date(2026, 11, 30))
    assert err.value.code == "invalid_date"
    assert _entries() == before + 1  # only the sale
    assert shop.get_product(stocked, beras.id).qty == 11


def test_a_product_on_several_lines_returns_at_each_lines_price(coop, supplier, beras):
    purchase = shop.record_purchase(coop, party_id=supplier.id, day=date(2026, 12, 1), items=[
        shop.PurchaseItem(beras.id, 2, Decimal(60_000)), shop.PurchaseItem(beras.id, 2, Decimal(66_000))])
    ret = purchasing.record_purchase_return(coop, purchase.id, items=[ReturnItem(beras.id, 3)])
    assert [(ln.qty, ln.unit_cost // 100) for ln in purchasing.purchase_lines(coop, ret)] == [(2, 60_000), (1, 66_000)]
    assert ret.total == 186_000_00
    last = purchasing.record_purchase_return(coop, purchase.id, items=[ReturnItem(beras.id, 1)])
    assert last.total == 66_000_00
    b = shop.get_product(coop, beras.id)
    assert (b.qty, b.stock_value) == (0, 0)
    assert check_cooperative(coop).ok


# --- supplier payments ---------------------------------------------------------------------------

def test_paying_a_supplier_settles_its_payable_and_never_above_what_is_owed(stocked, supplier, cashier):
    before = _entries()
    with pytest.raises(ShopError) as err:
        purchasing.pay_supplier(stocked, supplier.id, amount=Decimal(189_001))
    assert err.value.code == "overpayment" and "Rp189.000" in str(err.value)
    assert _entries() == before and _count(ShopPayment) == 0
    payment = purchasing.pay_supplier(stocked, supplier.id, amount=Decimal(100_000), day=date(2026, 12, 10), actor=cashier)
    entry = queries.get_entry(stocked, payment.entry_id)
    assert _lines(entry) == [("2101", 100_000, 0, supplier.id), ("1101", 0, 100_000, None)]
    assert (entry.journal_type, payment.kind, payment.voucher, payment.account_name) == ("KK", "supplier", entry.number, "1101 Kas Besar")
    assert purchasing.supplier_owed(stocked, supplier.id) == 89_000_00
    # a payment dated before the credit purchase (2 December) cannot pay it
    with pytest.raises(ShopError) as err:
        purchasing.pay_supplier(stocked, supplier.id, amount=Decimal(1), day=date(2026, 12, 1))
    assert err.value.code == "overpayment"
    first = purchasing.pay_supplier(stocked, supplier.id, amount=Decimal(89_000), idempotency_key="bayar-1")
    again = purchasing.pay_supplier(stocked, supplier.id, amount=Decimal(89_000), idempotency_key="bayar-1")
    assert again.id == first.id and _count(ShopPayment) == 2
    assert purchasing.supplier_owed(stocked, supplier.id) == 0
    assert check_cooperative(stocked).ok


def test_supplier_payment_refusals(stocked, supplier, coop):
    customer = shop.create_party(coop, kind="customer", code="PLG-01", name="Toko Sebelah")
    for party_id, amount, code in [(customer.id, Decimal(1), "not_found"), (99_999, Decimal(1), "not_found"),
                                   (supplier.id, Decimal(0), "invalid_amount"), (supplier.id, Decimal("0.5"), "invalid_amount")]:
        with pytest.raises(ShopError) as err:
            purchasing.pay_supplier(stocked, party_id, amount=amount)
        assert err.value.code == code
    bank_santri = chart.account_for(coop, "bank_santri")
    with pytest.raises(ShopError) as err:
        purchasing.pay_supplier(stocked, supplier.id, amount=Decimal(1), account_id=bank_santri.id)
    assert err.value.code == "invalid_account"
    assert _count(ShopPayment) == 0


def test_party_balances_reads_the_party_subledger(stocked, supplier):
    payable = chart.account_for(stocked, "payable_supplier")
    assert queries.party_balances(stocked, [payable.id]) == {supplier.id: {payable.id: -189_000_00}}
    assert queries.party_balances(stocked, [payable.id], [supplier.id], as_of=date(2026, 12, 1)) == {}
    assert queries.party_balances(stocked, [payable.id], []) == {}


# --- product import ------------------------------------------------------------------------------

GOOD_CSV = ("sku;barcode;nama;satuan;kategori;unit_usaha;harga;harga_anggota\n"
            "GULA-1;8990000000017;Gula pasir 1 kg;kg;Sembako;toko;18.500;18.000\n"
            "MADU-PP;;Madu Pesantren;botol;;Produk pesantren;85.000;\n").encode()


def test_a_clean_product_file_is_checked_by_a_dry_run_then_imported_whole(coop):
    plan = importer.import_products(coop, GOOD_CSV, "produk.csv", dry_run=True)
    assert plan.count == 2 and _count(Product) == 0
    assert plan.rows[0].values["price"] == 18_500_00 and plan.rows[1].values["business_unit"] == "produk"
    result = importer.import_products(coop, GOOD_CSV, "produk.csv", dry_run=False)
    assert result.skus == ["GULA-1", "MADU-PP"]
    gula = shop.find_product(coop, "8990000000017")
    assert (gula.name, gula.unit, gula.category, gula.price, gula.member_price, gula.qty) == (
        "Gula pasir 1 kg", "kg", "Sembako", 18_500_00, 18_000_00, 0)
    assert shop.find_product(coop, "MADU-PP").member_price is None


def test_a_product_file_with_bad_rows_is_refused_whole_naming_every_problem(coop, beras):
    data = ("sku,nama,harga,barcode\n"
            "OK-1,Sabun,5.000,\n"
            "BRS-5,Beras lagi,70.000,\n"  # SKU already in the catalogue
            "OK-1,Sabun dobel,abc,8991234500011\n"  # SKU twice in the file, bad price, a taken barcode
            ",,,\n"  # blank rows are skipped
            "OK-2,,1.000,\n").encode()  # no name
    with pytest.raises(importer.ProductImportError) as err:
        importer.import_products(coop, data, "produk.csv", dry_run=False)
    problems = [(p.row, p.column) for p in err.value.problems]
    assert problems == [(3, "sku"), (4, "sku"), (4, "barcode"), (4, "harga"), (6, "nama")]
    assert "baris 2" in err.value.problems[1].problem and "3 baris bermasalah" in str(err.value)
    assert _count(Product) == 1


def test_a_product_file_header_must_be_known_and_complete(coop):
    with pytest.raises(importer.ProductImportError) as err:
        importer.import_products(coop, b"sku,nama,hrga\nA-1,Sabun,1000\n", "p.csv", dry_run=True)
    assert [(p.row, p.column, p.problem) for p in err.value.problems] == [
        (1, "hrga", "Kolom tidak dikenal."), (1, "harga", "Kolom wajib tidak ada.")]
    with pytest.raises(ShopError) as err:
        importer.import_products(coop, b"x", "p.pdf", dry_run=True)
    assert err.value.code == "invalid_file"


def test_an_xlsx_product_file_with_numeric_cells_imports(coop):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["SKU", "Name", "Price", "Member price", "Business unit", "Barcode"])
    workbook.active.append(["TEH-1", "Teh celup", 12500, 12000.0, "shop", 8990000000024])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = importer.import_products(coop, buffer.getvalue(), "produk.xlsx", dry_run=False)
    teh = shop.find_product(coop, "8990000000024")
    assert result.count == 1 and (teh.sku, teh.price, teh.member_price, teh.business_unit) == ("TEH-1", 12_500_00, 12_000_00, "toko")
