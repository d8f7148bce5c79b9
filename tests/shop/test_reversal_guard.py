"""Reversing a shop or SHU entry in the ledger alone is refused: it would leave the stock, the sale
(still returnable) or the frozen SHU run out of step with the books."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry
from koppontren.ledger.posting import LineSpec, post_entry, reverse
from koppontren.shop import services as shop


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def test_a_purchase_or_sale_entry_cannot_be_reversed_in_the_ledger(build):
    coop = build.coop()
    build.fund(coop, 1_000_000, date(2026, 3, 1))
    supplier = shop.create_party(coop, kind="supplier", code="S1", name="CV Pemasok")
    product = shop.create_product(coop, shop.ProductData(sku="P1", name="Sabun", price=Decimal(1_500)))
    purchase = shop.record_purchase(coop, party_id=supplier.id, items=[shop.PurchaseItem(product.id, 10, Decimal(1_000))], day=date(2026, 3, 2))
    sale = shop.record_sale(coop, items=[shop.SaleItem(product.id, 2)], payment="cash", day=date(2026, 3, 3))
    before = _entries()
    for entry_id in (purchase.entry_id, sale.entry_id):
        with pytest.raises(LedgerError) as err:
            reverse(coop, db.session.get(JournalEntry, entry_id), entry_date=date(2026, 3, 4), description="Koreksi")
        assert err.value.code == "shop_entry" and "retur" in str(err.value.message)
        db.session.rollback()
    assert _entries() == before
    assert check_cooperative(coop).ok


def test_an_shu_entry_cannot_be_reversed_but_an_ordinary_one_can(build):
    coop = build.coop()
    build.fund(coop, 1_000_000, date(2026, 3, 1))
    shu_like = post_entry(coop, entry_date=date(2026, 3, 2), description="Pembagian SHU", source="shu",
                          lines=[LineSpec("6102", debit=1000), LineSpec("1101", credit=1000)])
    with pytest.raises(LedgerError) as err:
        reverse(coop, shu_like, entry_date=date(2026, 3, 4), description="Koreksi")
    assert err.value.code == "shu_entry"
    db.session.rollback()
    manual = post_entry(coop, entry_date=date(2026, 3, 2), description="Biaya", lines=[LineSpec("6102", debit=1000), LineSpec("1101", credit=1000)])
    assert reverse(coop, manual, entry_date=date(2026, 3, 4), description="Koreksi").reverses_id == manual.id
