"""The shop's journal lines as pure functions of the document: inputs → lines, to the rupiah.

Each case reads like a treasurer's worksheet: the document in sen, the lines the entry must carry
(account code, debit, credit, the member or party it names). No database: the accounts are given
by their codes (``koppontren/ledger/data/chart-of-accounts.csv``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from koppontren.ledger.posting import LineSpec
from koppontren.shop import postings
from koppontren.shop.postings import (
    BoughtLine,
    CountedDifference,
    GoodsLine,
    ReturnedGoods,
    SaleDoc,
    Settlement,
)

CHART = {
    "cash": "1101", "till": "1103", "bank": "1111", "receivable_member": "1121", "receivable_nonmember": "1122",
    "inventory_shop": "1141", "inventory_products": "1142", "payable_supplier": "2101", "payable_consignment": "2102",
    "santri_wallet": "2113", "sales_shop_member": "4101", "sales_products_member": "4102", "sales_returns_member": "4109",
    "sales_shop_nonmember": "4201", "sales_products_nonmember": "4202", "consignment_commission": "4203",
    "sales_returns_nonmember": "4209", "cogs_shop_member": "5101", "cogs_products_member": "5102", "cogs_shop_nonmember": "5201",
    "cogs_products_nonmember": "5202", "stock_adjustment": "5301", "other_income": "8102", "other_expense": "8201",
}
RP = 100  # sen per rupiah
MEMBER, CUSTOMER, CONSIGNOR, OTHER_CONSIGNOR = 7, 21, 31, 32
TILL, BANK = Settlement("1103"), Settlement("1111")


def rows(lines: tuple[LineSpec, ...]) -> list[tuple]:
    """(code, debit, credit, member, party[, memo]) in whole rupiah, as the journal shows them."""
    out = []
    for ln in lines:
        assert isinstance(ln.debit, Decimal) and isinstance(ln.credit, Decimal)  # never a float
        assert (ln.debit > 0) != (ln.credit > 0), ln  # exactly one positive side
        row = (ln.account, int(ln.debit), int(ln.credit), ln.member_id, ln.party_id)
        out.append((*row, ln.memo) if ln.memo else row)
    return out


def balanced(lines) -> bool:
    return sum(ln.debit for ln in lines) == sum(ln.credit for ln in lines)


# --- sales ---------------------------------------------------------------------------------------

BERAS_2 = GoodsLine("toko", total=144_000 * RP, cost=121_385 * RP)  # 2 × Rp72.000 at a moving average of Rp60.692,5
KOPI_1 = GoodsLine("produk", total=30_000 * RP, cost=18_000 * RP)
TITIP = GoodsLine("toko", total=50_000 * RP, consignor_id=CONSIGNOR, commission=5_000 * RP)  # 10 % commission

SALES = {
    "cash, non-member, one unit": (
        SaleDoc((GoodsLine("toko", total=150_000 * RP, cost=121_385 * RP),), None, TILL),
        [("1103", 150_000, 0, None, None), ("4201", 0, 150_000, None, None), ("5201", 121_385, 0, None, None),
         ("1141", 0, 121_385, None, None)]),
    "cash, member, both units": (
        SaleDoc((BERAS_2, KOPI_1), MEMBER, TILL),
        [("1103", 174_000, 0, None, None), ("4101", 0, 144_000, MEMBER, None), ("5101", 121_385, 0, MEMBER, None),
         ("1141", 0, 121_385, None, None), ("4102", 0, 30_000, MEMBER, None), ("5102", 18_000, 0, MEMBER, None),
         ("1142", 0, 18_000, None, None)]),
    "bank, non-member, the units in their order whatever the lines' order": (
        SaleDoc((KOPI_1, GoodsLine("toko", total=75_000 * RP, cost=60_693 * RP)), None, BANK),
        [("1111", 105_000, 0, None, None), ("4201", 0, 75_000, None, None), ("5201", 60_693, 0, None, None),
         ("1141", 0, 60_693, None, None), ("4202", 0, 30_000, None, None), ("5202", 18_000, 0, None, None),
         ("1142", 0, 18_000, None, None)]),
    "credit to a member: 1121 names the member": (
        SaleDoc((BERAS_2,), MEMBER, Settlement("1121", member_id=MEMBER)),
        [("1121", 144_000, 0, MEMBER, None), ("4101", 0, 144_000, MEMBER, None), ("5101", 121_385, 0, MEMBER, None),
         ("1141", 0, 121_385, None, None)]),
    "credit to a customer: 1122 names the party, non-member accounts": (
        SaleDoc((KOPI_1,), None, Settlement("1122", party_id=CUSTOMER)),
        [("1122", 30_000, 0, None, CUSTOMER), ("4202", 0, 30_000, None, None), ("5202", 18_000, 0, None, None),
         ("1142", 0, 18_000, None, None)]),
    "santri wallet: the wallet's line, memo and all": (
        SaleDoc((KOPI_1,), MEMBER, Settlement.of(LineSpec("2113", debit=Decimal(30_000), memo="1001 Ahmad"))),
        [("2113", 30_000, 0, None, None, "1001 Ahmad"), ("4102", 0, 30_000, MEMBER, None), ("5102", 18_000, 0, MEMBER, None),
         ("1142", 0, 18_000, None, None)]),
    "consignment only: no cost of goods, 2102 the consignor's share, 4203 the commission": (
        SaleDoc((TITIP,), None, TILL),
        [("1103", 50_000, 0, None, None), ("2102", 0, 45_000, None, CONSIGNOR), ("4203", 0, 5_000, None, None)]),
    "mixed own and consignment goods of two consignors, to a member": (
        SaleDoc((BERAS_2, TITIP, GoodsLine("toko", total=20_000 * RP, consignor_id=OTHER_CONSIGNOR, commission=1_500 * RP),
                 GoodsLine("toko", total=10_000 * RP, consignor_id=CONSIGNOR, commission=1_000 * RP)), MEMBER, TILL),
        [("1103", 224_000, 0, None, None), ("4101", 0, 144_000, MEMBER, None), ("5101", 121_385, 0, MEMBER, None),
         ("1141", 0, 121_385, None, None), ("2102", 0, 54_000, None, CONSIGNOR), ("2102", 0, 18_500, None, OTHER_CONSIGNOR),
         ("4203", 0, 7_500, MEMBER, None)]),
    "consignment at 0 % commission: no 4203 line": (
        SaleDoc((GoodsLine("toko", total=12_000 * RP, consignor_id=CONSIGNOR),), None, TILL),
        [("1103", 12_000, 0, None, None), ("2102", 0, 12_000, None, CONSIGNOR)]),
    "goods that cost nothing (a gift in stock): revenue, no cost lines": (
        SaleDoc((GoodsLine("produk", total=5_000 * RP, cost=0),), None, TILL),
        [("1103", 5_000, 0, None, None), ("4202", 0, 5_000, None, None)]),
    "whole rupiah and sen: Rp 1.250,50 each way": (
        SaleDoc((GoodsLine("toko", total=125_050, cost=100_025),), None, TILL),
        [("1103", 1_250, 0, None, None), ("4201", 0, 1_250, None, None), ("5201", 1_000, 0, None, None),
         ("1141", 0, 1_000, None, None)]),
}


@pytest.mark.parametrize("doc, expected", SALES.values(), ids=SALES.keys())
def test_sale_lines(doc, expected):
    lines = postings.sale_lines(doc, CHART)
    assert balanced(lines)
    if doc.lines[0].total == 125_050:  # the sen survive: 1.250,50 and 1.000,25, not rounded away
        assert [(ln.debit, ln.credit) for ln in lines][:2] == [(Decimal("1250.50"), 0), (0, Decimal("1250.50"))]
        assert lines[2].debit == Decimal("1000.25")
    assert rows(lines) == expected


# --- sale returns --------------------------------------------------------------------------------

RETURNS = {
    "partial cash return, non-member: 4209, the till, the goods back at their cost": (
        SaleDoc((GoodsLine("toko", total=75_000 * RP, cost=60_692 * RP),), None, TILL),
        [("4209", 75_000, 0, None, None), ("1103", 0, 75_000, None, None), ("1141", 60_692, 0, None, None),
         ("5201", 0, 60_692, None, None)]),
    "full return of a member's credit sale: 4109 and 1121 name the member": (
        SaleDoc((BERAS_2, KOPI_1), MEMBER, Settlement("1121", member_id=MEMBER)),
        [("4109", 174_000, 0, MEMBER, None), ("1121", 0, 174_000, MEMBER, None), ("1141", 121_385, 0, None, None),
         ("5101", 0, 121_385, MEMBER, None), ("1142", 18_000, 0, None, None), ("5102", 0, 18_000, MEMBER, None)]),
    "a customer's credit sale: off their 1122": (
        SaleDoc((KOPI_1,), None, Settlement("1122", party_id=CUSTOMER)),
        [("4209", 30_000, 0, None, None), ("1122", 0, 30_000, None, CUSTOMER), ("1142", 18_000, 0, None, None),
         ("5202", 0, 18_000, None, None)]),
    "consignment only: no returns account, 2102 and 4203 debited": (
        SaleDoc((TITIP,), MEMBER, TILL),
        [("1103", 0, 50_000, None, None), ("2102", 45_000, 0, None, CONSIGNOR), ("4203", 5_000, 0, MEMBER, None)]),
    "mixed own and consignment, back into the santri wallet": (
        SaleDoc((KOPI_1, TITIP), MEMBER, Settlement.of(LineSpec("2113", credit=Decimal(80_000), memo="1001 Ahmad"))),
        [("4109", 30_000, 0, MEMBER, None), ("2113", 0, 80_000, None, None, "1001 Ahmad"), ("1142", 18_000, 0, None, None),
         ("5102", 0, 18_000, MEMBER, None), ("2102", 45_000, 0, None, CONSIGNOR), ("4203", 5_000, 0, MEMBER, None)]),
}


@pytest.mark.parametrize("doc, expected", RETURNS.values(), ids=RETURNS.keys())
def test_sale_return_lines(doc, expected):
    lines = postings.sale_return_lines(doc, CHART)
    assert balanced(lines)
    assert rows(lines) == expected


def test_a_full_return_mirrors_its_sale():
    """Sold and returned in full at the same cost, the two entries cancel account by account (the
    revenue through the returns account, which the PHU nets against sales)."""
    doc = SaleDoc((BERAS_2, KOPI_1, TITIP), MEMBER, TILL)
    net: dict[tuple, Decimal] = {}
    for ln in (*postings.sale_lines(doc, CHART), *postings.sale_return_lines(doc, CHART)):
        key = (ln.account, ln.member_id, ln.party_id)
        net[key] = net.get(key, Decimal(0)) + ln.debit - ln.credit
    revenue = net.pop(("4101", MEMBER, None)) + net.pop(("4102", MEMBER, None)) + net.pop(("4109", MEMBER, None))
    assert revenue == 0 and all(v == 0 for v in net.values()), net


# --- purchases and purchase returns --------------------------------------------------------------

PURCHASES = {
    "cash, both units: one inventory line each": (
        [BoughtLine("toko", 600_000 * RP), BoughtLine("produk", 360_000 * RP), BoughtLine("toko", 189_000 * RP)], Settlement("1101"),
        [("1141", 789_000, 0, None, None), ("1142", 360_000, 0, None, None), ("1101", 0, 1_149_000, None, None)]),
    "credit: 2101 names the supplier": (
        [BoughtLine("toko", 189_000 * RP)], Settlement("2101", party_id=CUSTOMER),
        [("1141", 189_000, 0, None, None), ("2101", 0, 189_000, None, CUSTOMER)]),
}


@pytest.mark.parametrize("lines, settlement, expected", PURCHASES.values(), ids=PURCHASES.keys())
def test_purchase_lines(lines, settlement, expected):
    posted = postings.purchase_lines(lines, settlement, CHART)
    assert balanced(posted) and rows(posted) == expected


PURCHASE_RETURNS = {
    "invoice dearer than the average: the difference is a gain on 5301": (
        [ReturnedGoods("toko", invoiced=63_000 * RP, at_average=60_692 * RP)], Settlement("1101"),
        [("1101", 63_000, 0, None, None), ("1141", 0, 60_692, None, None), ("5301", 0, 2_308, None, None)]),
    "invoice cheaper than the average: a loss on 5301; a credit purchase lowers the payable": (
        [ReturnedGoods("toko", invoiced=60_000 * RP, at_average=60_692 * RP), ReturnedGoods("produk", invoiced=18_000 * RP,
                                                                                            at_average=18_000 * RP)],
        Settlement("2101", party_id=CUSTOMER),
        [("2101", 78_000, 0, None, CUSTOMER), ("1141", 0, 60_692, None, None), ("1142", 0, 18_000, None, None),
         ("5301", 692, 0, None, None)]),
    "at exactly the average: no 5301 line": (
        [ReturnedGoods("produk", invoiced=36_000 * RP, at_average=36_000 * RP)], Settlement("1111"),
        [("1111", 36_000, 0, None, None), ("1142", 0, 36_000, None, None)]),
    "goods invoiced at nothing (a bonus unit) still leave the stock at their value": (
        [ReturnedGoods("toko", invoiced=0, at_average=5_000 * RP)], Settlement("1101"),
        [("1141", 0, 5_000, None, None), ("5301", 5_000, 0, None, None)]),
}


@pytest.mark.parametrize("goods, settlement, expected", PURCHASE_RETURNS.values(), ids=PURCHASE_RETURNS.keys())
def test_purchase_return_lines(goods, settlement, expected):
    posted = postings.purchase_return_lines(goods, settlement, CHART)
    assert balanced(posted) and rows(posted) == expected


# --- stock count, daily close, settlements -------------------------------------------------------

COUNTS = {
    "a surplus and a shortage in one unit stay two pairs": (
        [CountedDifference("toko", 60_692 * RP), CountedDifference("toko", -18_000 * RP)],
        [("1141", 60_692, 0, None, None), ("5301", 0, 60_692, None, None), ("5301", 18_000, 0, None, None),
         ("1141", 0, 18_000, None, None)]),
    "two units": (
        [CountedDifference("produk", -36_000 * RP), CountedDifference("toko", 1_000 * RP)],
        [("1141", 1_000, 0, None, None), ("5301", 0, 1_000, None, None), ("5301", 36_000, 0, None, None),
         ("1142", 0, 36_000, None, None)]),
    "differences without value post nothing": ([CountedDifference("toko", 0)], []),
}


@pytest.mark.parametrize("differences, expected", COUNTS.values(), ids=COUNTS.keys())
def test_count_lines(differences, expected):
    posted = postings.count_lines(differences, CHART)
    assert balanced(posted) and rows(posted) == expected


CLOSES = {
    "counted what was expected": (500_000, 500_000, [("1101", 500_000, 0, None, None), ("1103", 0, 500_000, None, None)]),
    "short by Rp 2.500: 8201": (500_000, 497_500, [("1101", 497_500, 0, None, None), ("8201", 2_500, 0, None, None),
                                                   ("1103", 0, 500_000, None, None)]),
    "over by Rp 1.000: 8102": (500_000, 501_000, [("1101", 501_000, 0, None, None), ("1103", 0, 500_000, None, None),
                                                  ("8102", 0, 1_000, None, None)]),
    "nothing expected, something found": (0, 2_000, [("1101", 2_000, 0, None, None), ("8102", 0, 2_000, None, None)]),
    "expected cash and nothing handed in": (30_000, 0, [("8201", 30_000, 0, None, None), ("1103", 0, 30_000, None, None)]),
    "nothing at all: no entry": (0, 0, []),
}


@pytest.mark.parametrize("expected_cash, counted, expected", CLOSES.values(), ids=CLOSES.keys())
def test_cashier_close_lines(expected_cash, counted, expected):
    posted = postings.cashier_close_lines(expected_cash * RP, counted * RP, CHART)
    assert balanced(posted) and rows(posted) == expected


def test_settlement_lines_name_each_side():
    paid = postings.settlement_lines(45_000 * RP, debit=Settlement("2102", party_id=CONSIGNOR), credit=Settlement("1101"))
    assert rows(paid) == [("2102", 45_000, 0, None, CONSIGNOR), ("1101", 0, 45_000, None, None)]
    received = postings.settlement_lines(125_050, debit=Settlement("1103"), credit=Settlement("1121", member_id=MEMBER))
    assert [(ln.debit, ln.credit) for ln in received] == [(Decimal("1250.50"), 0), (0, Decimal("1250.50"))]
    assert received[1].member_id == MEMBER


def test_an_unknown_role_is_a_key_error_not_a_wrong_account():
    """A chart without the role the document needs fails loudly, never posts on another account."""
    with pytest.raises(KeyError, match="inventory_products"):
        postings.sale_lines(SaleDoc((KOPI_1,), None, TILL), {k: v for k, v in CHART.items() if k != "inventory_products"})
