"""The cashier's pages over HTTP: who may open and do what, the POS's JSON sale (prices, payments,
refusals, idempotent replays), the struk as a page and as PDF, the sales list, returns, and members
paying off their shop receivable (pelunasan)."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry
from koppontren.shop import pos_views, receivables
from koppontren.shop import services as shop
from koppontren.shop.models import Sale
from koppontren.shop.services import ShopError
from tests.helpers import login
from tests.shop.conftest import TODAY

BASE = "/alhikmah/shop"


@pytest.fixture(autouse=True)
def _pinned_pages(monkeypatch):
    monkeypatch.setattr(pos_views, "today", lambda: TODAY)


@pytest.fixture
def staff(build, stocked, cashier):
    for login_name, role in (("bendahara", "treasurer"), ("pengawas", "auditor"), ("anggota", "member")):
        build.user(login_name, stocked, role)
    return stocked


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def _sell(client, items, key=None, **body):
    """POST the sale contract (the API's: lines by product id, the key in the Idempotency-Key header)."""
    payload = {"lines": [{"product_id": p.id, "quantity": q} for p, q in items], "payment": "cash", **body}
    return client.post(f"{BASE}/pos/sales", json=payload, headers={"Idempotency-Key": key} if key else {})


def _text(response) -> str:
    return response.get_data(as_text=True)


def _pdf_text(response) -> str:
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


# --- who may do what -----------------------------------------------------------------------------

VIEW_PAGES = ["/sales", "/sales/{s}", "/sales/{s}/receipt", "/sales/{s}/receipt.pdf"]
SELL_PAGES = ["/pos", "/pos/products?q=beras", "/pos/members?q=siti", "/receivables"]


@pytest.mark.parametrize(("login_name", "allowed"), [
    ("kasir", VIEW_PAGES + SELL_PAGES),
    ("bendahara", VIEW_PAGES + SELL_PAGES),
    ("pengawas", VIEW_PAGES),
    ("anggota", []),
])
def test_each_role_opens_exactly_its_pages(client, staff, beras, login_name, allowed):
    sale = shop.record_sale(staff, items=[shop.SaleItem(beras.id, 1)])
    login(client, login_name)
    for path in VIEW_PAGES + SELL_PAGES:
        url = BASE + path.format(s=sale.id)
        assert client.get(url).status_code == (200 if path in allowed else 403), (login_name, url)


@pytest.mark.parametrize("login_name", ["pengawas", "anggota"])
def test_auditors_and_members_cannot_sell_return_or_take_payments(client, staff, beras, member, login_name):
    sale = shop.record_sale(staff, items=[shop.SaleItem(beras.id, 1)])
    before = _entries()
    login(client, login_name)
    assert _sell(client, [(beras, 1)]).status_code == 403
    assert client.post(f"{BASE}/sales/{sale.id}/return", data={"date": "2026-12-15", f"qty-{beras.id}": "1"}).status_code == 403
    assert client.post(f"{BASE}/receivables/{member.id}/pay", data={"amount": "1.000", "account": "1"}).status_code == 403
    assert _entries() == before


def test_another_cooperatives_sale_is_404(client, build, staff, beras):
    other = build.coop("annur")
    supplier = shop.create_party(other, kind="supplier", code="S1", name="Toko Grosir")
    teh = shop.create_product(other, shop.ProductData(sku="TEH", name="Teh Celup", price=Decimal(5_000)))
    build.fund(other, 1_000_000, date(2026, 11, 30))
    shop.record_purchase(other, party_id=supplier.id, items=[shop.PurchaseItem(teh.id, 5, Decimal(3_000))], day=date(2026, 12, 1))
    foreign = shop.record_sale(other, items=[shop.SaleItem(teh.id, 1)])
    login(client, "kasir")
    for path in ("/sales/{s}", "/sales/{s}/receipt", "/sales/{s}/receipt.pdf"):
        assert client.get(BASE + path.format(s=foreign.id)).status_code == 404
    assert client.post(f"{BASE}/sales/{foreign.id}/return", data={"date": "2026-12-15", f"qty-{teh.id}": "1"}).status_code == 404
    assert client.get(f"/annur/shop/sales/{foreign.id}").status_code == 404  # no role there at all
    response = _sell(client, [(teh, 1)])  # the other cooperative's product is unknown here
    assert response.status_code == 422 and response.json["error"]["code"] == "unknown_product"  # as the API says it
    assert response.json["error"]["fields"] == {"lines.1.product_id": "Tidak ada."}


# --- lookups -------------------------------------------------------------------------------------

def test_the_product_lookup_finds_a_scanned_barcode_or_sku_exactly_and_names_by_part(client, staff, beras, kopi):
    login(client, "kasir")
    by_barcode = client.get(f"{BASE}/pos/products?q=8991234500011").json
    assert by_barcode["exact"] == {"id": beras.id, "sku": "BRS-5", "barcode": "8991234500011", "name": "Beras 5 kg", "unit": "pcs",
                                   "price": "75000", "member_price": "72000", "qty": 13}
    assert client.get(f"{BASE}/pos/products?q=KOPI-PP").json["exact"]["id"] == kopi.id
    by_name = client.get(f"{BASE}/pos/products?q=pesantren").json
    assert by_name["exact"] is None and [p["sku"] for p in by_name["products"]] == ["KOPI-PP"]
    shop.update_product(staff, shop.get_product(staff, kopi.id), shop.ProductData(sku="KOPI-PP", name="Kopi Pesantren 250 g",
                                                                                   price=Decimal(30_000), business_unit="produk"), active=False)
    assert client.get(f"{BASE}/pos/products?q=KOPI-PP").json == {"exact": None, "products": []}


def test_the_member_lookup_finds_a_card_number_exactly_with_the_credit_left(client, staff, beras, member):
    shop.set_credit_limit(staff, "santri", Decimal(200_000))
    shop.record_sale(staff, member_id=member.id, payment="credit", items=[shop.SaleItem(beras.id, 1)])
    login(client, "kasir")
    found = client.get(f"{BASE}/pos/members?q={member.number}").json
    assert found["exact"] == {"id": member.id, "number": member.number, "name": "Siti Aminah", "category": "santri",
                              "category_label": "Santri", "credit_limit": "200000", "credit_owed": "72000", "credit_available": "128000"}
    assert [m["id"] for m in client.get(f"{BASE}/pos/members?q=aminah").json["members"]] == [member.id]
    assert client.get(f"{BASE}/pos/members?q=").json == {"exact": None, "members": []}


# --- the JSON sale -------------------------------------------------------------------------------

def test_a_cash_sale_answers_201_with_the_change_and_the_receipt(client, staff, beras, kopi, cashier):
    login(client, "kasir")
    response = _sell(client, [(beras, 1), (kopi, 2)], cash_received="150000", key="k-1")
    assert response.status_code == 201, response.json
    body = response.json
    sale = db.session.get(Sale, body["sale_id"])
    assert body == {"sale_id": sale.id, "voucher": "PJ/2026/000001", "total": "135000", "change": "15000",
                    "receipt_url": f"{BASE}/sales/{sale.id}/receipt", "receipt_pdf_url": f"{BASE}/sales/{sale.id}/receipt.pdf",
                    "replayed": False, "wallet": None}
    assert (sale.total, sale.cash_received, sale.cashier_id, sale.member_id) == (135_000_00, 150_000_00, cashier.id, None)
    entry = queries.get_entry(staff, sale.entry_id)
    assert entry.lines[0].account.code == "1103" and entry.lines[0].debit == 135_000_00
    assert check_cooperative(staff).ok


def test_a_member_sale_gets_the_member_price_and_names_the_member(client, staff, beras, kopi, member):
    login(client, "kasir")
    response = _sell(client, [(beras, 2), (kopi, 1)], member=member.number, payment="bank")
    assert response.status_code == 201 and response.json["total"] == str(2 * 72_000 + 30_000) and response.json["change"] is None
    sale = db.session.get(Sale, response.json["sale_id"])
    entry = queries.get_entry(staff, sale.entry_id)
    assert entry.lines[0].account.code == "1111"
    assert {ln.account.code: ln.member_id for ln in entry.lines if ln.account.code.startswith("41")} == {"4101": member.id, "4102": member.id}


def test_credit_is_for_members_within_their_categorys_limit(client, staff, beras, member):
    shop.set_credit_limit(staff, "santri", Decimal(200_000))
    login(client, "kasir")
    ok = _sell(client, [(beras, 2)], member=member.number, payment="credit")
    assert ok.status_code == 201 and ok.json["total"] == "144000"
    assert receivables.owed_by(staff, member.id) == 144_000_00
    before = _entries()
    over = _sell(client, [(beras, 1)], member=member.number, payment="credit")
    assert over.status_code == 422 and over.json["error"]["code"] == "credit_limit"
    assert "Batas kredit" in over.json["error"]["message"] and "Rp144.000" in over.json["error"]["message"]
    walk_in = _sell(client, [(beras, 1)], payment="credit")
    assert walk_in.status_code == 422 and walk_in.json["error"]["code"] == "member_required"
    assert _entries() == before


def test_insufficient_stock_is_409_with_the_products_name_and_nothing_is_written(client, staff, beras, kopi):
    login(client, "kasir")
    before = _entries()
    response = _sell(client, [(kopi, 1), (beras, 14)])
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "insufficient_stock" and error["message"].startswith("Stok Beras 5 kg tidak cukup") and "qty" in error["fields"]
    assert _entries() == before and shop.get_product(staff, kopi.id).qty == 20


def test_short_cash_is_refused(client, staff, beras):
    login(client, "kasir")
    response = _sell(client, [(beras, 1)], cash_received="50000")
    assert response.status_code == 422 and response.json["error"]["code"] == "cash_short"
    assert "Rp75.000" in response.json["error"]["message"]


@pytest.mark.parametrize(("body", "field"), [
    ("not json at all", "body"),
    ("[1, 2]", "body"),
    ('{"payment": "cash"}', "lines"),
    ('{"lines": [], "payment": "cash"}', "lines"),
    ('{"lines": [{"product_id": "1", "quantity": 1}], "payment": "cash"}', "lines.1.product_id"),
    ('{"lines": [{"product_id": true, "quantity": 1}], "payment": "cash"}', "lines.1.product_id"),
    ('{"lines": [{"product_id": 1, "sku": "BRS-5", "quantity": 1}], "payment": "cash"}', "lines.1.sku"),
    ('{"lines": [{"quantity": 1}], "payment": "cash"}', "lines.1.sku"),
    ('{"lines": [{"product_id": 1, "quantity": 0}], "payment": "cash"}', "lines.1.quantity"),
    ('{"lines": [{"product_id": 1, "quantity": 1.5}], "payment": "cash"}', "lines.1.quantity"),
    ('{"lines": [{"product_id": 1, "quantity": "1.5"}], "payment": "cash"}', "lines.1.quantity"),
    ('{"lines": [{"product_id": 1, "quantity": "1e3"}], "payment": "cash"}', "lines.1.quantity"),
    ('{"lines": [{"product_id": 1, "quantity": "-1"}], "payment": "cash"}', "lines.1.quantity"),
    ('{"lines": [{"product_id": 1, "quantity": 1, "qty": 1}], "payment": "cash"}', "lines.1.qty"),
    ('{"lines": [{"product_id": 1, "quantity": 1, "unit_price": 75000}], "payment": "cash"}', "lines.1.unit_price"),
    ('{"lines": [{"product_id": 1, "quantity": 1}], "payment": "hutang"}', "payment"),
    ('{"lines": [{"product_id": 1, "quantity": 1}], "payment": "cash", "cash_received": 100000.5}', "cash_received"),
    ('{"lines": [{"product_id": 1, "quantity": 1}], "payment": "cash", "cash_received": "1e5"}', "cash_received"),
    ('{"lines": [{"product_id": 1, "quantity": 1}], "payment": "cash", "cash_received": "-5"}', "cash_received"),
    ('{"lines": [{"product_id": 1, "quantity": 1}], "payment": "cash", "member": 3}', "member"),
    ('{"lines": [{"product_id": 1, "quantity": 1}], "payment": "cash", "member": "A-1", "customer": "C-1"}', "customer"),
    ('{"lines": [{"product_id": 1, "quantity": 1}], "payment": "cash", "card": "abc"}', "card"),
    ('{"lines": [{"product_id": 1, "quantity": 1}], "payment": "credit", "member": "A-1", "cash_account": "1101"}', "cash_account"),
    ('{"lines": [{"product_id": 1, "quantity": 1}], "payment": "cash", "date": "2026-02-30"}', "date"),
    ('{"lines": [{"product_id": 1, "quantity": 1}], "payment": "cash", "idempotency_key": "k"}', "idempotency_key"),
    ('{"items": [{"product_id": 1, "qty": 1}], "payment": "cash"}', "items"),  # the POS's shape before the one contract
])
def test_bad_requests_are_400_invalid_request_never_500(client, staff, beras, body, field):
    login(client, "kasir")
    response = client.post(f"{BASE}/pos/sales", data=body, content_type="application/json")
    assert response.status_code == 400, _text(response)
    assert response.json["error"]["code"] == "invalid_request" and field in response.json["error"]["fields"]
    assert _entries() == 3  # the capital and the two purchases of the fixture


def test_the_same_idempotency_key_returns_the_same_sale_even_when_the_stock_is_gone(client, staff, beras):
    login(client, "kasir")
    first = _sell(client, [(beras, 13)], key="double-click")
    again = _sell(client, [(beras, 13)], key="double-click")
    assert first.status_code == again.status_code == 201
    assert again.json["sale_id"] == first.json["sale_id"] and again.json["replayed"] is True
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 1 and shop.get_product(staff, beras.id).qty == 0
    by_sku = client.post(f"{BASE}/pos/sales", json={"lines": [{"sku": "BRS-5", "quantity": "13"}], "payment": "cash"},
                         headers={"Idempotency-Key": "double-click"})  # the same sale asked by SKU, the quantity as text
    assert by_sku.status_code == 201 and by_sku.json["sale_id"] == first.json["sale_id"]


def test_the_same_key_for_another_cart_is_a_conflict(client, staff, beras, kopi):
    login(client, "kasir")
    assert _sell(client, [(beras, 1)], key="k").status_code == 201
    response = _sell(client, [(kopi, 1)], key="k")
    assert response.status_code == 409 and response.json["error"]["code"] == "idempotency_conflict"
    assert "PJ/2026/000001" in response.json["error"]["message"]


def test_the_pos_page_carries_the_csrf_token_the_json_post_needs(app, client, staff, beras):
    login(client, "kasir")
    app.config["WTF_CSRF_ENABLED"] = True  # after logging in (the next test starts with it off again)
    page = client.get(f"{BASE}/pos")
    html = _text(page)
    assert 'id="pos"' in html and "<noscript>" in html and "membutuhkan JavaScript" in html and "pos.js" in html
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    payload = {"lines": [{"product_id": beras.id, "quantity": 1}], "payment": "cash"}
    assert client.post(f"{BASE}/pos/sales", json=payload, headers={"Idempotency-Key": "csrf-1"}).status_code == 400  # no token
    assert _entries() == 3
    response = client.post(f"{BASE}/pos/sales", json=payload, headers={"X-CSRFToken": token, "Idempotency-Key": "csrf-1"})
    assert response.status_code == 201


def test_the_pos_page_is_in_english_for_an_english_user(client, staff, cashier):
    cashier.locale = "en"
    db.session.commit()
    login(client, "kasir")
    html = _text(client.get(f"{BASE}/pos"))
    assert '<html lang="en">' in html and 'data-locale="en"' in html


# --- receipts ------------------------------------------------------------------------------------

def test_the_receipt_page_prints_the_struk_on_58mm(client, staff, beras, kopi, member, cashier):
    sale = shop.record_sale(staff, member_id=member.id, items=[shop.SaleItem(beras.id, 2), shop.SaleItem(kopi.id, 1)],
                            cash_received=Decimal(200_000), actor=cashier)
    login(client, "pengawas")
    html = _text(client.get(f"{BASE}/sales/{sale.id}/receipt"))
    for text in (staff.name, "PJ/2026/000001", "Kasir", cashier.name, member.number, "Siti Aminah", "2 × Rp72.000", "Rp144.000",
                 "Rp174.000", "Rp200.000", "Rp26.000", "Tunai", "Terima kasih", 'id="print-receipt"', "receipt.css"):
        assert text in html, text
    assert re.search(r'id="struk-total">Rp174\.000<', html)
    css = client.get("/static/receipt.css").get_data(as_text=True)
    assert "size: 58mm auto" in css and "@media print" in css and "monospace" in css


def test_the_receipt_pdf_is_a_58mm_page_with_the_sale(client, staff, beras, cashier):
    sale = shop.record_sale(staff, items=[shop.SaleItem(beras.id, 1)], cash_received=Decimal(100_000), actor=cashier)
    login(client, "kasir")
    response = client.get(f"{BASE}/sales/{sale.id}/receipt.pdf")
    text = _pdf_text(response)
    for part in ("PJ/2026/000001", "Beras 5 kg", "Rp75.000", "Rp100.000", "Rp25.000", "Tunai", "Terima kasih", "Kasir"):
        assert part in text, part
    pages = PdfReader(io.BytesIO(response.data)).pages
    assert len(pages) == 1 and abs(float(pages[0].mediabox.width) - 58 / 25.4 * 72) < 1  # one 58 mm strip
    assert 'filename="struk-PJ-2026-000001.pdf"' in response.headers["Content-Disposition"]


# --- the sales list and one sale -----------------------------------------------------------------

def test_the_sales_list_filters_and_totals_by_payment_method(client, staff, beras, kopi, member, monkeypatch):
    shop.set_credit_limit(staff, "santri", Decimal(500_000))
    shop.record_sale(staff, items=[shop.SaleItem(beras.id, 1)], day=date(2026, 12, 14))
    shop.record_sale(staff, items=[shop.SaleItem(kopi.id, 1)])
    shop.record_sale(staff, items=[shop.SaleItem(kopi.id, 2)], payment="bank")
    shop.record_sale(staff, member_id=member.id, items=[shop.SaleItem(beras.id, 1)], payment="credit")
    login(client, "pengawas")
    today_page = _text(client.get(f"{BASE}/sales"))  # today unless asked
    assert "PJ/2026/000001" not in today_page and all(f"PJ/2026/00000{n}" in today_page for n in (2, 3, 4))
    totals = dict(re.findall(r'data-payment="(\w+)">.*?data-net>([^<]+)<', today_page, re.S))
    assert totals == {"cash": "Rp30.000", "bank": "Rp60.000", "credit": "Rp72.000"}
    everything = _text(client.get(f"{BASE}/sales?date_from=&date_to="))
    assert dict(re.findall(r'data-payment="(\w+)">.*?data-net>([^<]+)<', everything, re.S))["cash"] == "Rp105.000"
    only_credit = _text(client.get(f"{BASE}/sales?date_from=&date_to=&payment=credit"))
    assert "PJ/2026/000004" in only_credit and "PJ/2026/000002" not in only_credit
    by_member = _text(client.get(f"{BASE}/sales?date_from=2026-12-01&date_to=2026-12-31&member={member.number}"))
    assert re.findall(r'data-voucher="([^"]+)"', by_member) == ["PJ/2026/000004"]
    assert "tidak ada" in _text(client.get(f"{BASE}/sales?member=X-999"))
    monkeypatch.setattr(pos_views, "PER_PAGE", 2)
    first = _text(client.get(f"{BASE}/sales?date_from=&date_to="))
    second = _text(client.get(f"{BASE}/sales?date_from=&date_to=&page=2"))
    assert re.findall(r'data-voucher="([^"]+)"', first) == ["PJ/2026/000004", "PJ/2026/000003"]
    assert re.findall(r'data-voucher="([^"]+)"', second) == ["PJ/2026/000002", "PJ/2026/000001"]
    assert "1 / 2" in first


def test_the_sale_page_links_the_entry_for_ledger_readers_only(client, staff, beras):
    sale = shop.record_sale(staff, items=[shop.SaleItem(beras.id, 1)])
    login(client, "bendahara")
    assert f'/alhikmah/ledger/journal/{sale.entry_id}"' in _text(client.get(f"{BASE}/sales/{sale.id}"))
    client.post("/logout")
    login(client, "kasir")
    html = _text(client.get(f"{BASE}/sales/{sale.id}"))
    assert "/ledger/journal/" not in html and "PJ/2026/000001" in html and 'id="return-form"' in html


def test_a_return_from_the_sale_page_refunds_and_restocks_once(client, staff, beras, kopi, member):
    shop.set_credit_limit(staff, "santri", Decimal(500_000))
    sale = shop.record_sale(staff, member_id=member.id, payment="credit", items=[shop.SaleItem(beras.id, 2), shop.SaleItem(kopi.id, 1)])
    login(client, "kasir")
    response = client.post(f"{BASE}/sales/{sale.id}/return", data={"date": "2026-12-15", f"qty-{beras.id}": "1", f"qty-{kopi.id}": ""})
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "Retur tercatat dengan nomor bukti PJ/2026/000002: Rp72.000 dikembalikan." in page
    assert 'id="sale-returns"' in page and "PJ/2026/000002" in page
    assert receivables.owed_by(staff, member.id) == (144_000 + 30_000 - 72_000) * 100
    assert shop.get_product(staff, beras.id).qty == 12
    too_much = client.post(f"{BASE}/sales/{sale.id}/return", data={"date": "2026-12-15", f"qty-{beras.id}": "2"})
    assert too_much.status_code == 422 and "Retur melebihi jumlah yang dijual." in _text(too_much)
    nothing = client.post(f"{BASE}/sales/{sale.id}/return", data={"date": "2026-12-15", f"qty-{beras.id}": "abc"})
    assert nothing.status_code == 422 and "bilangan bulat" in _text(nothing)
    assert _entries() == 5 and check_cooperative(staff).ok
    ret_page = _text(client.get(f"{BASE}/sales/{sale.id + 1}"))
    assert "Retur penjualan" in ret_page and 'id="return-form"' in ret_page and 'name="qty-' not in ret_page


# --- pelunasan -----------------------------------------------------------------------------------

@pytest.fixture
def owing(staff, beras, member):
    shop.set_credit_limit(staff, "santri", Decimal(500_000))
    shop.record_sale(staff, member_id=member.id, payment="credit", items=[shop.SaleItem(beras.id, 2)])
    return member


def test_a_receivable_payment_posts_cash_against_1121_naming_the_member(staff, owing, cashier):
    payment = receivables.pay_receivable(staff, owing.id, amount=Decimal(100_000), actor=cashier)
    assert (payment.kind, payment.amount, payment.member_id, payment.voucher) == ("member_receivable", 100_000_00, owing.id, "KM/2026/000001")
    entry = queries.get_entry(staff, payment.entry_id)
    assert [(ln.account.code, ln.debit // 100, ln.credit // 100, ln.member_id) for ln in entry.lines] == [
        ("1103", 100_000, 0, None), ("1121", 0, 100_000, owing.id)]
    assert "Pelunasan piutang" in entry.description and owing.number in entry.description
    assert receivables.owed_by(staff, owing.id) == 44_000_00
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.receivable_payment"))
    assert audit.actor_id == cashier.id and audit.detail["member"] == owing.number
    assert check_cooperative(staff).ok


def test_a_receivable_payment_never_exceeds_what_is_owed_nor_is_zero(staff, owing):
    before = _entries()
    with pytest.raises(ShopError) as err:
        receivables.pay_receivable(staff, owing.id, amount=Decimal(150_000))
    assert err.value.code == "exceeds_receivable" and "Rp144.000" in str(err.value)
    for amount in (Decimal(0), Decimal(-5), Decimal("1000.5"), Decimal("NaN")):
        with pytest.raises(ShopError) as err:
            receivables.pay_receivable(staff, owing.id, amount=amount)
        assert err.value.code == "invalid_amount", amount
    with pytest.raises(ShopError) as err:
        receivables.pay_receivable(staff, 999_999, amount=Decimal(1_000))
    assert err.value.code == "not_found"
    assert _entries() == before


def test_a_receivable_payment_may_go_to_the_bank_and_replays_by_key(staff, owing):
    bank = chart.account_for(staff, "bank")
    first = receivables.pay_receivable(staff, owing.id, amount=Decimal(144_000), account_id=bank.id, idempotency_key="pay-1")
    again = receivables.pay_receivable(staff, owing.id, amount=Decimal(144_000), account_id=bank.id, idempotency_key="pay-1")
    assert again.id == first.id and first.account_name == bank.name_id and receivables.owed_by(staff, owing.id) == 0
    with pytest.raises(ShopError) as err:
        receivables.pay_receivable(staff, owing.id, amount=Decimal(1_000))
    assert err.value.code == "exceeds_receivable"


def test_the_receivables_page_lists_who_owes_and_takes_a_payment(client, staff, owing):
    login(client, "kasir")
    page = _text(client.get(f"{BASE}/receivables"))
    assert f'data-number="{owing.number}"' in page and "Rp144.000" in page and 'value="144.000"' in page
    till = chart.account_for(staff, "till").id
    refused = client.post(f"{BASE}/receivables/{owing.id}/pay", data={"amount": "200.000", "account": str(till), "idempotency_key": "a"})
    assert refused.status_code == 422 and "yang terutang Rp144.000" in _text(refused) and 'value="200.000"' in _text(refused)
    response = client.post(f"{BASE}/receivables/{owing.id}/pay", data={"amount": "100.000", "account": str(till), "idempotency_key": "b"})
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "Pelunasan Rp100.000 dari" in page and "KM/2026/000001" in page and "Rp44.000" in page
    twice = client.post(f"{BASE}/receivables/{owing.id}/pay", data={"amount": "100.000", "account": str(till), "idempotency_key": "b"})
    assert twice.status_code == 302 and receivables.owed_by(staff, owing.id) == 44_000_00  # a double submit pays once
    payment = receivables.payments_of(staff, owing.id)[0]
    kwitansi = client.get(f"{BASE}/receivables/payments/{payment.id}/kwitansi.pdf")
    text = _pdf_text(kwitansi)
    assert "KM/2026/000001" in text and "Pelunasan piutang toko" in text and "Siti Aminah" in text
    assert client.get(f"{BASE}/receivables/{owing.id + 100}/pay").status_code == 405
    assert client.post(f"{BASE}/receivables/{owing.id + 100}/pay", data={"amount": "1"}).status_code == 404


def test_the_pos_sale_json_is_documented_by_its_shape(client, staff, beras):
    """The contract pos.js relies on, in one place."""
    login(client, "kasir")
    body = json.loads(_text(_sell(client, [(beras, 1)])))
    assert set(body) == {"sale_id", "voucher", "total", "change", "wallet", "receipt_url", "receipt_pdf_url", "replayed"}
    assert body["wallet"] is None  # {"name", "balance"} when a santri's card paid
    error = json.loads(_text(_sell(client, [(beras, 99)])))
    assert set(error) == {"error"} and set(error["error"]) == {"code", "message", "fields"}


def test_a_return_without_its_csrf_token_is_refused_with_a_message(app, client, staff, beras):
    sale = shop.record_sale(staff, items=[shop.SaleItem(beras.id, 2)])
    login(client, "kasir")
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"{BASE}/sales/{sale.id}/return", data={"date": "2026-12-15", f"qty-{beras.id}": "1"})
    assert response.status_code == 400 and "CSRF" in _text(response)
    assert _entries() == 4
