"""The journal lines of the shop's documents, computed before anything is written.

Each function here is pure: it takes the document as plain values (amounts in integer sen, the
accounts by their chart role) and returns the entry's lines as a tuple of immutable
:class:`~koppontren.ledger.posting.LineSpec`. No database, no session: the services load and
check, call one of these, post the result and store the document. The table tests in
``tests/shop/test_postings.py`` pin the lines of every case to the rupiah.

``accounts`` maps a chart role (``"till"``, ``"inventory_shop"``, ``"sales_shop_member"``, …) to
whatever ``LineSpec.account`` accepts: an Account, its id, or its code. Only the roles a document
needs are looked up.

The lines keep the order a reader of the journal expects: the money first for a sale, then each
business unit's revenue, cost of goods and inventory, then the consignors' shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from koppontren import money
from koppontren.ledger.posting import LineSpec
from koppontren.shop.models import BUSINESS_UNITS  # the business units, in the order their lines are written

#: business unit -> (inventory, member revenue, non-member revenue, member COGS, non-member COGS)
UNIT_ROLES = {
    "toko": ("inventory_shop", "sales_shop_member", "sales_shop_nonmember", "cogs_shop_member", "cogs_shop_nonmember"),
    "produk": ("inventory_products", "sales_products_member", "sales_products_nonmember", "cogs_products_member",
               "cogs_products_nonmember"),
}
#: sales returns: member (4109, naming the member) or not (4209)
RETURN_ROLES = {True: "sales_returns_member", False: "sales_returns_nonmember"}


@dataclass(frozen=True)
class Settlement:
    """Where a document's money goes to or comes from: an account (cash, bank, a receivable or
    payable, the santri wallet) and the subledger record its line names, if the account keeps one.
    ``memo`` is carried onto the line (the wallet names the santri there)."""

    account: object
    member_id: int | None = None
    party_id: int | None = None
    memo: str | None = None

    @classmethod
    def of(cls, line: LineSpec) -> Settlement:
        """The settlement a payment method computed as a ready line (its amount is the document's)."""
        return cls(line.account, member_id=line.member_id, party_id=line.party_id, memo=line.memo)

    def line(self, *, debit: int = 0, credit: int = 0) -> LineSpec:
        return LineSpec(self.account, debit=money.from_sen(debit), credit=money.from_sen(credit), member_id=self.member_id,
                        party_id=self.party_id, memo=self.memo)


@dataclass(frozen=True)
class GoodsLine:
    """One product's line of a sale or a sale return, in sen. ``total`` is quantity × unit price;
    ``cost`` the moving-average cost of the units (0 for a consignment line, whose goods are the
    consignor's); a consignment line names its ``consignor_id`` and the ``commission`` the
    cooperative keeps of ``total``."""

    business_unit: str
    total: int
    cost: int = 0
    consignor_id: int | None = None
    commission: int = 0

    @property
    def own(self) -> bool:
        return self.consignor_id is None


@dataclass(frozen=True)
class SaleDoc:
    """A sale (or, for :func:`sale_return_lines`, the goods a buyer brings back): its lines, the
    member it is for (member accounts and subledger lines; None: the non-member accounts), and where
    the money went (Dr for a sale, Cr for a return)."""

    lines: tuple[GoodsLine, ...]
    member_id: int | None
    settlement: Settlement

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)


def _amount(side: str, sen: int) -> dict:
    return {side: money.from_sen(sen)}


def unit_roles(unit: str, *, member: bool) -> tuple[str, str, str]:
    """(inventory, revenue, cost of goods) roles of a business unit, for a member's sale or not."""
    inventory, revenue_m, revenue_n, cogs_m, cogs_n = UNIT_ROLES[unit]
    return (inventory, revenue_m, cogs_m) if member else (inventory, revenue_n, cogs_n)


def _own_by_unit(lines: Iterable[GoodsLine]) -> dict[str, tuple[int, int]]:
    """business unit -> (revenue, cost) of the cooperative's own goods, in BUSINESS_UNITS order."""
    found: dict[str, tuple[int, int]] = {}
    for line in lines:
        if line.own:
            revenue, cost = found.get(line.business_unit, (0, 0))
            found[line.business_unit] = (revenue + line.total, cost + line.cost)
    return {unit: found[unit] for unit in BUSINESS_UNITS if unit in found}


