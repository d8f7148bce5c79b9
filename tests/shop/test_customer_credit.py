"""Credit to a non-member customer (a party of kind customer): the sale posts Dr 1122 naming the
customer against the non-member revenue accounts, a pelunasan takes it off (never above what is
owed), a return credits it back; member credit stays as it was."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry
from koppontren.shop import cashier as cashier_service
from koppontren.shop import receivables
from koppontren.shop import services as shop
from koppontren.shop.models import ShopPayment
from koppontren.shop.services import ShopError
from tests.shop.conftest import TODAY


def _lines(entry) -> list[tuple[str, int, int, int | None, int | None]]:
    return [(ln.account.code, ln.debit // 100, ln.credit // 100, ln.member_id, ln.party_id) for ln in entry.lines]


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


@pytest.fixture
def customer(coop):
    return shop.create_party(coop, kind="customer", code="CUS1", name="Warung Bu Ida")


def _credit_sale(coop, customer, beras, kopi, **kw):
    return shop.record_sale(coop, items=[shop.SaleItem(beras.id, 2), shop.SaleItem(kopi.id, 1)], payment="credit",
                            party_id=customer.id, **kw)


def test_a_customer_credit_sale_debits_1122_for_the_customer_against_non_member_accounts(stocked, beras, kopi, customer, cashier):
    sale = _credit_sale(stocked, customer, beras, kopi, actor=cashier)
    assert sale.total == (2 * 75_000 + 30_000) * 100 and sale.party_id == customer.id and sale.member_id is None
    entry = queries.get_entry(stocked, sale.entry_id)
    assert _lines(entry) == [
        ("1122", 180_000, 0, None, customer.id),
        ("4201", 0, 150_000, None, None), ("5201", 121_385, 0, None, None), ("1141", 0, 121_385, None, None),
        ("4202", 0, 30_000, None, None), ("5202", 18_000, 0, None, None), ("1142", 0, 18_000, None, None),
    ]
    assert "CUS1 Warung Bu Ida" in entry.description
    assert receivables.owed_by_customer(stocked, customer.id) == 180_000_00
    assert check_cooperative(stocked).ok


def test_a_customer_pays_off_the_receivable_but_never_more_than_owed(stocked, beras, kopi, customer, cashier):
    _credit_sale(stocked, customer, beras, kopi)
    paid = receivables.pay_customer_receivable(stocked, customer.id, amount=Decimal(100_000), actor=cashier, idempotency_key="c-1")
    assert paid.kind == "customer_receivable" and paid.party_id == customer.id and paid.member_id is None
    entry = queries.get_entry(stocked, paid.entry_id)
    assert _lines(entry) == [("1103", 100_000, 0, None, None), ("1122", 0, 100_000, None, customer.id)]
    assert receivables.owed_by_customer(stocked, customer.id) == 80_000_00
    again = receivables.pay_customer_receivable(stocked, customer.id, amount=Decimal(100_000), idempotency_key="c-1")
    assert again.id == paid.id and receivables.owed_by_customer(stocked, customer.id) == 80_000_00
    with pytest.raises(ShopError) as err:
        receivables.pay_customer_receivable(stocked, customer.id, amount=Decimal(100_000), idempotency_key="c-1-other")
    assert err.value.code == "exceeds_receivable" and "Rp80.000" in str(err.value)
    with pytest.raises(ShopError) as err:  # the same key for another amount
        receivables.pay_customer_receivable(stocked, customer.id, amount=Decimal(1_000), idempotency_key="c-1")
    assert err.value.code == "idempotency_conflict"
    before = _entries()
    for bad in (Decimal(0), Decimal(-5), Decimal("0.5")):
        with pytest.raises(ShopError):
            receivables.pay_customer_receivable(stocked, customer.id, amount=bad)
    assert _entries() == before
    # the cashier's daily close expects the customer's cash in the till
    assert cashier_service.day_summary(stocked, cashier.id, TODAY).receivable_payments == 100_000_00
    assert check_cooperative(stocked).ok


def test_credit_needs_a_member_or_a_known_customer(stocked, beras, supplier, customer, build):
    before = _entries()
    with pytest.raises(ShopError) as err:
        shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], payment="credit")
    assert err.value.code == "member_required" and "pelanggan" in str(err.value)
    with pytest.raises(ShopError) as err:  # a supplier is not a customer
        shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], payment="credit", party_id=supplier.id)
    assert err.value.code == "not_found"
    other = build.coop("annur")
    stranger = shop.create_party(other, kind="customer", code="CUS1", name="Pelanggan koperasi lain")
    with pytest.raises(ShopError) as err:
        shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], payment="credit", party_id=stranger.id)
    assert err.value.code == "not_found"
    customer.active = False
    db.session.commit()
    with pytest.raises(ShopError) as err:
        shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], payment="credit", party_id=customer.id)
    assert err.value.code == "not_active"
    assert _entries() == before


def test_payments_only_from_a_customer_of_this_cooperative(stocked, beras, kopi, supplier, customer, member, build):
    _credit_sale(stocked, customer, beras, kopi)
    other = build.coop("annur")
    stranger = shop.create_party(other, kind="customer", code="CUS9", name="Pelanggan koperasi lain")
    for party_id in (supplier.id, stranger.id, 10**6, "1"):
        with pytest.raises(ShopError) as err:
            receivables.pay_customer_receivable(stocked, party_id, amount=Decimal(1_000))
        assert err.value.code == "not_found"
    with pytest.raises(ShopError) as err:  # a customer owing nothing pays nothing
        receivables.pay_customer_receivable(other, stranger.id, amount=Decimal(1_000))
    assert err.value.code == "exceeds_receivable"
    # a member's key can't replay as a customer's payment, nor the other way round
    shop.set_credit_limit(stocked, "santri", Decimal(500_000))
    shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], payment="credit", member_id=member.id)
    receivables.pay_receivable(stocked, member.id, amount=Decimal(1_000), idempotency_key="k")
    with pytest.raises(ShopError) as err:
        receivables.pay_customer_receivable(stocked, customer.id, amount=Decimal(1_000), idempotency_key="k")
    assert err.value.code == "idempotency_conflict"


def test_a_return_of_a_customer_credit_sale_credits_1122_back(stocked, beras, kopi, customer):
    sale = _credit_sale(stocked, customer, beras, kopi)
    ret = shop.record_sale_return(stocked, sale.id, items=[shop.SaleItem(beras.id, 1)])
    entry = queries.get_entry(stocked, ret.entry_id)
    assert _lines(entry)[:2] == [("4209", 75_000, 0, None, None), ("1122", 0, 75_000, None, customer.id)]
    assert ret.party_id == customer.id and receivables.owed_by_customer(stocked, customer.id) == 105_000_00
    assert check_cooperative(stocked).ok


def test_member_credit_is_unchanged(stocked, beras, member):
    shop.set_credit_limit(stocked, "santri", Decimal(150_000))
    sale = shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 2)], payment="credit", member_id=member.id)
    assert _lines(queries.get_entry(stocked, sale.entry_id))[0] == ("1121", 144_000, 0, member.id, None)
    with pytest.raises(ShopError) as err:
        shop.record_sale(stocked, items=[shop.SaleItem(beras.id, 1)], payment="credit", member_id=member.id)
    assert err.value.code == "credit_limit"
    ret = shop.record_sale_return(stocked, sale.id, items=[shop.SaleItem(beras.id, 1)])
    assert ("1121", 0, 72_000, member.id, None) in _lines(queries.get_entry(stocked, ret.entry_id))


def test_the_kwitansi_of_a_customer_payment_names_the_customer(stocked, beras, kopi, customer, cashier):
    from koppontren import pdf

    _credit_sale(stocked, customer, beras, kopi)
    paid = receivables.pay_customer_receivable(stocked, customer.id, amount=Decimal(50_000), actor=cashier)
    assert receivables.get_payment(stocked, paid.id).id == paid.id
    html = pdf.render_html("kwitansi.html", **receivables.kwitansi_context(stocked, paid))
    assert "Warung Bu Ida" in html and "Kode pelanggan CUS1" in html and "No. anggota" not in html
    assert "ima puluh ribu rupiah" in html


def test_the_database_wants_a_party_on_a_customer_payment(stocked, customer, cashier):
    from tests.helpers import refused_by_database

    entry_id = db.session.scalar(select(JournalEntry.id).limit(1))
    message = refused_by_database(
        "INSERT INTO shop_payment (cooperative_id, kind, party_id, member_id, payment_date, amount, account_name, entry_id, voucher, "
        "created_at) VALUES (:c, 'customer_receivable', NULL, NULL, :d, 100, 'Kas', :e, 'X', CURRENT_TIMESTAMP)",
        {"c": stocked.id, "d": date(2026, 12, 1), "e": entry_id})
    assert "check constraint" in message
    assert db.session.scalar(select(func.count()).select_from(ShopPayment)) == 0


def test_the_sale_page_and_struk_name_the_customer(client, stocked, beras, kopi, customer, cashier):
    from koppontren.shop import sales as sales_service
    from tests.helpers import login

    sale = _credit_sale(stocked, customer, beras, kopi, actor=cashier)
    receipt = sales_service.receipt(stocked, sale)
    assert (receipt.customer_code, receipt.payment_label) == ("CUS1", "Kredit pelanggan")
    login(client, "kasir")
    page = client.get(f"/alhikmah/shop/sales/{sale.id}").get_data(as_text=True)
    assert "Pelanggan CUS1 Warung Bu Ida" in page and "Kredit pelanggan" in page
    struk = client.get(f"/alhikmah/shop/sales/{sale.id}/receipt").get_data(as_text=True)
    assert 'id="struk-customer"' in struk and "Warung Bu Ida" in struk


def test_the_receivables_page_lists_customers_and_takes_their_payment(client, stocked, beras, kopi, customer, cashier, build):
    from koppontren.shop.services import get_party
    from tests.helpers import login

    _credit_sale(stocked, customer, beras, kopi)
    base = "/alhikmah/shop/receivables"
    login(client, "kasir")
    page = client.get(base).get_data(as_text=True)
    assert 'data-customer="CUS1"' in page and "Rp180.000" in page and 'value="180.000"' in page
    till = str(chart.account_for(stocked, "till").id)
    refused = client.post(f"{base}/customers/{customer.id}/pay", data={"amount": "200.000", "account": till, "idempotency_key": "w1"})
    assert refused.status_code == 422 and "yang terutang Rp180.000" in refused.get_data(as_text=True)
    ok = client.post(f"{base}/customers/{customer.id}/pay", data={"amount": "80.000", "account": till, "idempotency_key": "w2"})
    assert ok.status_code == 302
    again = client.post(f"{base}/customers/{customer.id}/pay", data={"amount": "80.000", "account": till, "idempotency_key": "w2"})
    assert again.status_code == 302 and receivables.owed_by_customer(stocked, customer.id) == 100_000_00
    page = client.get(base).get_data(as_text=True)
    assert "Pelunasan Rp80.000 dari CUS1 Warung Bu Ida" in page and "Rp100.000" in page
    payment = receivables.payments_of(stocked, customers=True)[0]
    assert payment.party_id == customer.id
    kwitansi = client.get(f"{base}/payments/{payment.id}/kwitansi.pdf")
    assert kwitansi.status_code == 200 and kwitansi.mimetype == "application/pdf"
    supplier = get_party(stocked, 1)  # the supplier is not a customer: no such page
    assert supplier.kind == "supplier"
    assert client.post(f"{base}/customers/{supplier.id}/pay", data={"amount": "1", "account": till}).status_code == 404
    assert client.post(f"{base}/customers/{10**6}/pay", data={"amount": "1", "account": till}).status_code == 404
