"""Shop rules (RULES.md §3) through the services, checked against the entries a treasurer reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry
from koppontren.shop import services as shop
from koppontren.shop.services import ShopError


def _lines(entry) -> list[tuple[str, int, int, int | None]]:
    return [(ln.account.code, ln.debit // 100, ln.credit // 100, ln.member_id) for ln in entry.lines]


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def _product(coop, product):
    return shop.get_product(coop, product.id)


def test_purchases_post_inventory_against_cash_or_the_suppliers_payable(stocked, supplier, beras, kopi):
    entries = sorted(db.session.scalars(select(JournalEntry)), key=lambda e: e.id)
    assert [e.number for e in entries] == ["SA/2026/000001", "PB/2026/000001", "PB/2026/000002"]  # the capital, then the purchases
    assert _lines(entries[1]) == [("1141", 600_000, 0, None), ("1142", 360_000, 0, None), ("1101", 0, 960_000, None)]
    assert [(ln.account.code, ln.credit // 100, ln.party_id) for ln in entries[2].lines][-1] == ("2101", 189_000, supplier.id)
    b = _product(stocked, beras)
    assert (b.qty, b.stock_value) == (13, 789_000_00)
    assert check_cooperative(stocked).ok


def test_a_member_sale_uses_member_prices_member_accounts_and_carries_the_member(stocked, beras, kopi, member, cashier):
    sale = shop.record_sale(stocked, member_id=member.id, items=[shop.SaleItem(beras.id, 2), shop.SaleItem(kopi.id, 1)],
                            cash_received=Decimal(200_000), actor=cashier)
    assert sale.total == (2 * 72_000 + 30_000) * 100 and sale.cash_received == 200_000_00
    entry = queries.get_entry(stocked, sale.entry_id)
    # 2 of 13 beras worth 789.000 cost round(121.384,6…) = 121.385; 1 of 20 kopi worth 360.000 costs 18.000
    assert _lines(entry) == [
        ("1103", 174_000, 0, None),
        ("4101", 0, 144_000, member.id), ("5101", 121_385, 0, member.id), ("1141", 0, 121_385, None),
        ("4102", 0, 30_000, member.id), ("5102", 18_000, 0, member.id), ("1142", 0, 18_000, None),
    ]
    assert entry.number == "PJ/2026/000001"
    participation = queries.member_balances(stocked, [chart.account_for(stocked, "sales_shop_member").id], [member.id])
    assert participation == {member.id: {chart.account_for(stocked, "sales_shop_member").id: -144_000_00}}
    assert check_cooperative(stocked).ok


def test_a_walk_in_sale_uses_the_non_member_accounts_and_names_no_member(stocked, beras):
    sale = shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)])
    entry = queries.get_entry(stocked, sale.entry_id)
    assert [(code, m) for code, _, _, m in _lines(entry)] == [("1103", None), ("4201", None), ("5201", None), ("1141", None)]
    assert sale.total == 75_000_00


def test_the_last_unit_costs_exactly_what_is_left(stocked, beras):
    costs = [shop.record_sale(stocked, items=[shop.SaleItem(beras.id, q)]).cost for q in (4, 4, 4, 1)]
    assert sum(costs) == 789_000_00 and costs[-1] == 789_000_00 - sum(costs[:-1])
    b = _product(stocked, beras)
    assert (b.qty, b.stock_value) == (0, 0)
    assert check_cooperative(stocked).ok


def test_stock_never_goes_negative_and_a_refused_sale_writes_nothing(stocked, beras, kopi):
    before = _entries()
    with pytest.raises(ShopError) as err:
        shop.record_sale(stocked, items=[shop.SaleItem(kopi.id, 1), shop.SaleItem(beras.id, 14)])
    assert err.value.code == "insufficient_stock" and "tersedia 13 pcs" in str(err.value)
    assert _entries() == before and _product(stocked, beras).qty == 13 and _product(stocked, kopi).qty == 20


def test_credit_sales_need_a_member_and_stay_within_the_category_limit(stocked, beras, member):
    with pytest.raises(ShopError) as err:
        shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], payment="credit")
    assert err.value.code == "member_required"
    with pytest.raises(ShopError) as err:
        shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], payment="credit", member_id=member.id)
    assert err.value.code == "credit_limit"  # no limit set for santri: no credit
    shop.set_credit_limit(stocked, "santri", Decimal(150_000))
    sale = shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 2)], payment="credit", member_id=member.id)
    assert _lines(queries.get_entry(stocked, sale.entry_id))[0] == ("1121", 144_000, 0, member.id)
    with pytest.raises(ShopError) as err:
        shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], payment="credit", member_id=member.id)
    assert err.value.code == "credit_limit" and "Rp144.000" in str(err.value)


def test_cash_short_and_bad_quantities_are_refused(stocked, beras):
    with pytest.raises(ShopError) as err:
        shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], cash_received=Decimal(50_000))
    assert err.value.code == "cash_short"
    for qty in (0, -1, 1.5, True):
        with pytest.raises(ShopError) as err:
            shop.record_sale(stocked, items=[shop.SaleItem(beras.id, qty)])
        assert err.value.code == "invalid_qty"
    with pytest.raises(ShopError) as err:
        shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1), shop.SaleItem(99_999, 1)])
    assert err.value.code == "unknown_product" and err.value.fields == {"lines.2.product_id": "Tidak ada."}  # the line that names it


def test_a_sales_return_undoes_revenue_money_and_cost_of_the_returned_units(stocked, beras, member, cashier):
    shop.set_credit_limit(stocked, "santri", Decimal(1_000_000))
    sale = shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 3)], payment="credit", member_id=member.id, actor=cashier)
    ret = shop.record_sale_return(stocked, sale.id, items=[shop.SaleItem(beras.id, 1)], actor=cashier)
    cost_back = ret.cost
    assert _lines(queries.get_entry(stocked, ret.entry_id)) == [
        ("4109", 72_000, 0, member.id), ("1121", 0, 72_000, member.id), ("1141", cost_back // 100, 0, None), ("5101", 0, cost_back // 100, member.id)]
    with pytest.raises(ShopError) as err:
        shop.record_sale_return(stocked, sale.id, items=[shop.SaleItem(beras.id, 3)])
    assert err.value.code == "return_too_much"
    shop.record_sale_return(stocked, sale.id, items=[shop.SaleItem(beras.id, 2)])
    b = _product(stocked, beras)
    assert (b.qty, b.stock_value) == (13, 789_000_00)  # every unit back at the cost it left with
    assert check_cooperative(stocked).ok


def test_a_stock_count_posts_shortages_and_surpluses_to_5301_in_one_entry(stocked, beras, kopi):
    entry = shop.record_count(stocked, {beras.id: 12, kopi.id: 21})
    lines = _lines(entry)
    # beras: 1 of 13 worth 789.000 → 60.692 short; kopi: 1 surplus at the average 18.000
    assert sorted(lines) == sorted([("1141", 0, 60_692, None), ("5301", 60_692, 0, None), ("1142", 18_000, 0, None), ("5301", 0, 18_000, None)])
    assert (_product(stocked, beras).qty, _product(stocked, kopi).qty) == (12, 21)
    assert shop.record_count(stocked, {beras.id: 12}) is None
    assert check_cooperative(stocked).ok
    card = shop.stock_card(stocked, _product(stocked, beras))
    assert [(m.kind, m.qty, m.qty_after) for m in card] == [("purchase", 10, 10), ("purchase", 3, 13), ("count", -1, 12)]


def test_catalogue_rules(coop, beras):
    with pytest.raises(ShopError) as err:
        shop.create_product(coop, shop.ProductData(sku="BRS-5", name="Lain", price=Decimal(1)))
    assert "SKU BRS-5 sudah dipakai" in str(err.value)
    with pytest.raises(ShopError) as err:
        shop.create_product(coop, shop.ProductData(sku="X1", name="Lain", price=Decimal(1), barcode="8991234500011"))
    assert err.value.fields.get("barcode")
    with pytest.raises(ShopError):
        shop.create_product(coop, shop.ProductData(sku="X2", name="Lain", price=Decimal("-1")))
    assert shop.find_product(coop, "8991234500011").id == beras.id and shop.find_product(coop, "BRS-5").id == beras.id
    assert [p.sku for p in shop.search_products(coop, "beras")] == ["BRS-5"]


def test_inventory_accounts_are_module_only_in_manual_journals(coop):
    from koppontren.ledger.errors import LedgerError
    from koppontren.ledger.posting import LineSpec, post_entry

    with pytest.raises(LedgerError) as err:
        post_entry(coop, entry_date=date(2026, 12, 1), description="x", lines=[LineSpec("1141", debit=1), LineSpec("1101", credit=1)])
    assert err.value.code == "module_only_account"


def test_stock_moves_are_immutable(stocked):
    from tests.helpers import refused_by_database

    for sql in ("UPDATE stock_move SET qty = 0", "DELETE FROM stock_move"):
        assert "immutable" in refused_by_database(sql)


def test_check_finds_an_inventory_account_that_drifted_from_the_stock(stocked, beras):
    db.session.execute(db.text("UPDATE product SET stock_value = stock_value + 100 WHERE id = :i"), {"i": beras.id})
    db.session.commit()
    report = check_cooperative(stocked)
    problems = [p for r in report.results for p in r.problems]
    assert not report.ok and any("1141" in p for p in problems) and any("BRS-5" in p for p in problems)
