"""Property test: after any sequence of purchases, sales (member and walk-in, cash and credit),
returns, counts and consignment goods in and out, each inventory account equals the sum of its
products' stock values, each product's quantity and value equal the sums of its moves, stock is
never negative, 2102 holds exactly the consignor's share of the consignment lines sold less
returned and 4203 their commission, and the ledger stays whole."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.members import services as members
from koppontren.shop import consignment
from koppontren.shop import services as shop
from koppontren.shop.models import Sale, SaleLine, StockMove
from koppontren.shop.services import ShopError
from tests.conftest import empty_database
from tests.helpers import Builder

N_PRODUCTS = 3  # the cooperative's own; one more, the last, is a consignor's (commission 12,5 %)
product_ix = st.integers(0, N_PRODUCTS - 1)
any_product_ix = st.integers(0, N_PRODUCTS)
ops = st.one_of(
    st.tuples(st.just("buy"), st.lists(st.tuples(product_ix, st.integers(1, 20), st.integers(1, 99_999)), min_size=1, max_size=3),
              st.sampled_from(["cash", "credit"])),
    st.tuples(st.just("sell"), st.lists(st.tuples(any_product_ix, st.integers(1, 8)), min_size=1, max_size=3), st.booleans(),
              st.sampled_from(["cash", "bank", "credit"])),
    st.tuples(st.just("return"), st.integers(0, 30), any_product_ix, st.integers(1, 5)),
    st.tuples(st.just("count"), product_ix, st.integers(0, 30)),
    st.tuples(st.just("consign"), st.sampled_from(["in", "out"]), st.integers(1, 15)),
)


def _consignment_sums(coop) -> tuple[int, int]:
    """(consignor's share, commission) of consignment lines sold less returned, in sen."""
    rows = db.session.execute(
        select(Sale.returns_sale_id.is_(None), func.coalesce(func.sum(SaleLine.total - SaleLine.commission), 0),
               func.coalesce(func.sum(SaleLine.commission), 0))
        .join(Sale, (Sale.cooperative_id == SaleLine.cooperative_id) & (Sale.id == SaleLine.sale_id))
        .where(SaleLine.cooperative_id == coop.id, SaleLine.consignor_id.is_not(None)).group_by(Sale.returns_sale_id.is_(None)))
    share = commission = 0
    for is_sale, s, c in rows:
        share += int(s) if is_sale else -int(s)
        commission += int(c) if is_sale else -int(c)
    return share, commission


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(ops, min_size=1, max_size=20))
def test_inventory_always_equals_the_stock_values(app, seq):
    empty_database(app)
    with app.app_context():
        coop = Builder().coop("acak")
        supplier = shop.create_party(coop, kind="supplier", code="S1", name="Pemasok")
        products = [shop.create_product(coop, shop.ProductData(sku=f"P{i}", name=f"Produk {i}", price=Decimal(10_000 + 1_000 * i),
                                                               member_price=Decimal(9_000) if i == 0 else None,
                                                               business_unit=("toko", "produk")[i % 2])) for i in range(N_PRODUCTS)]
        consignor = shop.create_party(coop, kind="consignor", code="T1", name="Penitip")
        titip = shop.create_product(coop, shop.ProductData(sku="T1", name="Titipan", price=Decimal(12_345), member_price=Decimal(11_111)))
        products.append(consignment.set_consignment(coop, titip, consignor_id=consignor.id, commission_bp=1250))
        member = members.register_member(coop, members.MemberData(name="Anggota", category="santri", join_date=date(2026, 1, 1)), actor=None)
        shop.set_credit_limit(coop, "santri", Decimal(10**9))
        ids = [p.id for p in products]
        sales = []
        for op in seq:
            kind, *args = op
            try:
                if kind == "buy":
                    shop.record_purchase(coop, party_id=supplier.id, payment=args[1],
                                         items=[shop.PurchaseItem(ids[i], q, Decimal(c)) for i, q, c in args[0]])
                elif kind == "sell":
                    before = {p.id: p.qty for p in (shop.get_product(coop, i) for i in ids)}
                    wanted: dict[int, int] = {}
                    for i, q in args[0]:
                        wanted[ids[i]] = wanted.get(ids[i], 0) + q
                    try:
                        sale = shop.record_sale(coop, items=[shop.SaleItem(ids[i], q) for i, q in args[0]],
                                                member_id=member.id if args[1] or args[2] == "credit" else None, payment=args[2])
                    except ShopError as err:
                        assert err.code == "insufficient_stock" and any(q > before[pid] for pid, q in wanted.items()), err.code
                        raise
                    assert all(q <= before[pid] for pid, q in wanted.items())
                    sales.append(sale.id)
                elif kind == "return" and sales:
                    shop.record_sale_return(coop, sales[args[0] % len(sales)], items=[shop.SaleItem(ids[args[1]], args[2])])
                elif kind == "count":
                    shop.record_count(coop, {ids[args[0]]: args[1]})
                elif kind == "consign":
                    move = consignment.receive_consignment if args[0] == "in" else consignment.return_consignment
                    move(coop, consignor_id=consignor.id, items=[(ids[-1], args[1])])
            except ShopError:
                db.session.rollback()
            for unit, roles in shop.UNIT_ROLES.items():
                account = chart.account_for(coop, roles[0])
                stock = sum(p.stock_value for p in (shop.get_product(coop, i) for i in ids) if p.business_unit == unit)
                assert queries.balance_of(coop, account) == stock, (op, unit)
            for pid in ids:
                p = shop.get_product(coop, pid)
                moved = db.session.execute(select(func.coalesce(func.sum(StockMove.qty), 0), func.coalesce(func.sum(StockMove.value), 0))
                                           .where(StockMove.product_id == pid)).one()
                assert (p.qty, p.stock_value) == tuple(moved) and p.qty >= 0 and p.stock_value >= 0
            share, commission = _consignment_sums(coop)
            assert queries.balance_of(coop, chart.account_for(coop, "payable_consignment")) == share, op
            assert queries.balance_of(coop, chart.account_for(coop, "consignment_commission")) == commission, op
        report = check_cooperative(coop)
        assert report.ok, [(r.name, r.problems) for r in report.results if not r.ok]
        db.session.remove()
