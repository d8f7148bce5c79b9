"""The santri wallet's acceptance journey in a real browser (issue 9): the treasurer registers a
santri, makes and prints their card, tops up their wallet and creates the wali's login (one-time password on the slip); the cashier sells snacks by
scanning the santri's card (the card token typed into the scan field + Enter); a card without
enough balance is refused with the message; the wali logs in on a phone, picks their own password,
lands on their portal and sees the purchase (items, place) and the new balance."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from koppontren.demo import DEMO_PASSWORD
from tests.e2e.conftest import DEMO_SLUG
from tests.e2e.test_journeys import PHONE, _sticking_out, log_in, open_menu_link

pytestmark = pytest.mark.e2e

COOP = f"/{DEMO_SLUG}"


def _set_up(live_server) -> dict:
    """What the cooperative already has: a santri with a card, and a snack in stock (not exempt)."""
    from koppontren.auth import services as auth
    from koppontren.shop import services as shop
    from koppontren.tenancy.services import get_by_slug

    tag = uuid.uuid4().hex[:5].upper()
    with live_server.app.app_context():
        coop = get_by_slug(DEMO_SLUG)
        treasurer = auth.get_user_by_login("demo.bendahara")
        supplier = shop.create_party(coop, kind="supplier", code=f"SUP-W{tag}", name=f"CV Jajan {tag}", actor=treasurer)
        snack = shop.create_product(coop, shop.ProductData(sku=f"SNK-{tag}", name=f"Keripik Singkong {tag}", price=Decimal(6_000),
                                                          category="Jajanan", barcode=f"877{uuid.uuid4().int % 10**10:010d}"),
                                    actor=treasurer)
        shop.record_purchase(coop, party_id=supplier.id, actor=treasurer, items=[shop.PurchaseItem(snack.id, 40, Decimal(4_000))])
        return {"tag": tag, "nis": f"W{tag}", "name": f"Ahmad Fauzi {tag}", "snack": (snack.id, snack.barcode, snack.name)}


def test_topup_then_a_card_sale_at_the_pos_then_the_wali_sees_it(page: Page, new_page, live_server, tmp_path):
    data = _set_up(live_server)
    snack_id, barcode, snack_name = data["snack"]

    # the treasurer registers the santri, makes their card and prints it
    log_in(page, "demo.bendahara")
    open_menu_link(page, "#nav-wallet", "Daftarkan santri")
    page.locator("#nis").fill(data["nis"])
    page.locator("#name").fill(data["name"])
    page.locator("#kelas").fill("7A")
    page.locator("#santri-form [type=submit]").click()
    expect(page.locator("#santri-name")).to_have_text(data["name"])
    expect(page.locator("#no-card")).to_be_visible()
    page.locator("#issue-card").click()
    expect(page.locator("#card-pdf")).to_be_visible()  # the page that prints the new card: its token is known only now
    token = page.locator("#card-tokens").input_value()  # what the printed card's QR code and barcode carry
    pdf = page.context.request.post(page.locator("#card-pdf-form").get_attribute("action"), form={
        "csrf_token": page.locator("#card-pdf-form [name=csrf_token]").input_value(), "tokens": token, "filename": "kartu.pdf"})
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    page.locator("#cards-done").click()
    expect(page.locator("#santri-name")).to_have_text(data["name"])

    # ... finds them in the list and tops up Rp50.000 in cash
    open_menu_link(page, "#nav-wallet", "Daftar santri & saldo")
    page.locator("#q").fill(data["nis"])
    page.locator("#santri-filters button").click()
    page.locator(f'#santri-table tr[data-nis="{data["nis"]}"] a').click()
    expect(page.locator("#santri-name")).to_have_text(data["name"])
    expect(page.locator("#santri-balance")).to_have_text("Rp0")
    page.locator("#topup-link").click()
    page.locator("#amount").fill("50.000")
    page.locator("#method").select_option("cash")
    page.locator("#reference").fill(f"Titipan Bapak {data['tag']}")
    page.locator("#topup-form [type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Saldo sekarang Rp50.000")
    expect(page.locator("#santri-balance")).to_have_text("Rp50.000")
    expect(page.locator('#wallet-transactions [data-kind="topup"]')).to_have_count(1)

    # ... and creates the wali's login: the slip shows the one-time password once
    wali_login = f"wali.{data['tag'].lower()}"
    page.locator("#wali-form #login").fill(wali_login)
    page.locator("#wali-form #name").fill(f"Bapak Fauzi {data['tag']}")
    page.locator("#wali-form [type=submit]").click()
    expect(page.locator("#wali-slip")).to_be_visible()
    expect(page.locator("#slip-login")).to_have_text(wali_login)
    one_time = page.locator("#slip-password").inner_text().strip()
    assert len(one_time) >= 8
    page.locator("#slip-done").click()
    expect(page.locator(f'#wali-list [data-login="{wali_login}"]')).to_be_visible()
    assert page.js_errors == []

    # the cashier sells two snacks, paid by scanning the santri's card
    cashier = new_page()
    log_in(cashier, "demo.kasir")
    cashier.goto(f"{COOP}/shop/pos")
    expect(cashier.locator("#scan")).to_be_focused()
    for _ in range(2):
        cashier.locator("#scan").fill(barcode)
        cashier.locator("#scan").press("Enter")
        expect(cashier.locator(f'#cart [data-product-id="{snack_id}"]')).to_be_visible()
    expect(cashier.locator("#cart-count")).to_have_text("2")
    expect(cashier.locator("#grand-total")).to_have_text("Rp12.000")
    cashier.locator("label[for=pay-wallet]").click()
    expect(cashier.locator("#wallet-box")).to_be_visible()
    expect(cashier.locator("#cash-box")).to_be_hidden()
    expect(cashier.locator("#card-scan")).to_be_focused()
    # a wrong card first: refused, nothing sold, the field is empty for the next scan
    cashier.locator("#card-scan").fill("tidak-ada-kartu-seperti-ini-123")
    cashier.locator("#card-scan").press("Enter")
    expect(cashier.locator("#pos-error")).to_have_text("Kartu tidak dikenali atau tidak berlaku.")
    expect(cashier.locator("#card-scan")).to_have_value("")
    expect(cashier.locator("#cart [data-line]")).to_have_count(1)
    # the santri's card: a scanner types the token and Enter
    cashier.locator("#card-scan").fill(token)
    cashier.locator("#card-scan").press("Enter")
    expect(cashier.locator("#sale-done")).to_be_visible()
    voucher = cashier.locator("#done-voucher").inner_text()
    assert re.fullmatch(r"PJ/\d{4}/\d{6}", voucher), voucher
    expect(cashier.locator("#done-total")).to_have_text("Rp12.000")
    expect(cashier.locator("#cart [data-line]")).to_have_count(0)
    expect(cashier.locator("#pay-wallet")).to_be_checked()  # the next santri in the queue pays by card too
    cashier.screenshot(path=tmp_path / "pos-wallet.png", full_page=True)
    # a second sale above the balance is refused with what is left
    cashier.locator("#scan").fill(f"8*{barcode}")
    cashier.locator("#scan").press("Enter")
    expect(cashier.locator("#grand-total")).to_have_text("Rp48.000")
    cashier.locator("#card-scan").fill(token)
    cashier.locator("#card-scan").press("Enter")
    expect(cashier.locator("#pos-error")).to_contain_text("Rp38.000")
    expect(cashier.locator("#sale-done")).to_be_hidden()
    assert cashier.js_errors == []

    # the wali logs in on a phone: first their own password, then their portal
    wali = new_page(viewport=PHONE, device_scale_factor=1)
    wali.goto("/login")
    wali.locator("#login-form [name=login]").fill(wali_login)
    wali.locator("#login-form [name=password]").fill(one_time)
    wali.locator("#login-form [type=submit]").click()
    expect(wali.locator("#must-change-password")).to_be_visible()
    wali.locator("[name=current_password]").fill(one_time)
    wali.locator("[name=new_password]").fill(DEMO_PASSWORD + "-wali")
    wali.locator("[name=confirm]").fill(DEMO_PASSWORD + "-wali")
    wali.locator("form [type=submit]").last.click()
    expect(wali).to_have_url(re.compile(rf"{COOP}/me/santri$"))
    box = wali.locator(f'.wali-santri[data-nis="{data["nis"]}"]')
    expect(box.locator("[data-balance]")).to_have_text("Rp38.000")
    purchase = box.locator('[data-kind="purchase"]')
    expect(purchase).to_have_count(1)
    expect(purchase).to_contain_text("Rp12.000")
    expect(purchase.locator(".wallet-items")).to_contain_text(f"2 × {snack_name}")
    expect(purchase.locator(".wallet-place")).to_contain_text("Koperasi")
    expect(box.locator('[data-kind="topup"]')).to_contain_text("Rp50.000")
    width = wali.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] and _sticking_out(wali, PHONE["width"]) == []
    wali.screenshot(path=tmp_path / "wali-portal.png", full_page=True)

    # the wali lowers the daily limit; raising it above the cooperative's is refused
    box.get_by_role("link", name="Semua transaksi dan batas belanja").click()
    expect(wali.locator("#santri-balance")).to_have_text("Rp38.000")
    wali.locator("#wali-limits-form #daily").fill("10.000")
    wali.locator("#wali-limits-form [type=submit]").click()
    expect(wali.locator(".alert-success")).to_contain_text("disimpan")
    expect(wali.locator('#spending-table tr[data-window="daily"]')).to_contain_text("Rp10.000")
    assert wali.js_errors == []
