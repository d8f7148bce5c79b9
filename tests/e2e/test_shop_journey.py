"""The shop's acceptance journey in a real browser (issue 5): with three products in stock (one with
a barcode) and a credit limit for the member's category, the cashier sells the three — one typed
into the scan box as a barcode + Enter, one by SKU, one found by name — to a member on credit, then
one to a walk-in customer for cash with change (double-clicking Bayar sells once), prints the
receipt and downloads its PDF; the treasurer sees both entries in the journal and the product's
stock moves. The POS fits a 360 px phone."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_SLUG
from tests.e2e.test_journeys import PHONE, _sticking_out, log_in, open_menu_link

pytestmark = pytest.mark.e2e

COOP = f"/{DEMO_SLUG}"
NO_PRINT_DIALOG = "window.__printed = 0; window.print = () => { window.__printed += 1; };"


def _set_up_the_shop(live_server) -> dict:
    """What the treasurer prepares, through the services in the live server's app context."""
    from koppontren.auth import services as auth
    from koppontren.members import services as members
    from koppontren.shop import services as shop
    from koppontren.tenancy.services import get_by_slug

    tag = uuid.uuid4().hex[:5].upper()
    with live_server.app.app_context():
        coop = get_by_slug(DEMO_SLUG)
        treasurer = auth.get_user_by_login("demo.bendahara")
        supplier = shop.create_party(coop, kind="supplier", code=f"SUP-{tag}", name=f"CV Grosir Santri {tag}", actor=treasurer)
        soap = shop.create_product(coop, shop.ProductData(sku=f"SBN-{tag}", name=f"Sabun Mandi {tag}", price=Decimal(12_000),
                                                          member_price=Decimal(11_000), barcode=f"899{uuid.uuid4().int % 10**10:010d}"),
                                   actor=treasurer)
        pen = shop.create_product(coop, shop.ProductData(sku=f"PLP-{tag}", name=f"Pulpen Hitam {tag}", price=Decimal(8_500)), actor=treasurer)
        book = shop.create_product(coop, shop.ProductData(sku=f"KTB-{tag}", name=f"Kitab Safinah {tag}", price=Decimal(25_000),
                                                          member_price=Decimal(23_500), business_unit="produk"), actor=treasurer)
        shop.record_purchase(coop, party_id=supplier.id, actor=treasurer, items=[
            shop.PurchaseItem(soap.id, 24, Decimal(9_000)), shop.PurchaseItem(pen.id, 50, Decimal(6_000)),
            shop.PurchaseItem(book.id, 10, Decimal(18_000))])
        member = members.search(coop, status="aktif", per_page=1)[0][0]
        shop.set_credit_limit(coop, member.category, Decimal(1_000_000), actor=treasurer)
        return {"tag": tag, "soap": (soap.id, soap.barcode), "pen": (pen.id, pen.sku), "book": (book.id, book.name),
                "member": (member.id, member.number)}


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide at a {PHONE['width']}px viewport"
    assert _sticking_out(page, PHONE["width"]) == [], page.url


def _scan(page: Page, code: str) -> None:
    page.locator("#scan").fill(code)
    page.locator("#scan").press("Enter")


