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
from koppontren.tenancy.current import coop_by_slug
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


def test_a_bank_purchase_return_goes_back_to_the_account_it_was_paid_from(build, coop, supplier, kopi):
    bank = chart.account_for(coop, "bank")
    build.fund(coop, 1_000_000, date(2026, 12, 1), role="bank")
    purchase = shop.record_purchase(coop, party_id=supplier.id, payment="bank", account_id=bank.id,
                                    items=[shop.PurchaseItem(kopi.id, 4, Decimal(20_000))])
    assert purchasing.paid_from_account_id(coop, purchase) == bank.id
    ret = purchasing.record_purchase_return(coop, purchase.id, items=[ReturnItem(kopi.id, 1)])
    assert _lines(queries.get_entry(coop, ret.entry_id)) == [("1111", 20_000, 0, None), ("1142", 0, 20_000, None)]  # no difference


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


def test_a_product_on_several_lines_returns_at_each_lines_price(build, coop, supplier, beras):
    build.fund(coop, 1_000_000, date(2026, 11, 30))
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

GOOD_CSV = (b"sku;barcode;nama;satuan;kategori;unit_usaha;harga;harga_anggota\n"
            b"GULA-1;8990000000017;Gula pasir 1 kg;kg;Sembako;toko;18.500;18.000\n"
            b"MADU-PP;;Madu Pesantren;botol;;Produk pesantren;85.000;\n")


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
    data = (b"sku,nama,harga,barcode\n"
            b"OK-1,Sabun,5.000,\n"
            b"BRS-5,Beras lagi,70.000,\n"  # SKU already in the catalogue
            b"OK-1,Sabun dobel,abc,8991234500011\n"  # SKU twice in the file, bad price, a taken barcode
            b",,,\n"  # blank rows are skipped
            b"OK-2,,1.000,\n")  # no name
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


# --- pages ---------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def pinned_page_today(monkeypatch, pinned_today):
    """The pages' default dates follow the shop's pinned today."""
    from koppontren.shop import backoffice_views

    monkeypatch.setattr(backoffice_views, "today", lambda: pinned_today)


@pytest.fixture
def staff(build, coop, cashier):
    for login_name, role in (("bendahara", "treasurer"), ("pengawas", "auditor"), ("anggota", "member")):
        build.user(login_name, coop, role)
    other = build.coop("annur")
    build.user("bendahara.annur", other, "treasurer")
    return coop


@pytest.fixture
def ids(stocked, staff, supplier, beras):
    return {"b": beras.id, "s": supplier.id, "p": _purchases(stocked)[0].id}


VIEW_PAGES = ["/shop/products", "/shop/products/{b}", "/shop/parties", "/shop/parties/{s}", "/shop/purchases", "/shop/purchases/{p}"]
MANAGE_PAGES = ["/shop/products/new", "/shop/products/{b}/edit", "/shop/products/import", "/shop/products/import/template.csv",
                "/shop/products/import/template.xlsx", "/shop/parties/new", "/shop/purchases/new", "/shop/stock-count", "/shop/settings"]


@pytest.mark.parametrize(("login_name", "allowed"), [
    ("bendahara", VIEW_PAGES + MANAGE_PAGES),
    ("kasir", VIEW_PAGES),
    ("pengawas", VIEW_PAGES),
    ("anggota", []),
])
def test_each_role_opens_exactly_its_back_office_pages(client, ids, login_name, allowed):
    login(client, login_name)
    for path in VIEW_PAGES + MANAGE_PAGES:
        url = BASE + path.format(**ids)
        assert client.get(url).status_code == (200 if path in allowed else 403), (login_name, url)


def test_another_cooperatives_user_gets_404_and_unknown_ids_are_404(client, ids):
    login(client, "bendahara.annur")
    for path in VIEW_PAGES + MANAGE_PAGES:
        assert client.get(BASE + path.format(**ids)).status_code == 404, path
    client.post("/logout")
    login(client, "bendahara")
    for url in ("/shop/products/999", "/shop/products/999/edit", "/shop/parties/999", "/shop/purchases/999"):
        assert client.get(BASE + url).status_code == 404, url
    assert client.post(f"{BASE}/shop/parties/999/pay", data={"amount": "1", "date": "2026-12-10"}).status_code == 404


