"""A hand-checked cooperative year (2025) posted through the real services: members and savings,
the shop, manual journals, the year-end close; and one entry of 2026. Every figure the statement
tests expect is worked out in the comments of ``YEAR_2025``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.ledger.periods import close_year
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.members.services import MemberData, register_member
from koppontren.savings import services as savings
from koppontren.shop import services as shop

R = 100  # sen per rupiah: expected figures below are written in rupiah


class Year:
    def __init__(self, coop, siti, ahmad, budi):
        self.coop, self.siti, self.ahmad, self.budi = coop, siti, ahmad, budi


def _journal(coop, day, description, debit_code, credit_code, amount, journal_type="JU"):
    return post_entry(coop, entry_date=day, description=description, journal_type=journal_type,
                      lines=[LineSpec(debit_code, debit=Decimal(amount)), LineSpec(credit_code, credit=Decimal(amount))])


def build_year(build, slug="alhikmah"):
    coop = build.coop(slug, legal_number="123/BH/XVI.5/2019", address="Jl. Pesantren 1, Bandung", pesantren_name="PP Al-Hikmah")
    savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={"santri": Decimal(10_000), "ustadz": Decimal(20_000)},
                            sukarela_earns_shu=False, default_account_id=None, actor=None)
    siti = register_member(coop, MemberData(name="Siti Aminah", category="santri", join_date=date(2025, 1, 2)), actor=None)
    ahmad = register_member(coop, MemberData(name="Ahmad Fauzi", category="ustadz", join_date=date(2025, 1, 2)), actor=None)
    budi = register_member(coop, MemberData(name="Budi <b>Santoso</b>", category="santri", join_date=date(2025, 6, 1)), actor=None)
    # 1 hibah from the pesantren into the bank                              1111 +10.000.000 / 3104
    _journal(coop, date(2025, 1, 2), "Hibah pesantren", "1111", "3104", 10_000_000)
    # 2-3 pokok 100.000 each, 4 Siti wajib Jan–Mar 30.000, 5 Ahmad wajib Jan–Jun 120.000 (Kas Besar)
    savings.deposit(coop, siti, "pokok", day=date(2025, 1, 3))
    savings.deposit(coop, ahmad, "pokok", day=date(2025, 1, 3))
    savings.deposit(coop, siti, "wajib", months=[(2025, 1), (2025, 2), (2025, 3)], day=date(2025, 1, 10))
    savings.deposit(coop, ahmad, "wajib", months=[(2025, m) for m in range(1, 7)], day=date(2025, 1, 10))
    # 6 Siti sukarela 500.000
    savings.deposit(coop, siti, "sukarela", amount=Decimal(500_000), day=date(2025, 2, 1))
    # 7 100 bars of soap at 2.000, paid from Kas Besar                       1141 +200.000 / 1101
    supplier = shop.create_party(coop, kind="supplier", code="S1", name="CV Sabun")
    soap = shop.create_product(coop, shop.ProductData(sku="SB1", name="Sabun", price=Decimal(5_000)))
    shop.record_purchase(coop, party_id=supplier.id, items=[shop.PurchaseItem(soap.id, 100, Decimal(2_000))], day=date(2025, 2, 5))
    # 8 equipment from the bank                                               1214 +1.200.000 / 1111
    _journal(coop, date(2025, 3, 1), "Beli lemari pendingin", "1214", "1111", 1_200_000, "KK")
    # 9 Siti buys 10 (cash, till): 4101 50.000, 5101 20.000; 10 a non-member 20: 4201 100.000, 5201 40.000
    shop.record_sale(coop, member_id=siti.id, items=[shop.SaleItem(soap.id, 10)], day=date(2025, 3, 10))
    shop.record_sale(coop, items=[shop.SaleItem(soap.id, 20)], day=date(2025, 3, 11))
    # 11 Ahmad buys 5 on credit: 1121 +25.000, 4101 25.000, 5101 10.000
    shop.set_credit_limit(coop, "ustadz", Decimal(100_000))
    shop.record_sale(coop, member_id=ahmad.id, payment="credit", items=[shop.SaleItem(soap.id, 5)], day=date(2025, 4, 1))
    # 12 salaries 50.000, 13 electricity 20.000 (Kas Besar)
    _journal(coop, date(2025, 5, 1), "Honor pengelola Mei", "6101", "1101", 50_000, "KK")
    _journal(coop, date(2025, 5, 2), "Listrik Mei", "6102", "1101", 20_000, "KK")
    # 14 Budi pokok 100.000
    savings.deposit(coop, budi, "pokok", day=date(2025, 6, 1))
    # 15 RAT 15.000 (Kas Besar), 16 bank profit share 125.000
    _journal(coop, date(2025, 6, 15), "Konsumsi RAT", "7101", "1101", 15_000, "KK")
    _journal(coop, date(2025, 7, 1), "Bagi hasil bank", "1111", "8101", 125_000, "KM")
    # 17 Siti withdraws 200.000 sukarela
    savings.withdraw(coop, siti, amount=Decimal(200_000), day=date(2025, 8, 1))
    # 18 bank → Kas Besar 500.000 (nets to zero in the cash flow)
    _journal(coop, date(2025, 9, 1), "Ambil tunai dari bank", "1101", "1111", 500_000)
    # 19 depreciation 20.000, 20 income tax 5.000
    _journal(coop, date(2025, 12, 31), "Penyusutan peralatan", "6104", "1215", 20_000)
    _journal(coop, date(2025, 12, 31), "Pajak penghasilan 2025", "9101", "2141", 5_000)
    # 21 year-end close: SHU 120.000 to 3108
    close_year(coop, 2025, actor=None)
    # 2026: electricity 10.000
    _journal(coop, date(2026, 2, 1), "Listrik Januari", "6102", "1101", 10_000, "KK")
    return Year(coop, siti, ahmad, budi)


@pytest.fixture
def year(build) -> Year:
    return build_year(build)
