"""The members-and-savings acceptance journey in a real browser (issue 4): the treasurer sets the
savings rules, registers a member, records pokok, three months of wajib, a sukarela deposit and a
withdrawal, downloads the kwitansi PDF and creates the member's portal login; the member logs in
with the one-time password from the slip, must change it, and sees the same balances — also on a
360 px phone."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_SLUG
from tests.e2e.test_journeys import PHONE, _sticking_out, log_in

pytestmark = pytest.mark.e2e

COOP = f"/{DEMO_SLUG}"
MEMBER_PASSWORD = "sandi-santri-2026"
KINDS = ("pokok", "wajib", "sukarela")


def _balances(page: Page) -> dict[str, str]:
    return {kind: page.locator(f"#balance-{kind}").inner_text().strip() for kind in KINDS}


def _assert_pdf(page: Page, href: str) -> None:
    """Fetch a PDF link with the page's own session cookies."""
    response = page.context.request.get(href)
    assert response.status == 200, href
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def _deposit(page: Page, member_id: str, kind: str, *, amount: str = "", months: str = "") -> str:
    page.goto(f"{COOP}/members/{member_id}/deposit")
    form = page.locator("#deposit-form")
    form.locator("#kind").select_option(kind)
    if amount:
        form.locator("#amount").fill(amount)
    if months:
        form.locator("#month_count").fill(months)
    form.locator("#submit").click()
    expect(page.get_by_role("alert")).to_contain_text("Setoran tercatat dengan nomor bukti")
    return page.locator("#tx-voucher").inner_text()


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide at a {PHONE['width']}px viewport"
    assert _sticking_out(page, PHONE["width"]) == [], page.url


