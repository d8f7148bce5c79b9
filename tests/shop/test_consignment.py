"""Consignment (titip jual): goods in and out without value, sales crediting 2102 for the consignor
and 4203 for the commission, returns that undo exactly that split, settlements — checked against
the entries a treasurer reads — and the consignment page over HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry
from koppontren.shop import consignment
from koppontren.shop import services as shop
from koppontren.shop.models import ShopPayment, StockMove
from koppontren.shop.services import ShopError
from tests.helpers import login


def _lines(entry) -> list[tuple[str, int, int, int | None, int | None]]:
    return [(ln.account.code, ln.debit // 100, ln.credit // 100, ln.member_id, ln.party_id) for ln in entry.lines]


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def _moves() -> int:
    return db.session.scalar(select(func.count()).select_from(StockMove))


def _balance(coop, role: str, **kw) -> int:
    return queries.balance_of(coop, chart.account_for(coop, role), **kw)


@pytest.fixture(autouse=True)
def pinned_page_today(monkeypatch, pinned_today):
    from koppontren.shop import consignment_views

    monkeypatch.setattr(consignment_views, "today", lambda: pinned_today)


@pytest.fixture
def penitip(coop):
    return shop.create_party(coop, kind="consignor", code="TTP-01", name="Ponpes Al-Amin (OPOP)")


@pytest.fixture
def kerupuk(coop, penitip):
    """Rp12.345 (member Rp12.000), 10 % commission."""
    product = shop.create_product(coop, shop.ProductData(sku="KRP-AA", name="Kerupuk Al-Amin", price=Decimal(12_345),
                                                         member_price=Decimal(12_000), business_unit="produk"))
    return consignment.set_consignment(coop, product, consignor_id=penitip.id, commission_bp=1000)


@pytest.fixture
def titipan(coop, penitip, kerupuk):
    consignment.receive_consignment(coop, consignor_id=penitip.id, items=[(kerupuk.id, 10)], day=date(2026, 12, 3))
    return coop


@pytest.mark.parametrize(("total", "bp", "expected"), [
    (1_010, 1500, 152),   # 151,5 rounds half up
    (1_030, 1500, 155),   # 154,5
    (1_000, 333, 33),     # 33,3
    (37_035, 1000, 3_704),
    (5_000, 10_000, 5_000),
    (5_000, 0, 0),
])
def test_the_commission_rounds_half_up_to_whole_rupiah(coop, total, bp, expected):
    assert shop.consignment_commission(coop, total * 100, bp) == expected * 100


def test_goods_arrive_and_leave_without_value_or_entry(titipan, penitip, kerupuk):
    assert _entries() == 0
    consignment.return_consignment(titipan, consignor_id=penitip.id, items=[(kerupuk.id, 3)], day=date(2026, 12, 4))
    card = shop.stock_card(titipan, shop.get_product(titipan, kerupuk.id))
    assert [(m.kind, m.qty, m.value, m.qty_after, m.value_after, m.entry_id, m.reference) for m in card] == [
        ("consignment_in", 10, 0, 10, 0, None, "TTP-01"), ("consignment_out", -3, 0, 7, 0, None, "TTP-01")]
    assert _entries() == 0 and check_cooperative(titipan).ok
    with pytest.raises(ShopError) as err:
        consignment.return_consignment(titipan, consignor_id=penitip.id, items=[(kerupuk.id, 8)])
    assert err.value.code == "insufficient_stock" and shop.get_product(titipan, kerupuk.id).qty == 7


def test_only_a_consignors_own_products_move_and_refusals_write_nothing(titipan, penitip, kerupuk, beras, supplier):
    other = shop.create_party(titipan, kind="consignor", code="TTP-02", name="Santri Ahmad")
    before = _moves()
    for consignor_id, items, code in (
        (other.id, [(kerupuk.id, 1)], "not_consignment"),    # another consignor's goods
        (penitip.id, [(beras.id, 1)], "not_consignment"),    # the cooperative's own product
        (supplier.id, [(kerupuk.id, 1)], "not_found"),       # a supplier is no consignor
        (penitip.id, [(kerupuk.id, 0)], "invalid_qty"),
        (penitip.id, [], "invalid_field"),
    ):
        with pytest.raises(ShopError) as err:
            consignment.receive_consignment(titipan, consignor_id=consignor_id, items=items)
        assert err.value.code == code
    with pytest.raises(ShopError) as err:
        consignment.receive_consignment(titipan, consignor_id=penitip.id, items=[(kerupuk.id, 1)], day=date(2026, 12, 16))
    assert err.value.code == "future_date"
    assert _moves() == before and shop.get_product(titipan, kerupuk.id).qty == 10


def test_consignment_status_changes_only_without_stock(titipan, penitip, kerupuk, stocked, beras, supplier):
    for product, consignor_id, bp, code in ((kerupuk, None, 0, "has_stock"), (beras, penitip.id, 1000, "has_stock"),
                                            (kerupuk, supplier.id, 1000, "not_found"), (kerupuk, penitip.id, 10_001, "invalid_field")):
        with pytest.raises(ShopError) as err:
            consignment.set_consignment(titipan, product, consignor_id=consignor_id, commission_bp=bp)
        assert err.value.code == code
    fresh = shop.create_product(titipan, shop.ProductData(sku="SBL", name="Sambal", price=Decimal(15_000)))
    assert consignment.set_consignment(titipan, fresh, consignor_id=penitip.id, commission_bp=1500).commission_bp == 1500
    assert consignment.set_consignment(titipan, fresh, consignor_id=None, commission_bp=1500).consignor_id is None


def test_a_consignment_product_cannot_be_bought_into_stock(titipan, supplier, kerupuk):
    with pytest.raises(ShopError) as err:
        shop.record_purchase(titipan, party_id=supplier.id, items=[shop.PurchaseItem(kerupuk.id, 1, Decimal(9_000))])
    assert err.value.code == "consignment_product" and _entries() == 0
    assert shop.get_product(titipan, kerupuk.id).stock_value == 0


def test_a_member_sale_credits_the_consignor_and_the_commission_beside_own_goods(titipan, stocked, penitip, kerupuk, beras, member):
    sale = shop.record_sale(titipan, member_id=member.id, items=[shop.SaleItem(beras.id, 1), shop.SaleItem(kerupuk.id, 3)])
    # kerupuk: 3 × 12.000 (member price) = 36.000, commission 10 % = 3.600, the consignor's share 32.400
    assert _lines(queries.get_entry(titipan, sale.entry_id)) == [
        ("1103", 108_000, 0, None, None),
        ("4101", 0, 72_000, member.id, None), ("5101", 60_692, 0, member.id, None), ("1141", 0, 60_692, None, None),
        ("2102", 0, 32_400, None, penitip.id), ("4203", 0, 3_600, member.id, None),
    ]
    assert sale.total == 108_000_00 and sale.cost == 60_692_00
    lines = shop.sale_lines(titipan, sale)
    assert [(ln.consignor_id, ln.commission, ln.cost) for ln in lines] == [(None, 0, 60_692_00), (penitip.id, 3_600_00, 0)]
    k = shop.get_product(titipan, kerupuk.id)
    assert (k.qty, k.stock_value) == (7, 0) and shop.stock_card(titipan, k)[-1].entry_id == sale.entry_id
    assert consignment.owed_to_consignors(titipan) == {penitip.id: 32_400_00}
    assert check_cooperative(titipan).ok


def test_a_walk_in_consignment_sale_posts_no_cost_and_names_no_member(titipan, penitip, kerupuk):
    sale = shop.record_sale(titipan, items=[shop.SaleItem(kerupuk.id, 3)], payment="bank")
    # 3 × 12.345 = 37.035; 10 % = 3.703,5 → 3.704
    assert _lines(queries.get_entry(titipan, sale.entry_id)) == [
        ("1111", 37_035, 0, None, None), ("2102", 0, 33_331, None, penitip.id), ("4203", 0, 3_704, None, None)]
    assert sale.cost == 0


def test_returns_undo_the_consignors_share_and_the_commission_the_last_units_take_the_rest(titipan, penitip, kerupuk, cashier):
    sale = shop.record_sale(titipan, items=[shop.SaleItem(kerupuk.id, 3)], actor=cashier)
    first = shop.record_sale_return(titipan, sale.id, items=[shop.SaleItem(kerupuk.id, 1)], actor=cashier)
    # 1 of 3 units: commission round(3.704 / 3) = 1.235, share 12.345 − 1.235
    assert _lines(queries.get_entry(titipan, first.entry_id)) == [
        ("1103", 0, 12_345, None, None), ("2102", 11_110, 0, None, penitip.id), ("4203", 1_235, 0, None, None)]
    last = shop.record_sale_return(titipan, sale.id, items=[shop.SaleItem(kerupuk.id, 2)], actor=cashier)
    assert _lines(queries.get_entry(titipan, last.entry_id)) == [
        ("1103", 0, 24_690, None, None), ("2102", 22_221, 0, None, penitip.id), ("4203", 2_469, 0, None, None)]
    assert consignment.owed_to_consignors(titipan) == {penitip.id: 0}
    assert _balance(titipan, "consignment_commission") == 0
    assert shop.get_product(titipan, kerupuk.id).qty == 10 and check_cooperative(titipan).ok


def test_a_member_return_of_mixed_goods_splits_own_revenue_and_consignment(titipan, stocked, penitip, kerupuk, beras, member):
    shop.set_credit_limit(titipan, "santri", Decimal(1_000_000))
    sale = shop.record_sale(titipan, member_id=member.id, payment="credit",
                            items=[shop.SaleItem(beras.id, 1), shop.SaleItem(kerupuk.id, 2)])
    ret = shop.record_sale_return(titipan, sale.id, items=[shop.SaleItem(beras.id, 1), shop.SaleItem(kerupuk.id, 2)])
    assert _lines(queries.get_entry(titipan, ret.entry_id)) == [
        ("4109", 72_000, 0, member.id, None), ("1121", 0, 96_000, member.id, None),
        ("1141", 60_692, 0, None, None), ("5101", 0, 60_692, member.id, None),
        ("2102", 21_600, 0, None, penitip.id), ("4203", 2_400, 0, member.id, None)]
    assert check_cooperative(titipan).ok


def test_a_return_is_refused_once_the_product_changed_owner(titipan, penitip, kerupuk):
    sale = shop.record_sale(titipan, items=[shop.SaleItem(kerupuk.id, 10)])
    consignment.set_consignment(titipan, shop.get_product(titipan, kerupuk.id), consignor_id=None, commission_bp=0)
    before = _entries()
    with pytest.raises(ShopError) as err:
        shop.record_sale_return(titipan, sale.id, items=[shop.SaleItem(kerupuk.id, 1)])
    assert err.value.code == "consignment_changed" and _entries() == before


def test_settling_pays_the_consignor_never_more_than_is_owed(build, titipan, penitip, kerupuk, treasurer_user):
    build.fund(titipan, 1_000_000, date(2026, 12, 1))  # Kas Besar and the bank pay the consignor
    build.fund(titipan, 1_000_000, date(2026, 12, 1), role="bank")
    shop.record_sale(titipan, items=[shop.SaleItem(kerupuk.id, 4)])  # 49.380, commission 4.938: owed 44.442
    payment = consignment.settle_consignor(titipan, penitip.id, amount=Decimal(40_000), day=date(2026, 12, 10), actor=treasurer_user)
    assert (payment.kind, payment.party_id, payment.amount, payment.voucher) == ("consignor", penitip.id, 40_000_00, "KK/2026/000001")
    assert _lines(queries.get_entry(titipan, payment.entry_id)) == [("2102", 40_000, 0, None, penitip.id), ("1101", 0, 40_000, None, None)]
    assert consignment.owed_to_consignors(titipan) == {penitip.id: 4_442_00}
    before = _entries()
    for amount, code in ((Decimal(4_443), "more_than_owed"), (Decimal(0), "invalid_amount"), (Decimal("0.5"), "invalid_amount")):
        with pytest.raises(ShopError) as err:
            consignment.settle_consignor(titipan, penitip.id, amount=amount)
        assert err.value.code == code
    assert _entries() == before and db.session.scalar(select(func.count()).select_from(ShopPayment)) == 1
    bank = chart.account_for(titipan, "bank")
    consignment.settle_consignor(titipan, penitip.id, amount=Decimal(4_442), account_id=bank.id)
    assert consignment.owed_to_consignors(titipan) == {penitip.id: 0} and check_cooperative(titipan).ok


def test_party_balances_reads_the_party_subledger(titipan, stocked, penitip, supplier, kerupuk):
    shop.record_sale(titipan, items=[shop.SaleItem(kerupuk.id, 1)])
    payable, consigned = chart.account_for(titipan, "payable_supplier"), chart.account_for(titipan, "payable_consignment")
    assert queries.party_balances(titipan, [payable.id, consigned.id]) == {
        supplier.id: {payable.id: -189_000_00}, penitip.id: {consigned.id: -11_110_00}}
    assert queries.party_balances(titipan, [consigned.id], [supplier.id]) == {}
    assert queries.party_balances(titipan, [consigned.id], as_of=date(2026, 12, 1)) == {}
    assert queries.party_balances(titipan, []) == {} and queries.party_balances(titipan, [payable.id], []) == {}


# --- the page ------------------------------------------------------------------------------------

BASE = "/alhikmah/shop/consignment"


@pytest.fixture
def treasurer_user(build, coop):
    return build.user("bendahara", coop, "treasurer")


@pytest.fixture
def staff(build, coop, cashier, treasurer_user):
    for login_name, role in (("pengawas", "auditor"), ("anggota", "member")):
        build.user(login_name, coop, role)
    return coop


@pytest.mark.parametrize(("login_name", "status"), [("bendahara", 200), ("kasir", 200), ("pengawas", 200), ("anggota", 403)])
def test_who_may_open_the_consignment_page(client, staff, titipan, login_name, status):
    login(client, login_name)
    response = client.get(BASE)
    assert response.status_code == status
    if status == 200:
        text = response.get_data(as_text=True)
        assert "TTP-01" in text and "Kerupuk Al-Amin" in text


def test_another_cooperatives_user_gets_404(client, staff, titipan, build):
    other = build.coop("annur")
    build.user("luar", other, "admin")
    login(client, "luar")
    assert client.get(BASE).status_code == 404
    assert client.post(BASE + "/receive", data={"r-consignor": "1", "r-product": "1", "r-qty": "1"}).status_code == 404


def test_the_page_shows_what_is_owed_to_each_consignor(client, staff, titipan, kerupuk):
    shop.record_sale(titipan, items=[shop.SaleItem(kerupuk.id, 2)])  # 24.690 less 2.469
    login(client, "pengawas")
    text = client.get(BASE).get_data(as_text=True)
    assert "Rp22.221" in text and "receive-form" not in text and "settle-form" not in text


def test_receiving_goods_and_settling_through_the_page(build, client, staff, titipan, penitip, kerupuk):
    build.fund(titipan, 1_000_000, date(2026, 12, 1))  # Kas Besar pays the consignor
    login(client, "bendahara")
    response = client.post(BASE + "/receive", data={"r-consignor": str(penitip.id), "r-product": str(kerupuk.id), "r-qty": "5",
                                                    "r-date": "2026-12-14", "r-action": "in"}, follow_redirects=True)
    assert response.status_code == 200 and shop.get_product(titipan, kerupuk.id).qty == 15
    shop.record_sale(titipan, items=[shop.SaleItem(kerupuk.id, 1)])  # owed 12.345 less 1.235
    response = client.post(BASE + "/settle", data={"s-consignor": str(penitip.id), "s-amount": "20.000", "s-date": "2026-12-14",
                                                   "s-account": str(chart.account_for(titipan, "cash").id)}, follow_redirects=True)
    assert response.status_code == 200 and "Rp11.110" in response.get_data(as_text=True) and _entries() == 2  # the capital and the sale
    response = client.post(BASE + "/settle", data={"s-consignor": str(penitip.id), "s-amount": "11.110", "s-date": "2026-12-14",
                                                   "s-account": str(chart.account_for(titipan, "cash").id)}, follow_redirects=True)
    assert response.status_code == 200 and _entries() == 3 and consignment.owed_to_consignors(titipan) == {penitip.id: 0}


def test_setting_a_product_on_consignment_through_the_page(client, staff, titipan, penitip):
    product = shop.create_product(titipan, shop.ProductData(sku="SBL", name="Sambal Santri", price=Decimal(15_000)))
    login(client, "bendahara")
    response = client.post(BASE + "/products", data={"c-product": str(product.id), "c-consignor": str(penitip.id), "c-commission": "12,5"},
                           follow_redirects=True)
    assert response.status_code == 200
    row = shop.get_product(titipan, product.id)
    assert (row.consignor_id, row.commission_bp) == (penitip.id, 1250)


@pytest.mark.parametrize("login_name", ["kasir", "pengawas"])
def test_only_managers_change_consignment(client, staff, titipan, penitip, kerupuk, login_name):
    login(client, login_name)
    for path, data in (("/receive", {"r-consignor": str(penitip.id), "r-product": str(kerupuk.id), "r-qty": "1", "r-action": "in"}),
                       ("/settle", {"s-consignor": str(penitip.id), "s-amount": "1"}),
                       ("/products", {"c-product": str(kerupuk.id), "c-consignor": "", "c-commission": "0"})):
        assert client.post(BASE + path, data=data).status_code == 403
    assert shop.get_product(titipan, kerupuk.id).qty == 10 and _entries() == 0