@pytest.mark.parametrize("login_name", ["kasir", "pengawas"])
def test_cashiers_and_auditors_cannot_change_anything(client, ids, login_name, beras):
    login(client, login_name)
    before = _entries()
    posts = [("/shop/products/new", {"sku": "X-1", "name": "X", "price": "1.000"}),
             (f"/shop/products/{beras.id}/edit", {"sku": "BRS-5", "name": "Beras", "price": "1"}),
             ("/shop/parties/new", {"kind": "supplier", "code": "S-9", "name": "S"}),
             (f"/shop/parties/{ids['s']}/pay", {"amount": "1.000", "date": "2026-12-10"}),
             ("/shop/purchases/new", {"party": ids["s"], "date": "2026-12-10", "payment": "cash"}),
             (f"/shop/purchases/{ids['p']}/return", {f"return-{beras.id}": "1", "date": "2026-12-10"}),
             ("/shop/stock-count", {f"count-{beras.id}": "1", "date": "2026-12-10"}),
             ("/shop/settings", {"limit_santri": "100.000"}),
             ("/shop/products/import", {})]
    for url, data in posts:
        assert client.post(BASE + url, data=data).status_code == 403, url
    assert _entries() == before and _count(Product) == 2 and _count(CreditLimit) == 0


def test_the_product_list_shows_stock_value_average_and_the_inventory_accounts(client, ids, kopi):
    login(client, "kasir")
    page = _text(client.get(f"{BASE}/shop/products"))
    assert re.findall(r'<tr data-sku="([^"]+)"', page) == ["BRS-5", "KOPI-PP"]
    row = page.split('data-sku="BRS-5"')[1].split("</tr>")[0]
    assert "13 pcs" in row and "789.000" in row and "60.692" in row  # average 789.000 / 13
    assert 'data-unit="toko">Rp789.000<' in page and 'data-unit="produk">Rp360.000<' in page
    assert re.findall(r'<tr data-sku="([^"]+)"', _text(client.get(f"{BASE}/shop/products?business_unit=produk"))) == ["KOPI-PP"]
    assert re.findall(r'<tr data-sku="([^"]+)"', _text(client.get(f"{BASE}/shop/products?q=899123"))) == ["BRS-5"]
    assert "Produk baru" not in page  # no manage buttons for a cashier


def test_the_stock_card_lists_every_move_with_running_quantity_and_value(client, ids, stocked, beras):
    shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 2)], day=date(2026, 12, 5))
    login(client, "pengawas")
    page = _text(client.get(f"{BASE}/shop/products/{beras.id}"))
    assert re.findall(r'<tr data-kind="([^"]+)"', page) == ["purchase", "purchase", "sale"]
    assert "PB/2026/000001" in page and "PJ/2026/000001" in page and "Penjualan" in page
    assert 'id="card-closing-qty">11<' in page and 'id="card-closing-value">667.615<' in page
    page = _text(client.get(f"{BASE}/shop/products/{beras.id}?date_from=2026-12-03&date_to=2026-12-31"))
    assert 'id="card-opening-qty">13<' in page and re.findall(r'<tr data-kind="([^"]+)"', page) == ["sale"]


def test_creating_and_editing_a_product_with_indonesian_prices(client, ids, beras):
    login(client, "bendahara")
    data = {"sku": "GULA-1", "name": "Gula 1 kg", "unit": "kg", "business_unit": "toko", "price": "18.500", "member_price": "18.000"}
    response = client.post(f"{BASE}/shop/products/new", data=data)
    assert response.status_code == 302
    gula = db.session.scalar(select(Product).where(Product.sku == "GULA-1"))
    assert (gula.price, gula.member_price, gula.qty) == (18_500_00, 18_000_00, 0)
    page = _text(client.post(f"{BASE}/shop/products/new", data={**data, "sku": "BRS-5"}))
    assert "SKU BRS-5 sudah dipakai" in page and _count(Product) == 3
    page = _text(client.post(f"{BASE}/shop/products/new", data={**data, "sku": "X-2", "price": "18.5.0"}))
    assert "bukan jumlah uang yang sah" in page and _count(Product) == 3
    edit = _text(client.get(f"{BASE}/shop/products/{gula.id}/edit"))
    assert 'value="18.500"' in edit
    assert client.post(f"{BASE}/shop/products/{gula.id}/edit", data={**data, "price": "19.000"}).status_code == 302  # active unticked
    db.session.expire_all()
    gula = shop.get_product(staff_coop(), gula.id)
    assert (gula.price, gula.active) == (19_000_00, False)


def staff_coop():
    return coop_by_slug("alhikmah")