def test_treasurer_records_savings_and_the_member_sees_the_same_balances(page: Page, new_page, live_server, tmp_path):
    name = f"Muhammad Rizki {uuid.uuid4().hex[:6]}"

    # the treasurer sets the savings rules
    log_in(page, "demo.bendahara")
    page.goto(f"{COOP}/savings/settings")
    settings = page.locator("#savings-settings-form")
    settings.locator("#pokok_amount").fill("100.000")
    for category, amount in [("santri", "25.000"), ("ustadz", "50.000"), ("karyawan", "50.000"), ("pengurus", "50.000"),
                             ("alumni", "20.000"), ("masyarakat", "30.000")]:
        settings.locator(f"#wajib_{category}").fill(amount)
    settings.locator("#submit").click()
    expect(page.get_by_role("alert")).to_have_text("Pengaturan simpanan disimpan.")

    # registers a member
    page.goto(f"{COOP}/members/new")
    form = page.locator("#member-form")
    form.locator("#name").fill(name)
    form.locator("#category").select_option("santri")
    form.locator("#submit").click()
    expect(page).to_have_url(re.compile(rf"{COOP}/members/\d+$"))
    expect(page.locator("#member-heading")).to_contain_text(name)
    member_id = page.url.rsplit("/", 1)[1]
    member_url = page.url

    # pokok, three months of wajib, a sukarela deposit and a withdrawal
    vouchers = [_deposit(page, member_id, "pokok"), _deposit(page, member_id, "wajib", months="3"),
                _deposit(page, member_id, "sukarela", amount="250.000")]
    page.goto(f"{COOP}/members/{member_id}/withdraw")
    page.locator("#withdraw-form #amount").fill("75.000")
    page.locator("#withdraw-form #submit").click()
    expect(page.get_by_role("alert")).to_contain_text("Penarikan tercatat dengan nomor bukti")
    vouchers.append(page.locator("#tx-voucher").inner_text())
    assert len(set(vouchers)) == 4 and all(re.fullmatch(r"SP/\d{4}/\d{6}", v) for v in vouchers), vouchers
    expect(page.locator("#tx-amount")).to_have_text("Rp75.000")

    # downloads the kwitansi PDF of the withdrawal
    _assert_pdf(page, page.locator("#kwitansi-pdf").get_attribute("href"))

    page.goto(member_url)
    staff_view = _balances(page)
    assert staff_view == {"pokok": "Rp100.000", "wajib": "Rp75.000", "sukarela": "Rp175.000"}
    expect(page.locator("#arrears-summary")).to_have_text("Tidak ada tunggakan.")
    expect(page.locator("#transactions-table tbody tr")).to_have_count(4)

    # the member page with its portal-login form fits a phone too
    staff_phone = new_page(viewport=PHONE, device_scale_factor=1)
    log_in(staff_phone, "demo.bendahara")
    staff_phone.goto(member_url)
    expect(staff_phone.locator("#create-login")).to_be_visible()
    _fits(staff_phone)

    # creates the portal login; the slip shows the one-time password once and prints as PDF
    page.locator("#create-login").click()
    expect(page.locator("main h1")).to_have_text("Login portal dibuat")
    login_name = page.locator("#slip-login").inner_text().strip()
    one_time = page.locator("#slip-password").inner_text().strip()
    assert re.fullmatch(rf"{DEMO_SLUG}\.a-\d{{4}}", login_name), login_name
    assert len(one_time) == 10
    expect(page.locator("#slip-url")).to_have_text(f"{live_server.url}{COOP}/me")
    with page.expect_download() as download:
        page.locator("#slip-pdf").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.screenshot(path=tmp_path / "login-slip.png", full_page=True)
    page.goto(member_url)
    expect(page.locator("#member-login")).to_have_text(login_name)
    expect(page.locator("#reset-login")).to_be_visible()
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    # the member logs in with the slip's password and must change it first
    form = page.locator("#login-form")
    form.locator("[name=login]").fill(login_name)
    form.locator("[name=password]").fill(one_time)
    form.locator("[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/account/password"))
    expect(page.locator("#must-change-password")).to_be_visible()
    page.goto(f"{COOP}/me")  # nothing else opens before the change
    expect(page).to_have_url(re.compile(r"/account/password"))
    page.locator("#current_password").fill(one_time)
    page.locator("#new_password").fill(MEMBER_PASSWORD)
    page.locator("#confirm").fill(MEMBER_PASSWORD)
    page.locator("#submit").click()
    expect(page.get_by_role("alert")).to_have_text("Kata sandi sudah diganti.")
    expect(page).to_have_url(re.compile(rf"{COOP}/me$"))  # where they were heading

    # and sees the same balances, in Indonesian
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("#portal-heading")).to_have_text(name)
    assert _balances(page) == staff_view
    expect(page.locator("#balance-total")).to_have_text("Rp350.000")
    expect(page.locator("#arrears-summary")).to_have_text("Tidak ada tunggakan.")
    for voucher in vouchers:
        expect(page.locator(f'#portal-movements tr[data-voucher="{voucher}"]')).to_be_visible()
    _assert_pdf(page, page.locator(".kwitansi-link").first.get_attribute("href"))
    page.screenshot(path=tmp_path / "portal-home.png", full_page=True)

    page.locator("#portal-passbook-link").click()
    expect(page.locator("main h1")).to_have_text("Buku simpanan (mutasi)")
    expect(page.locator("#passbook-closing")).to_have_text("175.000")

    # the dashboard points the member to the portal; staff pages stay closed
    page.goto(f"{COOP}/")
    page.locator("#portal-link").click()
    expect(page).to_have_url(re.compile(rf"{COOP}/me$"))
    assert page.context.request.get(f"{COOP}/members").status == 403
    assert page.js_errors == []

    # the same pages on a phone: nothing sticks out sideways
    phone = new_page(viewport=PHONE, device_scale_factor=1)
    phone.goto("/login")
    phone.locator("#login-form [name=login]").fill(login_name)
    phone.locator("#login-form [name=password]").fill(MEMBER_PASSWORD)
    phone.locator("#login-form [type=submit]").click()
    expect(phone).to_have_url(re.compile(rf"{COOP}/$"))
    _fits(phone)
    for path in ("me", "me/passbook"):
        phone.goto(f"{COOP}/{path}")
        expect(phone.locator("main h1")).to_be_visible()
        _fits(phone)
        phone.screenshot(path=tmp_path / f"phone-{path.replace('/', '-')}.png", full_page=True)
    phone.goto(f"{COOP}/me")
    assert _balances(phone) == staff_view
    assert phone.js_errors == []