def _unit_lines(doc: SaleDoc, accounts: Mapping[str, object], *, sale: bool) -> list[LineSpec]:
    """Each business unit's own goods on the member or non-member accounts: for a sale ``Cr``
    revenue, ``Dr`` cost of goods / ``Cr`` inventory; for a return ``Dr`` inventory / ``Cr`` cost of
    goods (its revenue is undone on the returns account, for all units at once)."""
    out = []
    for unit, (revenue, cost) in _own_by_unit(doc.lines).items():
        inventory, revenue_account, cogs = (accounts[role] for role in unit_roles(unit, member=doc.member_id is not None))
        if sale and revenue:
            out.append(LineSpec(revenue_account, member_id=doc.member_id, **_amount("credit", revenue)))
        if sale and cost:
            out += [LineSpec(cogs, member_id=doc.member_id, **_amount("debit", cost)), LineSpec(inventory, **_amount("credit", cost))]
        elif cost:
            out += [LineSpec(inventory, **_amount("debit", cost)), LineSpec(cogs, member_id=doc.member_id, **_amount("credit", cost))]
    return out


def consignment_lines(lines: Iterable[GoodsLine], accounts: Mapping[str, object], *, member_id: int | None,
                      side: str) -> list[LineSpec]:
    """The 2102/4203 lines of consignment goods (``side`` "credit" for a sale, "debit" for its
    return): one 2102 line per consignor for its share (total less commission, naming the
    consignor), one 4203 line for all the commission (naming the member, if any)."""
    owed: dict[int, int] = {}
    commission = 0
    for line in lines:
        if line.own:
            continue
        owed[line.consignor_id] = owed.get(line.consignor_id, 0) + line.total - line.commission
        commission += line.commission
    out = [LineSpec(accounts["payable_consignment"], party_id=consignor_id, **_amount(side, amount))
           for consignor_id, amount in sorted(owed.items()) if amount]
    if commission:
        out.append(LineSpec(accounts["consignment_commission"], member_id=member_id, **_amount(side, commission)))
    return out


def sale_lines(doc: SaleDoc, accounts: Mapping[str, object]) -> tuple[LineSpec, ...]:
    """A sale (PJ): ``Dr`` the settlement the total; per business unit ``Cr`` revenue, ``Dr`` cost
    of goods / ``Cr`` inventory at moving average; consignment goods ``Cr 2102`` the consignor's
    share and ``Cr 4203`` the commission."""
    return (doc.settlement.line(debit=doc.total), *_unit_lines(doc, accounts, sale=True),
            *consignment_lines(doc.lines, accounts, member_id=doc.member_id, side="credit"))


def sale_return_lines(doc: SaleDoc, accounts: Mapping[str, object]) -> tuple[LineSpec, ...]:
    """Goods back from a buyer (PJ): ``Dr`` the returns account the own goods' revenue (naming the
    member), ``Cr`` the settlement the whole refund; the goods back ``Dr`` inventory / ``Cr`` cost
    of goods at the cost they left with; consignment goods ``Dr 2102`` and ``Dr 4203``."""
    own_refund = sum(line.total for line in doc.lines if line.own)
    refund = [LineSpec(accounts[RETURN_ROLES[doc.member_id is not None]], member_id=doc.member_id,
                       **_amount("debit", own_refund))] if own_refund else []
    return (*refund, doc.settlement.line(credit=doc.total), *_unit_lines(doc, accounts, sale=False),
            *consignment_lines(doc.lines, accounts, member_id=doc.member_id, side="debit"))


# --- purchases -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoughtLine:
    """One line of a purchase: its business unit and quantity × unit cost (sen)."""

    business_unit: str
    total: int


def purchase_lines(lines: Iterable[BoughtLine], settlement: Settlement, accounts: Mapping[str, object]) -> tuple[LineSpec, ...]:
    """Goods in (PB): ``Dr`` each business unit's inventory its cost, ``Cr`` the settlement (cash,
    bank, or 2101 naming the supplier) the total."""
    by_unit: dict[str, int] = {}
    for line in lines:
        by_unit[line.business_unit] = by_unit.get(line.business_unit, 0) + line.total
    debits = [LineSpec(accounts[UNIT_ROLES[unit][0]], **_amount("debit", by_unit[unit])) for unit in BUSINESS_UNITS if by_unit.get(unit)]
    return (*debits, settlement.line(credit=sum(by_unit.values())))


