"""The cashiers' daily close: the day's sales by payment method, expected against counted cash, one
entry for the difference and the move from Kas Toko to Kas Besar — and the page over HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.shop import cashier as closing
from koppontren.shop import services as shop
from koppontren.shop.models import CashierClose
from koppontren.shop.services import ShopError
from tests.helpers import login

TODAY = date(2026, 12, 15)


def _lines(entry) -> list[tuple[str, int, int]]:
    return [(ln.account.code, ln.debit // 100, ln.credit // 100) for ln in entry.lines]


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def _closes() -> int:
    return db.session.scalar(select(func.count()).select_from(CashierClose))


def _balance(coop, role: str) -> int:
    return queries.balance_of(coop, chart.account_for(coop, role)) // 100


@pytest.fixture(autouse=True)
def pinned_page_today(monkeypatch):
    from koppontren.shop import cashier_views

    monkeypatch.setattr(cashier_views, "today", lambda: TODAY)


@pytest.fixture
def kasir2(build, coop):
    return build.user("kasir2", coop, "cashier")


@pytest.fixture
def treasurer(build, coop):
    return build.user("bendahara", coop, "treasurer")


@pytest.fixture
def float_in_till(stocked):
    """Rp200.000 modal kembalian moved from Kas Besar into the till before the day."""
    post_entry(stocked, entry_date=date(2026, 12, 14), description="Modal kembalian", journal_type="JU",
               lines=[LineSpec("1103", debit=Decimal(200_000)), LineSpec("1101", credit=Decimal(200_000))])
    return stocked


@pytest.fixture
def day_of_sales(float_in_till, beras, kopi, member, cashier, kasir2):
    """The cashier's 15 December: cash 150.000 + 30.000, bank 30.000, member credit 72.000, a cash
    refund of 75.000; plus a sale of another cashier and one of the day before, neither counted."""
    coop = float_in_till
    shop.set_credit_limit(coop, "santri", Decimal(500_000))
    first = shop.record_sale(coop, items=[shop.SaleItem(beras.id, 2)], actor=cashier)
    shop.record_sale(coop, items=[shop.SaleItem(kopi.id, 1)], actor=cashier)
    shop.record_sale(coop, items=[shop.SaleItem(kopi.id, 1)], payment="bank", actor=cashier)
    shop.record_sale(coop, items=[shop.SaleItem(beras.id, 1)], payment="credit", member_id=member.id, actor=cashier)
    shop.record_sale_return(coop, first.id, items=[shop.SaleItem(beras.id, 1)], actor=cashier)
    shop.record_sale(coop, items=[shop.SaleItem(kopi.id, 1)], actor=kasir2)
    shop.record_sale(coop, items=[shop.SaleItem(kopi.id, 1)], day=date(2026, 12, 14), actor=cashier)
    return coop


def test_the_summary_counts_the_cashiers_sales_of_the_day_by_payment(day_of_sales, cashier):
    summary = closing.day_summary(day_of_sales, cashier.id, TODAY)
    assert summary.sales == {"cash": 180_000_00, "bank": 30_000_00, "credit": 72_000_00, "wallet": 0}
    assert summary.returns == {"cash": 75_000_00, "bank": 0, "credit": 0, "wallet": 0}
    assert (summary.sale_count, summary.return_count) == (4, 1)
    assert (summary.cash_sales, summary.bank_sales, summary.credit_sales, summary.expected_cash) == (
        180_000_00, 30_000_00, 72_000_00, 105_000_00)


def test_a_shortage_goes_to_8201_and_the_counted_cash_to_kas_besar(day_of_sales, cashier):
    till_before_close = _balance(day_of_sales, "till")
    assert till_before_close == 200_000 + 105_000 + 30_000 + 30_000  # float, this cashier's net cash, kasir2, the day before
    close = closing.close_day(day_of_sales, cashier_id=cashier.id, day=TODAY, counted_cash=Decimal(100_000), actor=cashier)
    assert _lines(queries.get_entry(day_of_sales, close.entry_id)) == [("1101", 100_000, 0), ("8201", 5_000, 0), ("1103", 0, 105_000)]
    assert (close.cash_sales, close.bank_sales, close.credit_sales, close.expected_cash, close.counted_cash, close.difference) == (
        180_000_00, 30_000_00, 72_000_00, 105_000_00, 100_000_00, -5_000_00)
    assert close.voucher.startswith("JU/2026/")
    assert _balance(day_of_sales, "till") == till_before_close - 105_000  # the till keeps its float and the others' cash
    assert check_cooperative(day_of_sales).ok


def test_a_cashier_closes_a_day_only_once(day_of_sales, cashier):
    closing.close_day(day_of_sales, cashier_id=cashier.id, day=TODAY, counted_cash=Decimal(105_000), actor=cashier)
    entries, closes = _entries(), _closes()
    with pytest.raises(ShopError) as err:
        closing.close_day(day_of_sales, cashier_id=cashier.id, day=TODAY, counted_cash=Decimal(105_000), actor=cashier)
    assert err.value.code == "already_closed" and (_entries(), _closes()) == (entries, closes)


def test_an_overage_goes_to_8102(day_of_sales, kasir2):
    close = closing.close_day(day_of_sales, cashier_id=kasir2.id, day=TODAY, counted_cash=Decimal(31_000), actor=kasir2)
    assert _lines(queries.get_entry(day_of_sales, close.entry_id)) == [("1101", 31_000, 0), ("1103", 0, 30_000), ("8102", 0, 1_000)]
    assert close.difference == 1_000_00


def test_an_exact_count_only_moves_the_cash(day_of_sales, kasir2):
    close = closing.close_day(day_of_sales, cashier_id=kasir2.id, day=TODAY, counted_cash=Decimal(30_000), actor=kasir2)
    assert _lines(queries.get_entry(day_of_sales, close.entry_id)) == [("1101", 30_000, 0), ("1103", 0, 30_000)]


def test_a_day_without_cash_posts_nothing_but_is_closed(stocked, kopi, cashier):
    shop.record_sale(stocked, items=[shop.SaleItem(kopi.id, 1)], payment="bank", actor=cashier)
    before = _entries()
    close = closing.close_day(stocked, cashier_id=cashier.id, day=TODAY, counted_cash=Decimal(0), actor=cashier)
    assert (close.entry_id, close.voucher, close.bank_sales, close.expected_cash) == (None, None, 30_000_00, 0)
    assert _entries() == before and closing.get_close(stocked, cashier.id, TODAY).id == close.id


def test_refunds_beyond_the_days_takings_leave_nothing_expected(stocked, kopi, cashier):
    sale = shop.record_sale(stocked, items=[shop.SaleItem(kopi.id, 2)], day=date(2026, 12, 14), actor=cashier)
    shop.record_sale_return(stocked, sale.id, items=[shop.SaleItem(kopi.id, 2)], actor=cashier)
    summary = closing.day_summary(stocked, cashier.id, TODAY)
    assert (summary.cash_sales, summary.returns["cash"], summary.expected_cash) == (0, 60_000_00, 0)
    close = closing.close_day(stocked, cashier_id=cashier.id, day=TODAY, counted_cash=Decimal(0), actor=cashier)
    assert close.entry_id is None


def test_refusals_write_nothing(stocked, cashier, build):
    stranger = build.user("luar", build.coop("annur"), "cashier")
    for kw, code in (({"cashier_id": stranger.id}, "not_found"), ({"cashier_id": 99_999}, "not_found"),
                     ({"counted_cash": Decimal(-1)}, "invalid_amount"), ({"counted_cash": Decimal("0.5")}, "invalid_amount"),
                     ({"counted_cash": 1.5}, "invalid_amount"), ({"day": date(2026, 12, 16)}, "future_date")):
        args = {"cashier_id": cashier.id, "day": TODAY, "counted_cash": Decimal(10_000), **kw}
        with pytest.raises(ShopError) as err:
            closing.close_day(stocked, actor=cashier, **args)
        assert err.value.code == code
    assert _closes() == 0 and _entries() == 3  # the capital and the two purchases of the fixture


def test_a_closed_period_refuses_the_close_and_keeps_no_row(day_of_sales, cashier, treasurer):
    from koppontren.ledger import periods

    periods.close_month(day_of_sales, 2026, 12, actor=treasurer)
    with pytest.raises(ShopError) as err:
        closing.close_day(day_of_sales, cashier_id=cashier.id, day=TODAY, counted_cash=Decimal(105_000), actor=cashier)
    assert err.value.code == "period_closed" and _closes() == 0


# --- the page ------------------------------------------------------------------------------------

URL = "/alhikmah/shop/close"


@pytest.fixture
def staff(build, coop, cashier, kasir2, treasurer):
    for login_name, role in (("pengawas", "auditor"), ("anggota", "member")):
        build.user(login_name, coop, role)
    return coop


def test_a_cashier_sees_and_closes_their_own_day(client, staff, day_of_sales, cashier):
    login(client, "kasir")
    text = client.get(URL).get_data(as_text=True)
    assert "Rp105.000" in text and "Rp180.000" in text and "close-form" in text
    response = client.post(URL, data={"counted_cash": "104.000"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "close-result" in text and "Rp1.000" in text
    close = closing.get_close(day_of_sales, cashier.id, TODAY)
    assert (close.counted_cash, close.difference) == (104_000_00, -1_000_00)
    response = client.post(URL, data={"counted_cash": "104.000"})
    assert response.status_code == 200 and "sudah ditutup" in response.get_data(as_text=True) and _closes() == 1


def test_a_cashier_cannot_open_another_cashiers_day(client, staff, day_of_sales, kasir2):
    login(client, "kasir")
    assert client.get(f"{URL}?cashier={kasir2.id}").status_code == 403
    assert client.post(f"{URL}?cashier={kasir2.id}", data={"counted_cash": "0"}).status_code == 403
    assert _closes() == 0


def test_a_treasurer_picks_a_cashier_and_closes_their_day(client, staff, day_of_sales, cashier):
    login(client, "bendahara")
    text = client.get(f"{URL}?cashier={cashier.id}&date=2026-12-15").get_data(as_text=True)
    assert "Rp105.000" in text and 'name="cashier"' in text
    client.post(f"{URL}?cashier={cashier.id}&date=2026-12-15", data={"counted_cash": "105.000"})
    assert closing.get_close(day_of_sales, cashier.id, TODAY).difference == 0
    assert client.get(f"{URL}?cashier=99999").status_code == 404


def test_a_bad_amount_is_shown_on_the_form(client, staff, day_of_sales):
    login(client, "kasir")
    for typed in ("12abc", "", "-5"):
        response = client.post(URL, data={"counted_cash": typed})
        assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True) and _closes() == 0


@pytest.mark.parametrize("login_name", ["pengawas", "anggota"])
def test_auditors_and_members_are_forbidden(client, staff, day_of_sales, login_name):
    login(client, login_name)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data={"counted_cash": "0"}).status_code == 403 and _closes() == 0


def test_another_cooperatives_user_gets_404(client, staff, build):
    build.user("luar", build.coop("annur"), "admin")
    login(client, "luar")
    assert client.get(URL).status_code == 404


def test_pelunasan_taken_into_the_till_is_expected_at_the_close(build, coop, supplier, beras, member, cashier):
    from koppontren.shop import cashier as cashier_service
    from koppontren.shop import receivables

    build.fund(coop, 1_000_000, date(2026, 11, 30))
    shop.record_purchase(coop, party_id=supplier.id, day=date(2026, 12, 1), items=[shop.PurchaseItem(beras.id, 5, Decimal(60_000))])
    shop.set_credit_limit(coop, "santri", Decimal(500_000))
    shop.record_sale(coop, items=[shop.SaleItem(beras.id, 1)], member_id=member.id, payment="credit", day=date(2026, 12, 14), actor=cashier)
    shop.record_sale(coop, items=[shop.SaleItem(beras.id, 1)], day=date(2026, 12, 15), actor=cashier)
    receivables.pay_receivable(coop, member.id, amount=Decimal(72_000), day=date(2026, 12, 15), actor=cashier)
    summary = cashier_service.day_summary(coop, cashier.id, date(2026, 12, 15))
    assert summary.receivable_payments == 72_000_00 and summary.expected_cash == (75_000 + 72_000) * 100


def test_consignment_goods_cannot_be_bought_in(coop, supplier, beras):
    from koppontren.shop import consignment

    owner = shop.create_party(coop, kind="consignor", code="PNT-1", name="Santri Penitip")
    consignment.set_consignment(coop, beras, consignor_id=owner.id, commission_bp=1000)
    with pytest.raises(ShopError) as err:
        shop.record_purchase(coop, party_id=supplier.id, items=[shop.PurchaseItem(beras.id, 1, Decimal(1_000))])
    assert err.value.code == "consignment_product"