def test_the_import_page_checks_imports_and_offers_templates(client, ids):
    login(client, "bendahara")
    url = f"{BASE}/shop/products/import"
    page = _text(client.post(url, data={"file": (io.BytesIO(GOOD_CSV), "produk.csv"), "dry_run": "y"}, content_type="multipart/form-data"))
    assert 'id="import-plan"' in page and "GULA-1" in page and _count(Product) == 2
    response = client.post(url, data={"file": (io.BytesIO(GOOD_CSV), "produk.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302 and _count(Product) == 4
    assert "2 produk diimpor, SKU GULA-1 sampai MADU-PP" in _text(client.get(url))
    page = _text(client.post(url, data={"file": (io.BytesIO(GOOD_CSV), "produk.csv")}, content_type="multipart/form-data"))
    assert 'id="import-problems"' in page and "SKU GULA-1 sudah dipakai" in page and _count(Product) == 4
    template = client.get(f"{url}/template.csv")
    assert template.mimetype == "text/csv" and template.get_data(as_text=True).startswith("sku,barcode,nama,satuan")
    annur = coop_by_slug("annur")
    assert importer.import_products(annur, template.data, "t.csv", dry_run=True).count == 2  # the template imports as is
    xlsx = client.get(f"{url}/template.xlsx")
    assert xlsx.data[:2] == b"PK"


def test_parties_are_listed_created_and_a_supplier_is_paid_from_its_page(build, client, ids, supplier):
    build.fund(staff_coop(), 1_000_000, date(2026, 12, 1), role="bank")  # the bank the supplier is paid from
    login(client, "bendahara")
    response = client.post(f"{BASE}/shop/parties/new", data={"kind": "consignor", "code": "TTP-01", "name": "Santri Kreatif"})
    assert response.status_code == 302
    page = _text(client.post(f"{BASE}/shop/parties/new", data={"kind": "supplier", "code": "TTP-01", "name": "Lain"}))
    assert "Kode TTP-01 sudah dipakai" in page and _count(Party) == 2
    listing = _text(client.get(f"{BASE}/shop/parties"))
    assert re.findall(r'<tr data-code="([^"]+)"', listing) == ["SUP-01", "TTP-01"] and "189.000" in listing
    assert re.findall(r'<tr data-code="([^"]+)"', _text(client.get(f"{BASE}/shop/parties?kind=consignor"))) == ["TTP-01"]
    url = f"{BASE}/shop/parties/{supplier.id}"
    page = _text(client.get(url))
    assert 'id="party-owed">Rp189.000<' in page and "PB/2026/000002" in page and 'id="supplier-payment-form"' in page
    before = _entries()
    page = _text(client.post(f"{url}/pay", data={"amount": "200.000", "date": "2026-12-10", "account": str(chart.account_for(staff_coop(), "cash").id)}))
    assert "hanya Rp189.000" in page and _entries() == before
    response = client.post(f"{url}/pay", data={"amount": "100.000", "date": "2026-12-10", "idempotency_key": "k-1",
                                               "account": str(chart.account_for(staff_coop(), "bank").id)})
    assert response.status_code == 302
    again = client.post(f"{url}/pay", data={"amount": "100.000", "date": "2026-12-10", "idempotency_key": "k-1",
                                            "account": str(chart.account_for(staff_coop(), "bank").id)})
    assert again.status_code == 302 and _count(ShopPayment) == 1  # a double submit pays once
    page = _text(client.get(url))
    assert 'id="party-owed">Rp89.000<' in page and "1111 Bank" in page


def test_a_purchase_with_lines_by_select_and_by_sku_on_credit(client, ids, supplier, beras, kopi):
    login(client, "bendahara")
    url = f"{BASE}/shop/purchases/new"
    form = _text(client.get(url))
    assert form.count("<tr data-line>") == 5 and "purchase-lines.js" in form
    more = _text(client.post(url, data={"party": supplier.id, "date": "2026-12-10", "payment": "cash", "add_line": "y",
                                        "lines-0-sku": "BRS-5"}))
    assert more.count("<tr data-line>") == 6 and 'value="BRS-5"' in more and _entries() == 3  # the capital and 2 purchases
    data = {"party": supplier.id, "date": "2026-12-10", "payment": "credit", "invoice": "F-778",
            "lines-0-product": str(kopi.id), "lines-0-qty": "10", "lines-0-unit_cost": "18.500",
            "lines-2-sku": "8991234500011", "lines-2-qty": "2", "lines-2-unit_cost": "61.000"}
    page = _text(client.post(url, data={**data, "lines-2-unit_cost": "61,000.00", "lines-3-sku": "NOPE", "lines-3-qty": "1"}))
    assert "bukan jumlah uang yang sah" in page and "Produk NOPE tidak ditemukan." in page and _entries() == 3
    response = client.post(url, data=data)
    assert response.status_code == 302
    purchase = db.session.scalar(select(Purchase).order_by(Purchase.id.desc()))
    assert (purchase.invoice, purchase.total, purchase.payment) == ("F-778", 10 * 18_500_00 + 2 * 61_000_00, "credit")
    assert _lines(queries.get_entry(staff_coop(), purchase.entry_id))[-1] == ("2101", 0, 307_000, supplier.id)
    page = _text(client.get(response.headers["Location"]))
    assert "F-778" in page and purchase.voucher in page and 'id="purchase-return-form"' in page
    listing = _text(client.get(f"{BASE}/shop/purchases?party={supplier.id}"))
    assert re.findall(r'<tr data-voucher="([^"]+)"', listing) == ["PB/2026/000003", "PB/2026/000002", "PB/2026/000001"]


def test_a_purchase_return_from_the_purchase_page(client, ids, beras):
    login(client, "bendahara")
    url = f"{BASE}/shop/purchases/{ids['p']}"
    page = _text(client.post(f"{url}/return", data={f"return-{beras.id}": "11", "date": "2026-12-10"}))
    assert "Retur melebihi jumlah yang dibeli" in page and _entries() == 3  # the capital and 2 purchases
    response = client.post(f"{url}/return", data={f"return-{beras.id}": "2", "date": "2026-12-10"})
    assert response.status_code == 302
    ret = db.session.scalar(select(Purchase).where(Purchase.returns_purchase_id == ids["p"]))
    assert _lines(queries.get_entry(staff_coop(), ret.entry_id)) == [("1101", 120_000, 0, None), ("1141", 0, 121_385, None),
                                                                      ("5301", 1_385, 0, None)]
    page = _text(client.get(response.headers["Location"]))
    assert "Retur dari" in page and ret.voucher in page
    assert ret.voucher in _text(client.get(url))
    assert check_cooperative(staff_coop()).ok


def test_the_stock_count_page_posts_the_differences_and_shows_the_entry(client, ids, coop, beras, kopi):
    titip = shop.create_party(coop, kind="consignor", code="TTP-01", name="Santri Kreatif")
    consigned = shop.create_product(coop, shop.ProductData(sku="KRIPIK", name="Kripik titipan", price=Decimal(5_000)))
    db.session.execute(db.text("UPDATE product SET consignor_id = :c WHERE id = :p"), {"c": titip.id, "p": consigned.id})
    db.session.commit()
    login(client, "bendahara")
    url = f"{BASE}/shop/stock-count"
    page = _text(client.get(url))
    assert re.findall(r'<tr data-sku="([^"]+)"', page) == ["BRS-5", "KOPI-PP"]  # consignment goods are the consignor's
    page = _text(client.post(f"{BASE}/shop/purchases/new", data={"party": ids["s"], "date": "2026-12-10", "payment": "cash",
                                                                 "lines-0-sku": "KRIPIK", "lines-0-qty": "1", "lines-0-unit_cost": "1.000"}))
    assert "barang titipan" in page and _entries() == 3  # the capital and 2 purchases
    page = _text(client.post(url, data={f"count-{beras.id}": "dua belas", "date": "2026-12-10"}))
    assert "bilangan bulat" in page and _entries() == 3
    response = client.post(url, data={f"count-{beras.id}": "12", f"count-{kopi.id}": "", "date": "2026-12-10"})
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert 'id="count-result"' in page and "JU/2026/000001" in page and "-1" in page
    assert shop.get_product(coop, beras.id).qty == 12 and shop.get_product(coop, kopi.id).qty == 20
    assert check_cooperative(coop).ok


def test_the_settings_page_sets_credit_limits_per_member_category(client, ids, coop):
    login(client, "bendahara")
    url = f"{BASE}/shop/settings"
    page = _text(client.post(url, data={"limit_santri": "150.000", "limit_ustadz": "abc"}))
    assert "bukan jumlah uang yang sah" in page and _count(CreditLimit) == 0
    assert client.post(url, data={"limit_santri": "150.000", "limit_ustadz": "500.000"}).status_code == 302
    assert (shop.credit_limit(coop, "santri"), shop.credit_limit(coop, "ustadz"), shop.credit_limit(coop, "alumni")) == (
        150_000_00, 500_000_00, 0)
    assert 'value="150.000"' in _text(client.get(url))


def test_back_office_forms_need_the_csrf_token(client, app, ids, supplier):
    login(client, "bendahara")
    app.config["WTF_CSRF_ENABLED"] = True  # after the login (its form needs a token too); the next test starts with it off
    before = _entries()
    response = client.post(f"{BASE}/shop/parties/{supplier.id}/pay", data={"amount": "1.000", "date": "2026-12-10"})
    assert response.status_code == 400 and _entries() == before
    page = _text(client.get(f"{BASE}/shop/parties/{supplier.id}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"{BASE}/shop/parties/{supplier.id}/pay", data={"amount": "1.000", "date": "2026-12-10", "csrf_token": token,
                                                                           "account": str(chart.account_for(staff_coop(), "cash").id)})
    assert response.status_code == 302 and _entries() == before + 1