@dataclass(frozen=True)
class ReturnedGoods:
    """One product sent back to its supplier (sen): what the invoice charged for the units, and what
    they leave the stock at (moving average)."""

    business_unit: str
    invoiced: int
    at_average: int


def purchase_return_lines(goods: Iterable[ReturnedGoods], settlement: Settlement,
                          accounts: Mapping[str, object]) -> tuple[LineSpec, ...]:
    """Goods back to the supplier (PB): ``Dr`` the settlement the invoiced cost (the money back, or
    less owed on 2101), ``Cr`` each unit's inventory the moving-average cost, and the difference on
    5301 Selisih Persediaan (``Cr`` when the invoice was dearer, ``Dr`` when cheaper)."""
    goods = list(goods)
    refund = sum(g.invoiced for g in goods)
    out = [settlement.line(debit=refund)] if refund else []
    for unit in BUSINESS_UNITS:
        value = sum(g.at_average for g in goods if g.business_unit == unit)
        if value:
            out.append(LineSpec(accounts[UNIT_ROLES[unit][0]], **_amount("credit", value)))
    difference = refund - sum(g.at_average for g in goods)
    if difference:
        out.append(LineSpec(accounts["stock_adjustment"], **_amount("credit" if difference > 0 else "debit", abs(difference))))
    return tuple(out)


# --- stock, cash and settlements -----------------------------------------------------------------

@dataclass(frozen=True)
class CountedDifference:
    """One product's counted difference, valued (sen): positive a surplus, negative a shortage."""

    business_unit: str
    value: int


def count_lines(differences: Iterable[CountedDifference], accounts: Mapping[str, object]) -> tuple[LineSpec, ...]:
    """Stock opname (JU): per business unit, a surplus ``Dr`` inventory / ``Cr 5301``, a shortage
    ``Dr 5301`` / ``Cr`` inventory. Empty when no difference has a value."""
    differences = list(differences)
    adjustment, out = accounts["stock_adjustment"], []
    for unit in BUSINESS_UNITS:
        inventory = accounts[UNIT_ROLES[unit][0]]
        surplus = sum(d.value for d in differences if d.business_unit == unit and d.value > 0)
        shortage = -sum(d.value for d in differences if d.business_unit == unit and d.value < 0)
        if surplus:
            out += [LineSpec(inventory, **_amount("debit", surplus)), LineSpec(adjustment, **_amount("credit", surplus))]
        if shortage:
            out += [LineSpec(adjustment, **_amount("debit", shortage)), LineSpec(inventory, **_amount("credit", shortage))]
    return tuple(out)


def cashier_close_lines(expected: int, counted: int, accounts: Mapping[str, object]) -> tuple[LineSpec, ...]:
    """A cashier's daily close (JU), netted per account: ``Cr`` Kas Toko the expected cash (what the
    day put in the till), ``Dr`` Kas Besar the counted cash, and the difference ``Dr 8201``
    (shortage) or ``Cr 8102`` (overage) — the same as Dr 8201 / Cr 1103 (or Dr 1103 / Cr 8102) plus
    Dr 1101 / Cr 1103, with the till's lines summed. Empty when there is nothing to post."""
    difference = counted - expected
    out = []
    if counted:
        out.append(LineSpec(accounts["cash"], **_amount("debit", counted)))
    if difference < 0:
        out.append(LineSpec(accounts["other_expense"], **_amount("debit", -difference)))
    if expected:
        out.append(LineSpec(accounts["till"], **_amount("credit", expected)))
    if difference > 0:
        out.append(LineSpec(accounts["other_income"], **_amount("credit", difference)))
    return tuple(out)


def settlement_lines(amount: int, *, debit: Settlement, credit: Settlement) -> tuple[LineSpec, ...]:
    """A payment that settles a balance (KK/KM): ``Dr debit`` / ``Cr credit`` the amount — a supplier
    paid (Dr 2101 / Cr Kas), a consignor paid (Dr 2102 / Cr Kas), a receivable paid off (Dr Kas /
    Cr 1121 or 1122)."""
    return (debit.line(debit=amount), credit.line(credit=amount))