def test_cashier_sells_on_credit_and_for_cash_and_the_treasurer_sees_the_entries(page: Page, new_page, live_server, tmp_path):
    shop_data = _set_up_the_shop(live_server)
    soap_id, barcode = shop_data["soap"]
    pen_id, pen_sku = shop_data["pen"]
    _book_id, book_name = shop_data["book"]
    _member_id, member_number = shop_data["member"]

    # the cashier: three products to a member on credit
    log_in(page, "demo.kasir")
    open_menu_link(page, "#nav-shop", "Kasir (POS)")
    expect(page).to_have_url(re.compile(rf"{COOP}/shop/pos$"))
    expect(page.locator("#pos")).to_be_visible()
    expect(page.locator("#scan")).to_be_focused()

    page.locator("#member-q").fill(member_number)
    page.locator("#member-q").press("Enter")
    expect(page.locator("#member-chosen")).to_be_visible()
    expect(page.locator("#member-label")).to_contain_text(member_number)
    expect(page.locator("#pay-credit")).to_be_enabled()

    _scan(page, barcode)  # a scanner types the barcode and Enter
    expect(page.locator(f'#cart [data-product-id="{soap_id}"]')).to_be_visible()
    _scan(page, pen_sku)
    expect(page.locator(f'#cart [data-product-id="{pen_id}"]')).to_be_visible()
    page.locator("#scan").fill(f"safinah {shop_data['tag']}".lower())  # by name: pick it from the list
    page.locator("#scan-results").get_by_role("option", name=re.compile(re.escape(book_name))).click()
    expect(page.locator("#cart [data-line]")).to_have_count(3)
    expect(page.locator("#cart-count")).to_have_text("3")
    expect(page.locator("#grand-total")).to_have_text("Rp43.000")  # 11.000 + 8.500 + 23.500: member prices
    expect(page.locator(f'#cart [data-product-id="{soap_id}"] [data-member-price]')).to_be_visible()

    page.locator("label[for=pay-credit]").click()
    expect(page.locator("#cash-box")).to_be_hidden()
    expect(page.locator("#pay-credit")).to_be_checked()
    page.mouse.move(0, 0)
    page.screenshot(path=tmp_path / "pos-member-credit.png", full_page=True)
    page.locator("#pay").click()
    expect(page.locator("#sale-done")).to_be_visible()
    credit_voucher = page.locator("#done-voucher").inner_text()
    assert re.fullmatch(r"PJ/\d{4}/\d{6}", credit_voucher), credit_voucher
    expect(page.locator("#done-total")).to_have_text("Rp43.000")
    expect(page.locator("#done-change-box")).to_be_hidden()
    expect(page.locator("#cart [data-line]")).to_have_count(0)
    expect(page.locator("#member-chosen")).to_be_hidden()

    # one product to a walk-in customer for cash, with change; a double click sells once
    _scan(page, barcode)
    expect(page.locator("#grand-total")).to_have_text("Rp12.000")  # no member: the normal price
    expect(page.locator("#pay-credit")).to_be_disabled()
    page.locator("#cash-received").fill("20.000")
    expect(page.locator("#change")).to_have_text("Rp8.000")
    page.locator("#pay").dblclick()
    expect(page.locator("#sale-done")).to_be_visible()
    expect(page.locator("#done-voucher")).not_to_have_text(credit_voucher)
    cash_voucher = page.locator("#done-voucher").inner_text()
    expect(page.locator("#done-change")).to_have_text("Rp8.000")

    # the receipt: the print view (its Print button) and the PDF
    page.context.add_init_script(NO_PRINT_DIALOG)
    with page.context.expect_page() as opened:
        page.locator("#receipt-link").click()
    receipt = opened.value
    receipt.wait_for_load_state()
    expect(receipt.locator("#struk-voucher")).to_have_text(cash_voucher)
    expect(receipt.locator("#struk-total")).to_have_text("Rp12.000")
    expect(receipt.locator("#struk-change")).to_have_text("Rp8.000")
    expect(receipt.locator("#struk")).to_contain_text("Terima kasih")
    receipt.screenshot(path=tmp_path / "struk.png", full_page=True)
    assert receipt.evaluate("window.__printed") == 1  # opened from the POS: printed straight away
    receipt.locator("#print-receipt").click()
    assert receipt.evaluate("window.__printed") == 2
    pdf = page.context.request.get(receipt.locator("#receipt-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    page.goto(f"{COOP}/shop/sales")
    vouchers = page.locator("#sales-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.voucher)")
    assert vouchers.count(cash_voucher) == 1 and credit_voucher in vouchers
    assert page.js_errors == []

    # the treasurer sees the two entries and the stock card
    treasurer = new_page()
    log_in(treasurer, "demo.bendahara")
    treasurer.goto(f"{COOP}/ledger/journal?journal_type=PJ")
    for voucher in (credit_voucher, cash_voucher):
        expect(treasurer.locator(f'#journal-table tr[data-number="{voucher}"]')).to_be_visible()
    expect(treasurer.locator(f'#journal-table tr[data-number="{credit_voucher}"]')).to_contain_text(member_number)
    if "shop.stock_card" in live_server.app.view_functions:
        treasurer.goto(f"{COOP}/shop/products/{soap_id}")
        for voucher in (credit_voucher, cash_voucher):
            expect(treasurer.get_by_text(voucher).first).to_be_visible()
    else:  # the stock card page belongs to the back office: read the same moves through the service
        from koppontren.shop import services as shop
        from koppontren.tenancy.services import get_by_slug

        with live_server.app.app_context():
            coop = get_by_slug(DEMO_SLUG)
            moves = shop.stock_card(coop, shop.get_product(coop, soap_id))
            assert [(m.kind, m.qty, m.qty_after, m.reference) for m in moves][1:] == [
                ("sale", -1, 23, credit_voucher), ("sale", -1, 22, cash_voucher)]
            assert moves[0].kind == "purchase" and moves[0].qty == 24
    treasurer.goto(f"{COOP}/shop/sales")
    treasurer.locator("#sales-table").get_by_role("link", name=credit_voucher).click()
    expect(treasurer.locator("#sale-buyer")).to_contain_text(member_number)
    treasurer.locator("#sale-entry a").click()
    expect(treasurer).to_have_url(re.compile(rf"{COOP}/ledger/journal/\d+$"))
    assert treasurer.js_errors == []


def test_the_pos_fits_a_360px_phone(new_page, live_server, tmp_path):
    shop_data = _set_up_the_shop(live_server)
    phone = new_page(viewport=PHONE, device_scale_factor=1)
    log_in(phone, "demo.kasir")
    phone.goto(f"{COOP}/shop/pos")
    expect(phone.locator("#pos")).to_be_visible()
    _scan(phone, shop_data["soap"][1])
    _scan(phone, shop_data["pen"][1])
    expect(phone.locator("#cart [data-line]")).to_have_count(2)
    phone.locator("#member-q").fill(shop_data["member"][1])
    phone.locator("#member-q").press("Enter")
    expect(phone.locator("#member-chosen")).to_be_visible()
    phone.screenshot(path=tmp_path / "pos-phone.png", full_page=True)
    _fits(phone)
    phone.locator("#scan").fill(shop_data["tag"].lower())
    expect(phone.locator("#scan-results")).to_be_visible()
    _fits(phone)
    assert phone.js_errors == []
