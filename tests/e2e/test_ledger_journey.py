"""The treasurer's ledger journey in a real browser: a three-line journal with the live balance
check, the general ledger, a reversal, and the trial balance back where it started; and the
journal-entry page on a 360 px phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_SLUG
from tests.e2e.test_journeys import PHONE, log_in, open_menu_link

pytestmark = pytest.mark.e2e

LEDGER = f"/{DEMO_SLUG}/ledger"


def trial_balance_totals(page: Page) -> tuple[int, int, dict[str, int]]:
    """(total debit, total credit, net debit per account code) in sen, as the trial balance shows them."""
    page.goto(f"{LEDGER}/trial-balance")
    expect(page.locator("main h1")).to_have_text("Neraca saldo")
    expect(page.locator("#tb-status")).to_have_text("Seimbang")
    if page.locator("#trial-balance").count() == 0:
        return 0, 0, {}
    debit = page.locator("#tb-total-debit")
    credit = page.locator("#tb-total-credit")
    rows = page.locator("#trial-balance tr[data-code]")
    nets = {rows.nth(i).get_attribute("data-code"): int(rows.nth(i).get_attribute("data-net-debit")) for i in range(rows.count())}
    return int(debit.get_attribute("data-sen")), int(credit.get_attribute("data-sen")), nets


def fill_line(page: Page, index: int, account: str, debit: str = "", credit: str = "") -> None:
    line = page.locator("#journal-lines [data-line]").nth(index)
    line.locator("select").select_option(account)
    if debit:
        line.locator('[data-field="debit"]').fill(debit)
    if credit:
        line.locator('[data-field="credit"]').fill(credit)


def test_treasurer_posts_a_journal_sees_it_in_the_ledger_and_reverses_it(page: Page, live_server, tmp_path):
    log_in(page, "demo.bendahara")
    before = trial_balance_totals(page)

    open_menu_link(page, "#nav-ledger", "Jurnal umum baru")
    expect(page.locator("main h1")).to_have_text("Jurnal umum baru")
    page.locator("#journal_type").select_option("KK")
    page.locator("#description").fill("Bayar listrik dan ATK kantor koperasi")
    page.locator("#reference").fill("BKK-0042")
    box = page.locator("#balance-check")
    submit = page.locator("[data-submit]")

    fill_line(page, 0, "6102", debit="350.000")
    fill_line(page, 1, "6103", debit="150.000")
    expect(box).to_have_attribute("data-state", "unbalanced")
    expect(box.locator("[data-difference]")).to_have_text("500.000")
    expect(submit).to_be_disabled()

    page.get_by_role("button", name="Tambah baris").click()
    expect(page.locator("#journal-lines [data-line]")).to_have_count(3)
    fill_line(page, 2, "1101", credit="500.00")  # a typo: not an amount in Indonesian notation
    expect(box).to_have_attribute("data-state", "invalid")
    expect(submit).to_be_disabled()
    fill_line(page, 2, "1101", credit="500.000")
    expect(box).to_have_attribute("data-state", "ok")
    expect(box.locator("[data-status-text]")).to_have_text("Debit = Kredit ✓")
    expect(box.locator("[data-total-debit]")).to_have_text("500.000")
    expect(box.locator("[data-total-credit]")).to_have_text("500.000")
    expect(box.locator("[data-difference]")).to_have_text("0")
    expect(submit).to_be_enabled()
    page.screenshot(path=tmp_path / "journal-balanced.png", full_page=True)

    submit.click()
    expect(page).to_have_url(re.compile(rf"{LEDGER}/journal/\d+$"))
    expect(page.get_by_role("alert")).to_contain_text("diposting")
    number = page.locator("#entry-number").inner_text().split()[0]
    assert re.fullmatch(r"KK/\d{4}/\d{6}", number), number
    expect(page.locator("#entry-total-debit")).to_have_text("500.000")
    entry_url = page.url

    debit, credit, nets = trial_balance_totals(page)  # the demo's cash holds members' savings already
    assert debit == credit
    changes = {code: nets.get(code, 0) - before[2].get(code, 0) for code in ("6102", "6103", "1101")}
    assert changes == {"6102": 35_000_000, "6103": 15_000_000, "1101": -50_000_000}

    page.goto(entry_url)
    page.locator("#entry-lines").get_by_role("link", name="6102").click()
    expect(page.locator("main h1")).to_contain_text("Buku besar 6102")
    row = page.locator(f'#ledger-table tr[data-entry="{number}"]')
    expect(row).to_be_visible()
    expect(row.locator("td.amount").first).to_have_text("350.000")
    page.screenshot(path=tmp_path / "ledger-6102.png", full_page=True)

    page.goto(entry_url)
    page.locator("#reverse-form").get_by_role("button", name="Balik jurnal").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Jurnal {number} dibalik")
    expect(page.locator("#reverses")).to_contain_text(number)
    page.goto(entry_url)
    expect(page.locator("#reversed-by")).to_be_visible()
    expect(page.locator("#reverse-form")).to_have_count(0)

    assert trial_balance_totals(page) == before
    page.screenshot(path=tmp_path / "trial-balance.png", full_page=True)
    assert page.js_errors == []


def test_the_journal_entry_page_fits_a_360px_phone(new_page, live_server, tmp_path):
    page = new_page(viewport=PHONE, device_scale_factor=1)
    log_in(page, "demo.bendahara")
    page.goto(f"{LEDGER}/journal/new")
    expect(page.locator("main h1")).to_have_text("Jurnal umum baru")
    page.get_by_role("button", name="Tambah baris").click()
    fill_line(page, 0, "6102", debit="1.250.000")
    fill_line(page, 1, "1101", credit="1.250.000")
    expect(page.locator("#balance-check")).to_have_attribute("data-state", "ok")
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=tmp_path / "journal-new-360.png", full_page=True)
    assert width <= PHONE["width"], f"the journal form is {width}px wide at {PHONE['width']}px"
    assert page.js_errors == []
